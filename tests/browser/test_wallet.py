"""A citizen charges the wallet, pays a shop through its QR with the PIN, and sees the cashback."""

import pytest

from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.browser.helpers import sign_in, wallet_policy_and_budget
from tests.merchants.factories import ShopFactory
from vouchers.models import Payment
from vouchers.services import pin_set

pytestmark = pytest.mark.browser


def test_charge_then_pay_by_shop_qr_with_pin_and_see_cashback(live_server_url, page):
    staff = StaffFactory()
    wallet_policy_and_budget(staff)
    citizen = CitizenFactory(email="wallet-b@example.kr")
    pin_set(user=citizen, pin="123456", password="test-pass-1234")
    shop = ShopFactory(name="풍남문 커피")

    sign_in(page, live_server_url, citizen.email)
    page.goto(f"{live_server_url}/wallet/")
    page.get_by_role("button", name="충전", exact=True).click()
    page.get_by_label("충전 금액 (원)").fill("50,000")
    page.get_by_role("button", name="결제로 계속").click()
    # The provider's page.
    assert page.locator("#checkout-amount").inner_text() == "50,000원"
    page.get_by_role("button", name="결제", exact=True).click()
    assert page.get_by_role("heading", name="충전 완료").is_visible()
    assert page.locator("#charged-amount").inner_text() == "50,000원 충전했습니다"

    # Scanning the shop's QR opens this address.
    page.goto(f"{live_server_url}/wallet/pay/{shop.public_code}/")
    assert page.get_by_role("heading", name="풍남문 커피").is_visible()
    page.get_by_label("금액 (원)").fill("12000")
    page.get_by_label("결제 비밀번호").fill("123456")
    page.get_by_role("button", name="결제", exact=True).click()
    assert page.locator("#paid-amount").inner_text() == "12,000원"
    assert page.locator("#cashback-amount").inner_text() == "+1,200원"

    page.goto(f"{live_server_url}/wallet/")
    assert page.locator("#wallet-balance").inner_text() == "39,200원"
    assert page.locator("#month-cashback").inner_text() == "1,200원"
    assert Payment.objects.get().cashback == 1_200
