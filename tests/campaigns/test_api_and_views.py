import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import api_token_obtain
from campaigns.models import Pledge
from merchants.services import payment_code_issue
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.campaigns.conftest import pledge, prepaid
from tests.campaigns.factories import OrganisationFactory
from tests.conftest import CITY_HOST
from tests.merchants.factories import device_for
from tests.vouchers.conftest import charge

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def api_for(city, token):
    class Client(APIClient):
        def request(self, **kwargs):
            try:
                return super().request(**kwargs)
            finally:
                connection.set_tenant(city)

    client = Client(HTTP_HOST=CITY_HOST)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def rich(citizen, budget):
    budget(10_000_000)
    charge(citizen, 500_000)
    return citizen


@pytest.fixture
def citizen_api(city, rich):
    return api_for(
        city, api_token_obtain(email=rich.email, password="test-pass-1234", client_ip="t")
    )


def test_campaign_list_and_detail_with_progress(citizen_api, rich, campaign, shop):
    organisation = OrganisationFactory()
    organisation.campaigns.add(campaign)
    pledge(rich, campaign, shop, 150_000)
    listed = citizen_api.get("/api/v1/campaigns").json()
    assert listed[0]["progress"]["pledged"] == 150_000
    detail = citizen_api.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert detail["progress"]["participants"] == 1
    assert detail["progress"]["target_participants"] == 50_000
    assert detail["phases"][0]["progress"]["pledged"] == 150_000
    assert detail["organisations"][0]["name"] == organisation.name
    shops = citizen_api.get(f"/api/v1/campaigns/{campaign.pk}/shops").json()
    assert shops == [
        {
            "id": shop.pk,
            "name": shop.name,
            "category": "restaurant",
            "district": "풍남동",
            "bonus_bp": 500,
        }
    ]
    assert citizen_api.get("/api/v1/campaigns/999999").status_code == 404


def test_post_a_pledge_with_idempotency(citizen_api, rich, campaign, shop):
    payload = {
        "campaign": campaign.pk,
        "shop": shop.pk,
        "amount": 100_000,
        "pay_with": "wallet",
        "pin": "123456",
    }
    first = citizen_api.post(
        "/api/v1/pledges", payload, format="json", headers={"Idempotency-Key": "p1"}
    )
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["prepaid_balance"] == 105_000
    assert body["pledge_id"]
    again = citizen_api.post(
        "/api/v1/pledges", payload, format="json", headers={"Idempotency-Key": "p1"}
    )
    assert again.json() == body
    assert Pledge.objects.count() == 1
    mine = citizen_api.get("/api/v1/pledges").json()
    assert mine[0]["prepaid_balance"] == 105_000


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"amount": 100_000, "pay_with": "wallet", "pin": "000000"}, "pin_invalid"),
        ({"amount": 50_000, "pay_with": "wallet", "pin": "123456"}, "pledge_limit"),
        ({"amount": "1e5", "pay_with": "wallet", "pin": "123456"}, "invalid_input"),
        ({"amount": 100_000, "pay_with": "cash", "pin": "123456"}, "invalid_input"),
    ],
)
def test_pledge_refusals_are_clear_and_move_nothing(
    citizen_api, rich, campaign, shop, payload, code
):
    response = citizen_api.post(
        "/api/v1/pledges",
        {"campaign": campaign.pk, "shop": shop.pk, **payload},
        format="json",
        headers={"Idempotency-Key": f"bad-{code}"},
    )
    assert response.status_code in (400, 409, 429)
    assert response.json()["error"]["code"] == code
    assert prepaid(rich, shop) == 0


def test_counter_redemption_api(city, rich, campaign, shop):
    pledge(rich, campaign, shop, 100_000)
    _device, token = device_for(shop)
    device_api = api_for(city, token)
    code = payment_code_issue(user=rich).number
    payload = {"code": code, "amount": 30_000}
    response = device_api.post(
        "/api/v1/counter/redemptions", payload, format="json", headers={"Idempotency-Key": "r1"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["prepaid_balance"]) == (30_000, 75_000)
    assert body["redemption_id"]
    replay = device_api.post(
        "/api/v1/counter/redemptions", payload, format="json", headers={"Idempotency-Key": "r1"}
    )
    assert replay.json() == body
    assert prepaid(rich, shop) == 75_000
    code2 = payment_code_issue(user=rich).number
    too_much = device_api.post(
        "/api/v1/counter/redemptions",
        {"code": code2, "amount": 75_001},
        format="json",
        headers={"Idempotency-Key": "r2"},
    )
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "insufficient_prepaid"


def test_pages(client_for, rich, campaign, shop):
    client = client_for(rich)
    assert campaign.name in client.get("/campaigns/").content.decode()
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert shop.name in detail
    page = client.get(f"/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/").content.decode()
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    response = client.post(
        f"/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/",
        {"amount": "100,000", "pay_with": "wallet", "pin": "123456", "idempotency_key": key},
    )
    assert response.status_code == 302
    mine = client.get("/campaigns/pledges/").content.decode()
    assert "105,000원" in mine
    staff = client_for(StaffFactory())
    assert staff.get(f"/campaigns/manage/{campaign.pk}/").status_code == 200
    assert client.get(f"/campaigns/manage/{campaign.pk}/").status_code == 403
    other = client_for(CitizenFactory())
    pledge_id = Pledge.objects.get().pk
    assert other.post(f"/campaigns/pledges/{pledge_id}/cancel/").status_code == 404


def test_counter_page_takes_a_bill_from_the_prepaid_balance_then_the_wallet(
    client_for, rich, campaign, shop
):
    pledge(rich, campaign, shop, 100_000)  # 105,000 prepaid
    code = payment_code_issue(user=rich).number
    client = client_for(shop.owner)
    page = client.post(f"/shops/{shop.pk}/counter/identify/", {"code": code}).content.decode()
    assert "105,000원" in page
    key = page.split('id="bill-form"')[1].split('name="idempotency_key" value="')[1].split('"')[0]
    done = client.post(
        f"/shops/{shop.pk}/counter/bill/",
        {"code": code, "amount": "120000", "idempotency_key": key},
    ).content.decode()
    assert "105,000원" in done
    assert "15,000원" in done  # from the wallet
    assert prepaid(rich, shop) == 0
