import datetime as dt

import pytest

from ledger.selectors import citizen_balances
from ledger.services import Idem
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.merchants.factories import ShopFactory
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import budget_fund, charge_create, pin_set, policy_set, wallet_pay


@pytest.fixture
def staff(city):
    return StaffFactory()


@pytest.fixture
def jeonju_policy(staff):
    """10% cashback up to 50,000 won a month, 500,000 won monthly charge limit."""
    return policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=0,
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
    )


@pytest.fixture
def budget(staff):
    def fund(amount=10_000_000, key="b1"):
        return budget_fund(
            by=staff,
            name="test budget",
            starts_on=dt.date(2020, 1, 1),
            ends_on=dt.date(2030, 12, 31),
            amount=amount,
            idempotency_key=key,
        )

    return fund


@pytest.fixture
def citizen(city):
    user = CitizenFactory()
    pin_set(user=user, pin="123456", password="test-pass-1234")
    return user


@pytest.fixture
def shop(city):
    return ShopFactory()


def charge(user, amount):
    """Charge through the sandbox provider, as a citizen would."""
    created, _url = charge_create(user=user, amount=amount)
    outcome = sandbox_approve(created.order_id)
    assert outcome["status"] == "credited", outcome
    created.refresh_from_db()
    return created


def pay(user, shop, amount, key=None, method="shop_qr"):
    key = key or f"pay-{user.pk}-{shop.pk}-{amount}-{pay.counter}"
    pay.counter += 1
    return wallet_pay(
        user=user,
        shop=shop,
        amount=amount,
        method=method,
        idem=Idem.of(f"user:{user.pk}", key, "t"),
    ).body


pay.counter = 0


def balances(user):
    b = citizen_balances(user_id=user.pk)
    return b.principal, b.incentive
