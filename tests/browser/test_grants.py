"""The disaster basic income in a real browser: a citizen applies with a document, staff
approve and pay, the citizen pays at an eligible shop (the grant first) and is refused the
grant part at an excluded shop. Pages are matched by element ids and field names."""

import re

import pytest

from grants.models import Application
from tests.accounts.factories import CitizenFactory, OwnerFactory, StaffFactory
from tests.browser.helpers import new_page, sign_in, wallet_policy_and_budget
from tests.grants.factories import jeonju_2020
from tests.merchants.factories import ShopFactory

pytestmark = pytest.mark.browser


def _counter(page, base, shop, number, amount):
    page.goto(f"{base}/shops/{shop.pk}/counter/")
    page.locator("#identify-form input[name=code]").fill(number)
    page.locator("#identify-form button[type=submit]").click()
    page.locator(".identified").wait_for()
    page.locator("#bill-form input[name=amount]").fill(str(amount))
    page.locator("#bill-form button[type=submit]").click()


def _code(page, base):
    page.goto(f"{base}/wallet/code/")
    return page.locator("#pay-code-number").inner_text()


def test_apply_approve_pay_spend_the_grant_first_and_not_at_an_excluded_shop(
    live_server_url, page, browser
):
    base = live_server_url
    staff = StaffFactory(email="staff-g@browser.kr")
    wallet_policy_and_budget(staff)
    programme = jeonju_2020(staff, budget=527_158 * 10)
    citizen = CitizenFactory(email="citizen-g@browser.kr", name="김민수")
    owner = OwnerFactory(email="owner-g@browser.kr", name="박사장")
    shop = ShopFactory(owner=owner, name="풍남문 국밥")
    mart = ShopFactory(owner=owner, name="큰마트", category="large_mart")

    # The citizen applies with a document.
    sign_in(page, base, citizen.email)
    page.goto(f"{base}/grants/")
    page.locator(f"#apply-{programme.pk}").click()
    page.locator("input[name=group][value=day_worker]").check()
    page.locator("#id_identifier").fill("900101-1234567")
    page.locator("#id_household").fill("전주시 완산구 효자동 1")
    page.locator("#id_document").set_input_files(
        {"name": "contract.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}
    )
    page.locator("#id_consent").check()
    page.locator("#apply-submit").click()
    page.wait_for_url(re.compile(r"/grants/applications/\d+/$"))
    application = Application.objects.get(applicant=citizen)
    assert application.documents.count() == 1

    # Staff approve it from the queue and pay.
    staff_page = new_page(browser)
    sign_in(staff_page, base, staff.email)
    staff_page.goto(f"{base}/grants/staff/{programme.pk}/")
    staff_page.locator(f"#review-{application.pk}").click()
    staff_page.locator("input[name=decision][value=approve]").check()
    staff_page.locator("#decision-submit").click()
    staff_page.wait_for_url(f"{base}/grants/staff/{programme.pk}/")
    staff_page.locator("#programme-pay").click()
    staff_page.wait_for_url(f"{base}/grants/staff/{programme.pk}/")
    application.refresh_from_db()
    assert application.status == "paid"

    # At the eligible shop the grant pays first.
    page.goto(f"{base}/wallet/")
    assert "527,158원" in page.locator("#wallet-grant").inner_text()
    owner_page = new_page(browser)
    sign_in(owner_page, base, owner.email)
    _counter(owner_page, base, shop, _code(page, base), 30_000)
    assert owner_page.locator("#counter-grant-part").inner_text() == "30,000원"

    # At the large mart the grant is not spent, and the wallet alone holds nothing.
    _counter(owner_page, base, mart, _code(page, base), 10_000)
    owner_page.locator("#counter-error").wait_for()
    assert not owner_page.locator("#counter-paid").count()
    page.goto(f"{base}/wallet/")
    assert "497,158원" in page.locator("#wallet-grant").inner_text()
