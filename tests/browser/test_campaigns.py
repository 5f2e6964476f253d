"""The whole journey: a citizen pledges 100,000 won to a shop from the phone, and a clerk
redeems 30,000 won of it at the counter."""

import pytest

from campaigns.models import Pledge
from tests.accounts.factories import CitizenFactory, ClerkFactory, StaffFactory
from tests.browser.helpers import new_page, sign_in, wallet_policy_and_budget
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.merchants.factories import ShopFactory, add_clerk
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_create, pin_set

pytestmark = pytest.mark.browser


def test_pledge_from_the_phone_then_redeem_part_at_the_counter(live_server_url, page, browser):
    staff = StaffFactory()
    wallet_policy_and_budget(staff)
    campaign = CampaignFactory(name="전주 착한 선결제")
    PhaseFactory(campaign=campaign, name="2단계 (모든 시민)")
    shop = ShopFactory(name="남부시장 콩나물국밥", district="중앙동")
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    clerk = add_clerk(shop, ClerkFactory(email="clerk-b@example.kr"))
    citizen = CitizenFactory(email="pledger@example.kr", name="이서연")
    pin_set(user=citizen, pin="123456", password="test-pass-1234")
    charge, _url = charge_create(user=citizen, amount=200_000)
    sandbox_approve(charge.order_id)

    # The citizen, on the phone: find the shop, pledge 100,000 won from the wallet.
    sign_in(page, live_server_url, citizen.email)
    page.goto(f"{live_server_url}/campaigns/")
    page.get_by_role("link", name="전주 착한 선결제").first.click()
    page.get_by_label("행정동").select_option("중앙동")
    page.locator(".shop-card").filter(has_text="남부시장 콩나물국밥").get_by_role(
        "button", name="선결제"
    ).click()
    page.get_by_label("금액 (원)").fill("100000")
    page.get_by_label("내 지갑 (결제 비밀번호)").check()
    page.get_by_label("결제 비밀번호 (지갑 결제 시)").fill("123456")
    page.get_by_role("button", name="선결제").click()
    page.wait_for_url("**/campaigns/pledges/")
    assert page.locator(f"#prepaid-{shop.pk}").inner_text() == "105,000원"

    page.goto(f"{live_server_url}/wallet/code/")
    number = page.locator("#pay-code-number").inner_text()

    # The clerk at the counter: identify, then take 30,000 won from the prepaid balance.
    counter = new_page(browser)
    sign_in(counter, live_server_url, clerk.email)
    counter.goto(f"{live_server_url}/shops/{shop.pk}/counter/")
    counter.locator("input[name=code]").fill(number)
    counter.get_by_role("button", name="확인", exact=True).click()
    counter.locator(".identified").wait_for()
    assert counter.locator("#prepaid-balance").inner_text() == "105,000원"
    counter.get_by_label("결제 금액 (원)").fill("30000")
    counter.get_by_role("button", name="결제 받기").click()
    counter.locator("#counter-redeemed").wait_for()
    assert counter.locator("#counter-prepaid-left").inner_text() == "75,000원"

    page.goto(f"{live_server_url}/campaigns/pledges/")
    assert page.locator(f"#prepaid-{shop.pk}").inner_text() == "75,000원"
    assert Pledge.objects.get().remaining == 75_000
