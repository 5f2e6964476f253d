"""A citizen pledges with the keyboard alone, on a phone-sized screen: from the home page through
the menu button, the campaign and its shop, the members-only rule and the invitation code, to a
refusal that is announced and tied to the form, and the pledge that goes through. Every element
that takes focus on the way shows where the focus is (WCAG 2.4.7), and the page with the error
passes axe too."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.models import Pledge
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.browser.helpers import wallet_policy_and_budget
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignShopFactory,
    OrganisationFactory,
    PhaseFactory,
)
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge
from vouchers.services import pin_set

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).with_name("vendor") / "axe.min.js"

# What the focused element looks like: a focus ring is an outline or a box shadow.
FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
        || style.boxShadow !== "none";
    return {
        tag: el.tagName, text: (el.innerText || el.value || el.name || "").trim().slice(0, 40),
        id: el.id, name: el.getAttribute("name") || "", href: el.getAttribute("href") || "",
        visible: ring, focusVisible: el.matches(":focus-visible"),
    };
}"""


def tab_to(page, matches, seen, *, limit=80, shift=False):
    """Presses Tab until the focused element satisfies ``matches``; records every element
    passed on the way in ``seen``."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        focused = page.evaluate(FOCUS)
        if focused is None:
            continue
        seen.append(focused)
        if matches(focused):
            return focused
    raise AssertionError(f"never reached the element; last focused: {seen[-5:]}")


def test_citizen_pledges_with_the_keyboard_only(live_server_url, browser):
    staff = StaffFactory()
    wallet_policy_and_budget(staff)
    citizen = CitizenFactory(email="keyboard@a11y.kr", name="한키보")
    pin_set(user=citizen, pin="123456", password="test-pass-1234")
    charge(citizen, 500_000)
    campaign = CampaignFactory(name="키보드 선결제 운동", max_per_citizen=500_000)
    PhaseFactory(campaign=campaign, number=1, name="1단계", members_only=True)
    organisation = OrganisationFactory(name="전주시청", invite_code="KEYS2021")
    organisation.campaigns.add(campaign)
    shop = ShopFactory(name="풍남문 커피")
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=1000)

    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    context.add_init_script(script=AXE_JS.read_text(encoding="utf-8"))
    page = context.new_page()
    page.set_default_timeout(20_000)
    seen: list[dict] = []
    base = live_server_url
    try:
        # Sign in with the keyboard.
        page.goto(f"{base}/accounts/login/")
        tab_to(page, lambda f: f["name"] == "login", seen)
        page.keyboard.type(citizen.email)
        tab_to(page, lambda f: f["name"] == "password", seen)
        page.keyboard.type("test-pass-1234")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/")

        # The first Tab is the skip link; the menu button opens the navigation on a phone.
        skip = tab_to(page, lambda f: f["href"] == "#main", seen, limit=1)
        assert skip["text"] == "본문 바로가기"
        menu = tab_to(page, lambda f: f["text"] == "메뉴", seen)
        assert menu["tag"] == "BUTTON"
        page.keyboard.press("Enter")
        assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "true"
        tab_to(page, lambda f: f["href"] == "/campaigns/", seen)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/campaigns/")
        tab_to(page, lambda f: f["href"] == f"/campaigns/{campaign.pk}/", seen)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/campaigns/{campaign.pk}/")
        pledge_path = f"/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/"
        tab_to(page, lambda f: f["href"] == pledge_path, seen)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}{pledge_path}")

        # Members only: the page says so before any form, and how to join.
        rules = page.locator("#pledge-rules").inner_text()
        assert "1단계는 참여 기관의 회원만 참여할 수 있습니다" in rules
        assert page.locator("input[name=amount]").count() == 0
        tab_to(page, lambda f: f["name"] == "invite_code", seen)
        page.keyboard.type("KEYS2021")
        with page.expect_navigation():  # the join form comes back to this same page
            page.keyboard.press("Enter")
        page.wait_for_url(f"{base}{pledge_path}")
        assert "전주시청 회원으로 참여합니다" in page.locator("#pledge-rules").inner_text()
        assert "<strong>500,000원</strong>" in page.locator("#pledge-rules").inner_html()

        # 300,000 won from the wallet.
        tab_to(page, lambda f: f["name"] == "amount", seen)
        page.keyboard.type("300000")
        tab_to(page, lambda f: f["name"] == "pin", seen)
        page.keyboard.type("123456")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/campaigns/pledges/")
        assert Pledge.objects.get(user=citizen).amount == 300_000

        # Again, 300,000 more: the page says 200,000 is left; the refusal is an alert tied to
        # the form, and the amount is kept to correct.
        page.goto(f"{base}{pledge_path}")
        assert "<strong>200,000원</strong>" in page.locator("#pledge-rules").inner_html()
        tab_to(page, lambda f: f["name"] == "amount", seen)
        page.keyboard.type("300000")
        tab_to(page, lambda f: f["name"] == "pin", seen)
        page.keyboard.type("123456")
        with page.expect_navigation():  # the form is shown again, with the refusal
            page.keyboard.press("Enter")
        error = page.locator(".form-error[role=alert]")
        assert "200,000" in error.inner_text()
        assert error.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 236, 236)"
        violations = page.evaluate(
            "async () => (await axe.run(document)).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"
        )
        assert violations == []
        amount = tab_to(page, lambda f: f["name"] == "amount", seen)
        assert amount["tag"] == "INPUT"
        page.keyboard.press("Control+A")
        page.keyboard.type("200000")
        tab_to(page, lambda f: f["name"] == "pin", seen)
        page.keyboard.type("123456")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/campaigns/pledges/")
        assert sorted(Pledge.objects.filter(user=citizen).values_list("amount", flat=True)) == [
            200_000,
            300_000,
        ]
    finally:
        context.close()

    # Every element the focus reached showed a focus ring.
    unseen = [f for f in seen if not f["visible"]]
    assert not unseen, f"focus not visible on: {unseen}"
    assert len(seen) > 10
