"""On a phone (issue 18, items 5-7): a charge abandoned at the payment page is found again and
cancelled; a card pledge ends on a page naming the shop; the code screen turns into the payment
once the clerk has taken the bill, without a tap; the clerk keeps the customer after a refusal.

Screenshots of each page at 390 px go to ``$SCREENSHOT_DIR`` when it is set."""

import os

import pytest

from tests.accounts.factories import CitizenFactory, ClerkFactory, StaffFactory
from tests.browser.helpers import new_page, sign_in, wallet_policy_and_budget
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.merchants.factories import ShopFactory, add_clerk
from vouchers.models import Charge
from vouchers.services import pin_set

pytestmark = pytest.mark.browser


def shot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def no_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_abandoned_charge_then_card_pledge_then_the_code_screen_follows_the_counter(
    live_server_url, page, browser
):
    staff = StaffFactory()
    wallet_policy_and_budget(staff)
    campaign = CampaignFactory(name="전주 착한 선결제")
    PhaseFactory(campaign=campaign, name="2단계 (모든 시민)")
    shop = ShopFactory(name="남부시장 콩나물국밥", district="중앙동")
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    clerk = add_clerk(shop, ClerkFactory(email="clerk-r@example.kr"))
    citizen = CitizenFactory(email="result@example.kr", name="이서연")
    pin_set(user=citizen, pin="123456", password="test-pass-1234")

    # A charge started, and the payment page closed.
    sign_in(page, live_server_url, citizen.email)
    page.goto(f"{live_server_url}/wallet/charge/")
    page.get_by_label("충전 금액 (원)").fill("50,000")
    page.get_by_role("button", name="결제로 계속").click()
    page.locator("#checkout-amount").wait_for()
    page.goto(f"{live_server_url}/wallet/")
    # The wallet's list leads back to it: finish it, or cancel it.
    page.get_by_role("link", name="결제 대기 50,000원").click()
    assert page.get_by_role("heading", name="결제 대기").is_visible()
    shot(page, "charge-waiting-390")
    no_overflow(page)
    page.get_by_role("button", name="결제 계속하기").click()
    assert page.locator("#checkout-amount").inner_text() == "50,000원"  # the same order
    page.go_back()
    page.get_by_role("button", name="결제 취소").click()
    assert page.get_by_role("alert").inner_text() == (
        "결제하기 전에 취소했습니다. 빠져나간 돈은 없습니다."
    )
    assert Charge.objects.get().status == "cancelled"

    # A charge that goes through says so, with the new balance.
    page.goto(f"{live_server_url}/wallet/charge/")
    page.get_by_label("충전 금액 (원)").fill("300,000")
    page.get_by_role("button", name="결제로 계속").click()
    page.get_by_role("button", name="결제", exact=True).click()
    assert page.get_by_role("heading", name="충전 완료").is_visible()
    assert page.locator("#charged-amount").inner_text() == "300,000원 충전했습니다"
    assert page.locator("#wallet-balance").inner_text() == "300,000원"
    shot(page, "charge-complete-390")
    no_overflow(page)

    # A card pledge ends on its own page, naming the shop and the pledge.
    page.goto(f"{live_server_url}/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/")
    page.get_by_label("금액 (원)").fill("100000")
    page.get_by_label("카드 (결제대행사)").check()
    page.get_by_role("button", name="선결제").click()
    page.get_by_role("button", name="결제", exact=True).click()
    assert page.get_by_role("heading", name="선결제 완료").is_visible()
    assert page.locator("#pledge-shop").inner_text() == "남부시장 콩나물국밥"
    assert page.locator("#prepaid-balance").inner_text() == "105,000원"
    shot(page, "pledge-complete-390")
    no_overflow(page)

    # The code screen, left open while the clerk takes a bill of 120,000 won.
    pledge(citizen, campaign, shop, 100_000)  # 210,000 prepaid in all; wallet 200,000 + 10,000
    page.goto(f"{live_server_url}/wallet/code/")
    number = page.locator("#pay-code-number").inner_text()
    shot(page, "code-390")
    counter = new_page(browser)
    sign_in(counter, live_server_url, clerk.email)
    counter.goto(f"{live_server_url}/shops/{shop.pk}/counter/")
    counter.locator("input[name=code]").fill(number)
    counter.get_by_role("button", name="확인", exact=True).click()
    counter.locator(".identified").wait_for()
    # Too much: refused, naming both balances; the customer stays, the amount ready to fix.
    counter.get_by_label("결제 금액 (원)").fill("500000")
    counter.get_by_role("button", name="결제 받기").click()
    alert = counter.locator("#counter-error")
    alert.wait_for()
    assert "선결제 잔액(210,000원)" in alert.inner_text()
    assert "합쳐 420,000원" in alert.inner_text()
    assert counter.locator(".identified").is_visible()
    amount = counter.get_by_label("결제 금액 (원)")
    assert amount.evaluate("el => el === document.activeElement")
    shot(counter, "counter-refused-390")
    amount.fill("220000")
    counter.get_by_role("button", name="결제 받기").click()
    counter.locator("#counter-paid").wait_for()
    shot(counter, "counter-paid-390")

    # The citizen's screen changes by itself within a few seconds.
    page.locator("#code-paid").wait_for(timeout=10_000)
    assert page.locator("#pay-code-number").count() == 0
    assert page.locator("#code-paid-wallet").inner_text() == "10,000원"
    # 210,000 wallet less 10,000, plus 1,000 cashback on the wallet part.
    assert page.locator("#code-wallet-balance").inner_text() == "201,000원"
    shot(page, "code-paid-390")
    no_overflow(page)
