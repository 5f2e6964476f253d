"""At the counter without a smartphone: a community-centre staff member issues a card and charges
it with cash, a citizen with only that card pays with the PIN, a clerk accepts a paper note
(and refuses it the second time)."""

import datetime as dt

import pytest

from cards.models import Card
from cards.services import batch_create, desk_account_create, note_check_code, notes_sell
from ledger.services import Idem
from tests.accounts.factories import ClerkFactory, StaffFactory
from tests.browser.helpers import new_page, sign_in
from tests.cards.factories import bank_desk, community_desk
from tests.merchants.factories import ShopFactory, add_clerk
from tests.vouchers.conftest import balances

pytestmark = pytest.mark.browser


def test_card_and_note_at_the_counter(live_server_url, live_city, page, browser):
    from tests.browser.helpers import wallet_policy_and_budget

    staff = StaffFactory(email="staff-c@example.kr")
    wallet_policy_and_budget(staff)  # 10% cashback
    centre, centre_staff = community_desk()
    grandma = desk_account_create(
        desk=centre, staff=centre_staff, phone="010-7777-1234", name="이할매"
    )
    shop = ShopFactory(name="남부시장 국밥집")
    clerk = add_clerk(shop, ClerkFactory(email="clerk-c@example.kr"))

    # The community centre: find her by phone, issue a card (she types the PIN), charge it
    # with 50,000 won in cash and print the receipt.
    sign_in(page, live_server_url, centre_staff.email)
    page.goto(f"{live_server_url}/cards/desk/{centre.pk}/")
    page.get_by_label("시민의 휴대전화 번호").fill("010-7777-1234")
    page.get_by_role("button", name="찾기").click()
    page.wait_for_url(f"**/citizens/{grandma.pk}/")
    page.get_by_label("카드 비밀번호(6자리, 시민이 직접 입력)").fill("246810")
    page.get_by_role("button", name="카드 발급").click()
    page.wait_for_url(f"**/citizens/{grandma.pk}/")
    card = Card.objects.get(user=grandma)
    page.get_by_label("받은 금액(원)").fill("50,000")
    page.get_by_label("현금").check()
    page.get_by_role("button", name="충전하고 영수증 인쇄").click()
    page.wait_for_url("**/receipts/*/")
    assert page.locator("#receipt-amount").inner_text() == "50,000원"
    assert balances(grandma) == (50_000, 0)

    # The counter: the clerk types the card number and the amount, she types the PIN.
    clerk_page = new_page(browser)
    sign_in(clerk_page, live_server_url, clerk.email)
    clerk_page.goto(f"{live_server_url}/shops/{shop.pk}/counter/card/")
    clerk_page.get_by_label("카드 번호").fill(card.number)
    clerk_page.get_by_label("금액 (원)").fill("20,000")
    pin = clerk_page.get_by_label("비밀번호(손님이 직접 입력)")
    assert pin.get_attribute("type") == "password"
    pin.fill("246810")
    clerk_page.get_by_role("button", name="카드로 결제").click()
    clerk_page.locator("#card-paid").wait_for()
    assert "20,000원" in clerk_page.locator("#card-paid").inner_text()
    assert "2,000원" in clerk_page.locator("#card-paid").inner_text()  # 10% cashback
    assert "246810" not in clerk_page.content()
    assert balances(grandma) == (30_000, 2_000)

    # A paper note bought at the bank, accepted at the counter once.
    batch_create(by=staff, face_value=10_000, count=1, expires_on=dt.date(2031, 1, 1))
    branch, teller = bank_desk()
    serial = notes_sell(
        desk=branch, teller=teller, buyer=grandma, counts={10_000: 1}, idem=Idem.of("b", "k", 1)
    ).body["serials"][0]
    clerk_page.goto(f"{live_server_url}/shops/{shop.pk}/counter/note/")
    clerk_page.get_by_label("일련번호").fill(serial)
    clerk_page.get_by_label("확인 코드").fill(note_check_code(serial))
    clerk_page.get_by_role("button", name="상품권 받기").click()
    clerk_page.locator("#note-accepted").wait_for()
    assert "10,000원" in clerk_page.locator("#note-accepted").inner_text()
    clerk_page.get_by_label("일련번호").fill(serial)
    clerk_page.get_by_label("확인 코드").fill(note_check_code(serial))
    clerk_page.get_by_role("button", name="상품권 받기").click()
    alert = clerk_page.get_by_role("alert")
    alert.wait_for()
    assert "남부시장 국밥집" in alert.inner_text()
