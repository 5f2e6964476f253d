"""Factories and helpers for solidarity's tests: wallets with principal and incentive made the
way citizens make them (a sandbox charge, then a payment whose cashback is the incentive)."""

from __future__ import annotations

import datetime as dt
import itertools

from ledger.selectors import citizen_balances
from ledger.services import Idem
from solidarity.services import gift_send
from tests.vouchers.conftest import charge, pay
from vouchers.services import pin_set, policy_set

PIN = "123456"
_keys = itertools.count(1)


def solidarity_policy(*, by=None, gift_daily_cap=300_000, gift_monthly_cap=500_000):
    """Jeonju's wallet rules (10% cashback up to 50,000 won a month) with gift caps."""
    return policy_set(
        by=by,
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
        gift_daily_cap=gift_daily_cap,
        gift_monthly_cap=gift_monthly_cap,
    )


def with_pin(user):
    pin_set(user=user, pin=PIN, password="test-pass-1234")
    return user


def fill_wallet(user, shop, *, charged=200_000, spent=100_000):
    """Charge ``charged``, spend ``spent`` at ``shop`` (10% cashback): with the defaults the
    wallet holds 100,000 principal and 10,000 incentive."""
    charge(user, charged)
    if spent:
        pay(user, shop, spent)
    balances = citizen_balances(user_id=user.pk)
    return balances.principal, balances.incentive


def wallet(user):
    b = citizen_balances(user_id=user.pk)
    return b.principal, b.incentive


def give(sender, to, amount, *, key=None, pin=PIN, message=""):
    key = key or f"gift-{next(_keys)}"
    return gift_send(
        sender=sender,
        to=to,
        amount=amount,
        pin=pin,
        message=message,
        idem=Idem.of(f"user:{sender.pk}", key, "gift", str(to).lower(), amount),
    )
