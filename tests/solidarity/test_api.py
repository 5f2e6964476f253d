"""The contract: POST /api/v1/wallet/gifts and /wallet/donations, GET /api/v1/statements/<y>."""

import pytest

from solidarity.models import Donation, Gift
from tests.accounts.factories import CitizenFactory
from tests.merchants.factories import ShopFactory
from tests.solidarity.factories import PIN, fill_wallet, solidarity_policy, wallet, with_pin

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender(city, budget):
    solidarity_policy(gift_daily_cap=50_000, gift_monthly_cap=100_000)
    budget()
    user = with_pin(CitizenFactory())
    fill_wallet(user, ShopFactory())
    return user


def post(api_client, user, url, body, key="k1"):
    api_client.force_authenticate(user)
    return api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_gift_created_with_201_and_replayed(api_client, sender):
    body = {"to": "friend@example.kr", "amount": 20_000, "pin": PIN}
    response = post(api_client, sender, "/api/v1/wallet/gifts", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "held"
    assert data["gift_id"] == Gift.objects.get().pk
    again = post(api_client, sender, "/api/v1/wallet/gifts", body)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == data
    assert Gift.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"to": "a@example.kr", "amount": 50_001, "pin": PIN}, 422, "gift_cap_exceeded"),
        ({"to": "a@example.kr", "amount": 10_000, "pin": "999999"}, 400, "pin_invalid"),
        ({"to": "nobody", "amount": 10_000, "pin": PIN}, 400, "gift_recipient_invalid"),
        ({"to": "a@example.kr", "amount": "lots", "pin": PIN}, 400, None),
        ({"to": "a@example.kr", "amount": 10_000}, 400, None),
    ],
)
def test_gift_refusals_are_clear_and_move_nothing(api_client, sender, body, status, code):
    response = post(api_client, sender, "/api/v1/wallet/gifts", body)
    assert response.status_code == status, response.content
    if code:
        assert response.json()["error"]["code"] == code
    assert wallet(sender) == (100_000, 10_000)
    assert not Gift.objects.exists()


def test_gift_over_the_balance_is_refused(api_client, city, budget):
    solidarity_policy()
    budget()
    user = with_pin(CitizenFactory())
    fill_wallet(user, ShopFactory(), charged=10_000, spent=0)
    response = post(
        api_client,
        user,
        "/api/v1/wallet/gifts",
        {"to": "b@example.kr", "amount": 10_001, "pin": PIN},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "insufficient_balance"
    assert wallet(user) == (10_000, 0)


def test_gift_needs_an_idempotency_key_and_a_citizen(api_client, sender):
    api_client.force_authenticate(sender)
    response = api_client.post(
        "/api/v1/wallet/gifts", {"to": "a@example.kr", "amount": 1_000, "pin": PIN}, format="json"
    )
    assert response.status_code == 400
    api_client.force_authenticate(None)
    response = post(api_client, None, "/api/v1/wallet/gifts", {"amount": 1})
    assert response.status_code in (401, 403)


def test_donation_created_with_201(api_client, sender):
    response = post(api_client, sender, "/api/v1/wallet/donations", {"amount": 11_000})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["principal"], data["incentive"]) == (10_000, 1_000)
    assert Donation.objects.get().amount == 11_000
    too_much = post(api_client, sender, "/api/v1/wallet/donations", {"amount": 200_000}, key="k2")
    assert too_much.status_code == 422
