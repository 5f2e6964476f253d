import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_obtain
from merchants.services import payment_code_issue
from tests.conftest import CITY_HOST
from tests.merchants.factories import device_for
from tests.vouchers.conftest import balances, charge
from vouchers.models import Payment

pytestmark = pytest.mark.usefixtures("jeonju_policy")


@pytest.fixture
def citizen_api(city, citizen):
    from django.db import connection

    class Client(APIClient):
        def request(self, **kwargs):
            try:
                return super().request(**kwargs)
            finally:
                connection.set_tenant(city)

    client = Client(HTTP_HOST=CITY_HOST)
    token = api_token_obtain(email=citizen.email, password="test-pass-1234", client_ip="t")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def device_api(city, shop):
    from django.db import connection

    class Client(APIClient):
        def request(self, **kwargs):
            try:
                return super().request(**kwargs)
            finally:
                connection.set_tenant(city)

    _device, token = device_for(shop)
    client = Client(HTTP_HOST=CITY_HOST)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_get_wallet(citizen_api, citizen, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    body = citizen_api.get("/api/v1/wallet").json()
    assert body["balance"] == 100_000
    assert body["principal"] == 100_000
    assert body["incentive"] == 0
    assert body["month"]["charged"] == 100_000
    assert body["month"]["charge_limit"] == 500_000
    assert body["month"]["cashback"] == 0
    assert body["month"]["cashback_cap"] == 50_000


def test_charge_through_the_api_and_the_sandbox(citizen_api, citizen):
    response = citizen_api.post("/api/v1/wallet/charges", {"amount": 30_000}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "created"
    assert body["checkout_url"].endswith(f"/sandbox-pg/checkout/{body['order_id']}/")
    approved = citizen_api.post(f"/sandbox-pg/api/approve/{body['order_id']}")
    assert approved.json()["status"] == "credited"
    assert citizen_api.get(f"/api/v1/wallet/charges/{body['order_id']}").json()["status"] == "paid"
    assert balances(citizen) == (30_000, 0)


@pytest.mark.parametrize(
    "payload", [{}, {"amount": -5}, {"amount": "lots"}, {"amount": 1.5}, {"amount": 10**15}]
)
def test_bad_charge_input_is_a_400(citizen_api, payload):
    response = citizen_api.post("/api/v1/wallet/charges", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"]


def test_counter_payment_with_idempotency(device_api, citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    code = payment_code_issue(user=citizen).number
    payload = {"code": code, "amount": 12_345}
    first = device_api.post(
        "/api/v1/counter/payments", payload, format="json", headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == 201, first.json()
    body = first.json()
    assert {k: body[k] for k in ("amount", "cashback", "from_principal", "from_incentive")} == {
        "amount": 12_345,
        "cashback": 1_234,
        "from_principal": 12_345,
        "from_incentive": 0,
    }
    replay = device_api.post(
        "/api/v1/counter/payments", payload, format="json", headers={"Idempotency-Key": "k-1"}
    )
    assert replay.status_code == 201
    assert replay.json() == body
    assert replay["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    # The same key with another amount is a conflict; a new key with the spent code is refused.
    conflict = device_api.post(
        "/api/v1/counter/payments",
        {"code": code, "amount": 1},
        format="json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    used = device_api.post(
        "/api/v1/counter/payments", payload, format="json", headers={"Idempotency-Key": "k-2"}
    )
    assert used.status_code == 409
    assert used.json()["error"]["code"] == "code_used"
    assert balances(citizen) == (100_000 - 12_345, 1_234)


def test_counter_payment_needs_an_idempotency_key_and_a_device(device_api, citizen_api, citizen):
    code = payment_code_issue(user=citizen).number
    missing = device_api.post(
        "/api/v1/counter/payments", {"code": code, "amount": 1}, format="json"
    )
    assert missing.status_code == 400
    as_citizen = citizen_api.post(
        "/api/v1/counter/payments",
        {"code": code, "amount": 1},
        format="json",
        headers={"Idempotency-Key": "x"},
    )
    assert as_citizen.status_code == 403


def test_counter_payment_with_too_little_balance_is_a_clear_400(device_api, citizen):
    charge(citizen, 10_000)
    code = payment_code_issue(user=citizen).number
    response = device_api.post(
        "/api/v1/counter/payments",
        {"code": code, "amount": 20_000},
        format="json",
        headers={"Idempotency-Key": "poor"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "insufficient_balance"
    assert balances(citizen) == (10_000, 0)
    # The code is still good: nothing was spent.
    ok = device_api.post(
        "/api/v1/counter/payments",
        {"code": code, "amount": 5_000},
        format="json",
        headers={"Idempotency-Key": "rich-enough"},
    )
    assert ok.status_code == 201


def test_qr_payment_with_pin(citizen_api, citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 50_000)
    wrong = citizen_api.post(
        "/api/v1/wallet/payments",
        {"shop_code": shop.public_code, "amount": 10_000, "pin": "000000"},
        format="json",
        headers={"Idempotency-Key": "q1"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "pin_invalid"
    ok = citizen_api.post(
        "/api/v1/wallet/payments",
        {"shop_code": shop.public_code, "amount": 10_000, "pin": "123456"},
        format="json",
        headers={"Idempotency-Key": "q2"},
    )
    assert ok.status_code == 201
    assert ok.json()["cashback"] == 1_000


def test_refund_and_history(citizen_api, citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 10_000)
    early = citizen_api.post("/api/v1/wallet/refund", headers={"Idempotency-Key": "r0"})
    assert early.status_code == 400
    assert early.json()["error"]["code"] == "refund_not_allowed"
    history = citizen_api.get("/api/v1/wallet/history").json()
    assert history[0]["kind"] == "charge"
    assert history[0]["amount"] == 10_000


def test_device_token_revoked_is_refused(city, shop, citizen):
    from django.db import connection

    from merchants.services import device_revoke

    device, token = device_for(shop)
    device_revoke(device=device, by=shop.owner)
    client = APIClient(HTTP_HOST=CITY_HOST)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post("/api/v1/counter/identify", {"code": "1"}, format="json")
    connection.set_tenant(city)
    assert response.status_code == 401


def test_counter_payment_uses_the_shops_class_for_cashback(city, citizen, staff, budget):
    import datetime as dt

    from tests.merchants.factories import ShopFactory
    from vouchers.services import policy_set

    policy_set(
        by=staff,
        effective_from=dt.date(2020, 6, 1),
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
        shop_class_cashback_bp={"over_3b": 0, "under_300m": 1200},
    )
    budget(1_000_000)
    charge(citizen, 100_000)
    for bracket, expected in (("over_3b", 0), ("under_300m", 1_200), ("under_1b", 1_000)):
        shop = ShopFactory(sales_bracket=bracket)
        _device, token = device_for(shop)
        client = APIClient(HTTP_HOST=CITY_HOST)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        code = payment_code_issue(user=citizen).number
        response = client.post(
            "/api/v1/counter/payments",
            {"code": code, "amount": 10_000},
            format="json",
            headers={"Idempotency-Key": f"class-{bracket}"},
        )
        from django.db import connection

        connection.set_tenant(city)
        assert response.status_code == 201, response.json()
        assert response.json()["cashback"] == expected, bracket


def _statements(queries) -> list[str]:
    """What each statement a request sent calls or reads, savepoints left out."""
    return [
        q["sql"].split("(")[0]
        for q in queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_counter_payment_is_three_statements(device_api, citizen, budget):
    """The counter's hot path: the device, the code (with the recent failures) and the payment,
    each one call of a database function whose plans the connection keeps. An ORM query added
    on the way shows up here."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    budget(1_000_000)
    charge(citizen, 100_000)
    warm = payment_code_issue(user=citizen).number
    device_api.post(  # the first use of a device records when it was used
        "/api/v1/counter/payments",
        {"code": warm, "amount": 1_000},
        format="json",
        headers={"Idempotency-Key": "warm"},
    )
    code = payment_code_issue(user=citizen).number
    with CaptureQueriesContext(connection) as captured:
        response = device_api.post(
            "/api/v1/counter/payments",
            {"code": code, "amount": 2_000},
            format="json",
            headers={"Idempotency-Key": "hot"},
        )
    assert response.status_code == 201, response.json()
    assert response.json()["cashback"] == 200
    assert _statements(captured.captured_queries) == [
        "SELECT * FROM counter_device",
        "SELECT * FROM payment_code_find",
        "SELECT wallet_pay",
    ]


def test_history_shows_the_incentive_part_and_the_cashback_of_a_payment(
    citizen_api, citizen, shop, budget
):
    """One posting on the incentive balance per payment (spent part and cashback netted in the
    ledger); the history lists them as the two movements they are."""
    from tests.vouchers.conftest import pay

    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 50_000)  # principal 50,000, incentive 5,000
    body = pay(citizen, shop, 1_001)  # incentive 91, principal 910, cashback 100
    history = citizen_api.get("/api/v1/wallet/history").json()
    latest = [(h["kind"], h["account"], h["amount"]) for h in history[:3]]
    assert latest == [
        ("payment", "wallet_incentive", -91),
        ("cashback", "wallet_incentive", 100),
        ("payment", "wallet_principal", -910),
    ]
    assert {h["entry_id"] for h in history[:3]} == {
        Payment.objects.get(pk=body["payment_id"]).entry_id
    }
