"""An owner registers a shop, staff approve it, and the counter identifies a citizen."""

import pytest

from merchants.models import Shop
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.browser.helpers import new_page, sign_in

pytestmark = pytest.mark.browser


def test_owner_registers_staff_approve_counter_identifies(live_server_url, page, browser):
    owner = CitizenFactory(email="owner-b@example.kr", name="박사장")
    staff = StaffFactory(email="staff-b@example.kr")
    citizen = CitizenFactory(email="citizen-b@example.kr", name="김민수")

    # The owner registers on the phone.
    sign_in(page, live_server_url, owner.email)
    page.goto(f"{live_server_url}/shops/register/")
    page.get_by_label("상호").fill("전주 콩나물국밥")
    page.get_by_label("사업자등록번호").fill("220-81-62517")
    page.get_by_label("업종").select_option("restaurant")
    page.get_by_label("행정동").fill("풍남동")
    page.get_by_label("주소").fill("전주시 완산구 태조로 1")
    page.get_by_label("전화번호").fill("063-111-2222")
    page.get_by_label("연 매출").select_option("under_300m")
    page.get_by_label("은행").select_option("전북은행")
    page.get_by_label("계좌번호").fill("1013-22-333444")
    page.get_by_label("예금주").fill("박사장")
    page.get_by_role("button", name="등록", exact=True).click()
    page.wait_for_url("**/shops/*/")
    assert page.get_by_text("심사 대기").first.is_visible()
    shop = Shop.objects.get(business_number="2208162517")

    # City staff approve it at the desk.
    staff_page = new_page(browser)
    sign_in(staff_page, live_server_url, staff.email)
    staff_page.goto(f"{live_server_url}/shops/review/")
    staff_page.get_by_role("link", name="전주 콩나물국밥").click()
    staff_page.get_by_role("button", name="승인").click()
    staff_page.wait_for_load_state()
    assert staff_page.get_by_text("승인").first.is_visible()
    shop.refresh_from_db()
    assert shop.status == "approved"

    # The citizen opens the payment code on their phone.
    citizen_page = new_page(browser)
    sign_in(citizen_page, live_server_url, citizen.email)
    citizen_page.goto(f"{live_server_url}/wallet/code/")
    number = citizen_page.locator("#pay-code-number").inner_text()
    assert len(number.replace(" ", "")) == 16

    # The owner types it at the counter.
    page.goto(f"{live_server_url}/shops/{shop.pk}/counter/")
    page.locator("input[name=code]").fill(number)
    page.get_by_role("button", name="확인", exact=True).click()
    page.locator(".identified").wait_for()
    assert page.get_by_text("김*수").is_visible()
    assert page.locator("#wallet-balance").inner_text() == "0원"
