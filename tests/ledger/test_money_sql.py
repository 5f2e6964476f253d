"""One table of money cases through the Python rule, its SQL twin, and the API.

The rounding rule lives in ``ledger/money.py``; ``money_split_second()`` and
``money_apply_rate()`` (ledger/sql/) are its SQL twins for the functions that must split under
their locks (``wallet_pay()``, ``prepaid_redeem()``), and ``usage_charge_headroom()``
(vouchers/sql/) is ``vouchers.rules.charge_headroom`` for the nightly statements. Every case
runs through each; the payment cases also go through ``POST /api/v1/wallet/payments`` and must
move exactly the won the Python rule says.
"""

from __future__ import annotations

import random

import pytest
from django.db import connection

from ledger import money
from ledger.models import Account, Entry
from ledger.services import Leg, account_get_or_create, entry_post
from tests.conftest import CITY_HOST
from vouchers.rules import charge_headroom

# (amount, principal, incentive): the split of a payment between the wallet's two balances.
SPLITS = [
    (1_001, 50_000, 5_000),  # 91.0 exactly
    (7, 49_090, 5_009),  # 0.648: the incentive part rounds down to 0
    (1, 1, 1),  # half a won: down to 0, principal pays
    (3, 1, 2),
    (10_000, 0, 10_000),  # all incentive
    (10_000, 10_000, 0),  # all principal
    (0, 0, 0),  # nothing: everything to the first part
    (99_999, 33_333, 66_667),
    (12_345, 123_457, 9_876),
    (500_000, 499_999, 1),
    (9_999_999_999, 7_777_777_777, 3_333_333_333),  # large: no float, no overflow
]
SPLITS += [
    (a, p, i)
    for a, p, i in (
        (rng.randint(0, 200_000), rng.randint(0, 500_000), rng.randint(0, 100_000))
        for rng in [random.Random(17)]
        for _ in range(40)
    )
]

# (amount, rate in basis points): cashback and incentives.
RATES = [
    (12_345, 1000),  # 1,234.5 → 1,234
    (1, 1000),
    (9, 1000),
    (10, 1000),
    (10_000, 0),
    (10_000, 10_000),
    (33_333, 333),
    (99_999, 1),
    (7, 9_999),
    (9_999_999_999, 1234),
]
RATES += [
    (random.Random(n).randint(0, 300_000), random.Random(-n).randint(0, 5000)) for n in range(30)
]

# (limit, carried_in, charged): the month's charge headroom.
HEADROOMS = [
    (500_000, 0, 0),
    (500_000, 0, 499_999),
    (500_000, 0, 500_000),
    (500_000, 0, 600_000),  # a lower limit after a policy change: never below 0
    (500_000, 200_000, 650_000),
    (0, 0, 0),
    (1_000_000, 1, 1_000_000),
]


def _sql(statement: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize(("amount", "principal", "incentive"), SPLITS)
def test_the_split_is_the_same_in_python_and_sql(city, amount, principal, incentive):
    first, second = money.split(amount, [principal, incentive])
    assert first + second == amount
    assert _sql("SELECT money_split_second(%s, %s, %s)", [amount, principal, incentive]) == second


@pytest.mark.parametrize(("amount", "rate_bp"), RATES)
def test_a_rate_rounds_the_same_in_python_and_sql(city, amount, rate_bp):
    assert _sql("SELECT money_apply_rate(%s, %s)", [amount, rate_bp]) == money.apply_rate(
        amount, rate_bp
    )


@pytest.mark.parametrize(("limit", "carried_in", "charged"), HEADROOMS)
def test_headroom_is_the_same_in_python_and_sql(city, limit, carried_in, charged):
    python = charge_headroom(limit=limit, carried_in=carried_in, charged=charged)
    assert python >= 0
    assert _sql("SELECT usage_charge_headroom(%s, %s, %s)", [limit, carried_in, charged]) == python


def test_sql_refuses_what_python_refuses(city):
    from django.db import DatabaseError, transaction

    for statement in (
        "SELECT money_split_second(-1, 1, 1)",
        "SELECT money_split_second(1, -1, 1)",
        "SELECT money_apply_rate(1, -1)",
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            _sql(statement, [])
    with pytest.raises(ValueError):
        money.split(-1, [1, 1])
    with pytest.raises(ValueError):
        money.apply_rate(1, -1)


# --- Through the API --------------------------------------------------------------------------

API_CASES = [
    (1_001, 50_000, 5_000),
    (7, 49_090, 5_009),
    (3, 1, 2),
    (10_000, 0, 10_000),
    (33_333, 40_000, 1),
    (99_999, 33_333, 66_667),
]


def _wallet_holding(citizen, principal: int, incentive: int) -> None:
    """Put exactly ``principal`` and ``incentive`` won in the citizen's wallet: one entry from
    the outside world (a test's setting, not a path a citizen has)."""
    outside = account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD)
    legs = [Leg.of(outside, -(principal + incentive))]
    for kind, amount in (
        (Account.Kind.WALLET_PRINCIPAL, principal),
        (Account.Kind.WALLET_INCENTIVE, incentive),
    ):
        account = account_get_or_create(kind=kind, user=citizen)
        if amount:
            legs.append(Leg.of(account, amount))
    entry_post(kind=Entry.Kind.ADJUSTMENT, legs=legs, idempotency_key=f"hold-{citizen.pk}")


@pytest.mark.parametrize(("amount", "principal", "incentive"), API_CASES)
def test_a_payment_through_the_api_moves_what_the_rule_says(
    city, jeonju_policy, budget, shop, amount, principal, incentive
):
    from rest_framework.test import APIClient

    from accounts.services import api_token_obtain
    from tests.accounts.factories import CitizenFactory
    from vouchers.services import pin_set

    budget(1_000_000)
    citizen = CitizenFactory()
    pin_set(user=citizen, pin="123456", password="test-pass-1234")
    _wallet_holding(citizen, principal, incentive)

    client = APIClient(HTTP_HOST=CITY_HOST)
    token = api_token_obtain(email=citizen.email, password="test-pass-1234", client_ip="t")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        "/api/v1/wallet/payments",
        {"shop_code": shop.public_code, "amount": amount, "pin": "123456"},
        format="json",
        headers={"Idempotency-Key": f"money-{amount}"},
    )
    connection.set_tenant(city)
    assert response.status_code == 201, response.json()
    body = response.json()
    from_principal, from_incentive = money.split(amount, [principal, incentive])
    cashback = money.apply_rate(amount, 1000)  # the policy's 10%, far below the month's cap
    assert (body["from_principal"], body["from_incentive"], body["cashback"]) == (
        from_principal,
        from_incentive,
        cashback,
    )
    principal_after = Account.objects.get(kind="wallet_principal", owner_user_id=citizen.pk)
    incentive_after = Account.objects.get(kind="wallet_incentive", owner_user_id=citizen.pk)
    assert principal_after.balance == principal - from_principal
    assert incentive_after.balance == incentive - from_incentive + cashback
