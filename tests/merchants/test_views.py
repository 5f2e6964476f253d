import pytest

from merchants import brn
from merchants.models import Device, Shop, ShopMember
from merchants.services import payment_code_issue
from tests.accounts.factories import CitizenFactory, ClerkFactory, StaffFactory
from tests.merchants.factories import ShopFactory, add_clerk


@pytest.fixture
def shop(city):
    return ShopFactory()


def test_owner_registers_a_shop_in_the_browser_form(client_for, city):
    user = CitizenFactory()
    client = client_for(user)
    response = client.post(
        "/shops/register/",
        {
            "name": "남문 국밥",
            "business_number": "220-81-62517",
            "category": "restaurant",
            "district": "풍남동",
            "address": "전주시 완산구",
            "phone": "063-000-1111",
            "sales_bracket": "under_300m",
            "bank_name": "전북은행",
            "bank_account": "1013-22-333444",
            "bank_holder": "김국밥",
        },
    )
    shop = Shop.objects.get(business_number="2208162517")
    assert response.status_code == 302
    assert response["Location"] == f"/shops/{shop.pk}/"
    page = client.get(f"/shops/{shop.pk}/").content.decode()
    assert "*******3444" in page or "********3444" in page
    assert "1013-22-333444" not in page


def test_an_ineligible_registration_shows_the_reason(client_for, city):
    client = client_for(CitizenFactory())
    response = client.post(
        "/shops/register/",
        {
            "name": "대형마트",
            "business_number": brn.with_check_digit("123123123"),
            "category": "large_mart",
            "district": "효자동",
            "address": "x",
            "phone": "1",
            "sales_bracket": "over_3b",
            "bank_name": "전북은행",
            "bank_account": "1234567890",
            "bank_holder": "x",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "form-error" in body
    assert not Shop.objects.exists()


def test_a_shop_is_404_for_someone_who_does_not_work_there(client_for, shop):
    stranger = client_for(CitizenFactory())
    for url in (f"/shops/{shop.pk}/", f"/shops/{shop.pk}/counter/", f"/shops/{shop.pk}/devices/"):
        assert stranger.get(url).status_code == 404


def test_a_clerk_serves_the_counter_but_cannot_change_the_shop_or_see_payouts(client_for, shop):
    clerk = add_clerk(shop, ClerkFactory())
    client = client_for(clerk)
    assert client.get(f"/shops/{shop.pk}/counter/").status_code == 200
    assert client.get(f"/shops/{shop.pk}/").status_code == 200
    assert "1013000012345" not in client.get(f"/shops/{shop.pk}/").content.decode()
    assert client.get(f"/shops/{shop.pk}/edit/").status_code == 403
    assert client.get(f"/shops/{shop.pk}/statements/").status_code == 403
    assert client.get(f"/shops/{shop.pk}/clerks/").status_code == 403
    assert client.post(f"/shops/{shop.pk}/edit/", {"name": "hijack"}).status_code == 403
    shop.refresh_from_db()
    assert shop.name != "hijack"


def test_devices_are_registered_with_a_token_shown_once_and_revoked(client_for, shop):
    client = client_for(shop.owner)
    response = client.post(f"/shops/{shop.pk}/devices/", {"name": "태블릿"})
    body = response.content.decode()
    device = Device.objects.get(shop=shop)
    token = body.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("dt_")
    assert token not in client.get(f"/shops/{shop.pk}/devices/").content.decode()
    client.post(f"/shops/{shop.pk}/devices/{device.pk}/revoke/")
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_counter_identifies_a_typed_code(client_for, shop):
    citizen = CitizenFactory(name="김민수")
    code = payment_code_issue(user=citizen)
    client = client_for(shop.owner)
    response = client.post(f"/shops/{shop.pk}/counter/identify/", {"code": code.number_display})
    body = response.content.decode()
    assert "김*수" in body
    assert "김민수" not in body
    bad = client.post(f"/shops/{shop.pk}/counter/identify/", {"code": "0000000000000000"})
    assert "form-error" in bad.content.decode()


def test_staff_review_queue_and_decision(client_for, city):
    staff = StaffFactory()
    pending = ShopFactory(status="pending", approved_at=None)
    client = client_for(staff)
    assert pending.name in client.get("/shops/review/").content.decode()
    response = client.post(f"/shops/review/{pending.pk}/", {"action": "reject", "reason": ""})
    assert "form-error" in response.content.decode()
    client.post(f"/shops/review/{pending.pk}/", {"action": "approve", "reason": ""})
    pending.refresh_from_db()
    assert pending.status == "approved"


def test_review_pages_are_staff_only(client_for, shop):
    for user in (CitizenFactory(), shop.owner):
        assert client_for(user).get("/shops/review/").status_code == 403
        assert client_for(user).get(f"/shops/review/{shop.pk}/").status_code == 403


def test_clerk_invitation_flow(client_for, shop):
    owner = client_for(shop.owner)
    response = owner.post(f"/shops/{shop.pk}/clerks/", {"email": "newclerk@example.kr"})
    url = response.content.decode().split('id="invite-url">')[1].split("<")[0]
    path = url.split("localhost", 1)[1]
    clerk_user = CitizenFactory(email="newclerk@example.kr")
    clerk = client_for(clerk_user)
    assert clerk.post(path).status_code == 302
    assert ShopMember.objects.get(shop=shop, user=clerk_user).role == "clerk"


def test_shop_qr_encodes_the_pay_url(client_for, shop):
    response = client_for(shop.owner).get(f"/shops/{shop.pk}/qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


@pytest.mark.usefixtures("jeonju_policy")
def test_the_owner_cancels_todays_payment_from_the_counter(client_for, shop, citizen, budget):
    from ledger.selectors import ledger_check
    from tests.vouchers.conftest import balances, charge, pay
    from vouchers.models import Payment

    budget(100_000)
    charge(citizen, 50_000)
    body = pay(citizen, shop, 10_000)
    clerk = add_clerk(shop, ClerkFactory())
    url = f"/shops/{shop.pk}/counter/payments/{body['payment_id']}/cancel/"
    assert client_for(clerk).post(url).status_code == 403
    assert client_for(shop.owner).post(url).status_code == 302
    assert Payment.objects.get().status == "cancelled"
    assert balances(citizen) == (50_000, 0)
    assert ledger_check().ok
