import datetime as dt

from ledger.selectors import citizen_balances
from ledger.services import Idem
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import budget_fund, charge_create, policy_set, wallet_pay


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


def jeonju_rules_and_budget(
    *,
    by=None,
    amount=1_000_000,
    name="budget",
    starts_on=dt.date(2026, 1, 1),
    ends_on=dt.date(2026, 12, 31),
    key="b",
):
    """Jeonju's wallet rules (10% cashback up to 50,000 won a month, 500,000 won a month to
    charge) from 2020, and an incentive budget for a period, for tests with committed data
    (where the ``jeonju_policy`` and ``budget`` fixtures do not reach)."""
    policy_set(
        by=by,
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
    )
    budget_fund(
        by=by,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        amount=amount,
        idempotency_key=key,
    )
