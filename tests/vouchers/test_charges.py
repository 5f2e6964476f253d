"""Charging: limits enforced when the provider confirms, incentive from the budget, overrides,
carry-over, cancellation within 7 days."""

import datetime as dt

import pytest
import time_machine

from ledger.models import Account
from ledger.selectors import ledger_check
from tests.vouchers.conftest import balances, charge, pay
from vouchers.exceptions import (
    ChargeError,
    ChargeLimitError,
    ChargeNotCancellableError,
    ChargeNotFoundError,
)
from vouchers.models import Charge, MonthlyUsage
from vouchers.models_sandbox import SandboxPayment
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_cancel, charge_create, policy_override_add, policy_set

JAN = dt.datetime(2021, 1, 10, 3, tzinfo=dt.UTC)


@pytest.fixture
def incentive_policy(staff):
    """Wanju-like: 10% charging incentive, capped at 30,000 won a month."""
    return policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=1000,
        cashback_bp=0,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
        monthly_incentive_cap=30_000,
    )


def float_balance():
    return sum(Account.objects.filter(kind="float").values_list("balance", flat=True))


def clearing_balance():
    """Minus what the sandbox gateway owes the city (card money not yet paid out)."""
    return sum(
        Account.objects.filter(kind="provider_clearing", provider="sandbox").values_list(
            "balance", flat=True
        )
    )


@pytest.mark.usefixtures("jeonju_policy")
def test_a_charge_credits_principal_against_the_providers_clearing_account(citizen):
    created, url = charge_create(user=citizen, amount=100_000)
    assert created.status == "created"
    assert url == f"/sandbox-pg/checkout/{created.order_id}/"
    assert balances(citizen) == (0, 0)  # nothing before the provider confirms
    sandbox_approve(created.order_id)
    created.refresh_from_db()
    assert created.status == "paid"
    assert balances(citizen) == (100_000, 0)
    # The card money is at the provider until it pays out: the provider owes it, the float
    # (the city's bank account for citizens' money) has not received it yet.
    assert clearing_balance() == -100_000
    assert float_balance() == 0
    assert MonthlyUsage.objects.get(user=citizen).charged == 100_000


@pytest.mark.usefixtures("incentive_policy")
def test_charging_incentive_rounds_down_and_stops_at_the_monthly_cap(citizen, budget):
    budget(1_000_000)
    assert charge(citizen, 123_000).incentive == 12_300
    assert charge(citizen, 150_000).incentive == 15_000
    assert charge(citizen, 50_000).incentive == 2_700  # 5,000 wanted, 30,000 cap: 2,700 left
    assert balances(citizen) == (323_000, 30_000)
    assert ledger_check().ok


@pytest.mark.usefixtures("incentive_policy")
def test_incentive_is_limited_by_the_remaining_budget(citizen, budget):
    budget(16 * 50)  # 800 won in all
    assert charge(citizen, 10_000).incentive == 800
    assert charge(citizen, 10_000).incentive == 0


@pytest.mark.usefixtures("jeonju_policy")
def test_the_monthly_limit_is_checked_before_the_provider(citizen):
    charge(citizen, 400_000)
    with pytest.raises(ChargeLimitError) as exc:
        charge_create(user=citizen, amount=101_000)
    assert "100,000" in exc.value.message
    charge(citizen, 100_000)  # exactly the limit
    with pytest.raises(ChargeLimitError):
        charge_create(user=citizen, amount=1_000)


@pytest.mark.usefixtures("jeonju_policy")
def test_the_limit_is_enforced_again_when_the_provider_confirms(
    citizen, django_capture_on_commit_callbacks
):
    first, _ = charge_create(user=citizen, amount=300_000)
    second, _ = charge_create(user=citizen, amount=300_000)  # both fit when created
    assert sandbox_approve(first.order_id)["status"] == "credited"
    with django_capture_on_commit_callbacks(execute=True):
        outcome = sandbox_approve(second.order_id)
    assert outcome["status"] == "over_limit"
    second.refresh_from_db()
    assert second.status == "failed"
    assert balances(citizen) == (300_000, 0)
    # The card payment is given back at the provider, once the refusal has committed.
    assert SandboxPayment.objects.get(order_id=second.order_id).status == "cancelled"
    assert clearing_balance() == -300_000


@pytest.mark.usefixtures("jeonju_policy")
def test_january_override_raises_the_limit_to_a_million(staff, citizen):
    policy_override_add(
        by=staff,
        starts_on=dt.date(2021, 1, 1),
        ends_on=dt.date(2021, 2, 28),
        monthly_charge_limit=1_000_000,
        cashback_bp=2000,
    )
    with time_machine.travel(JAN):
        charge(citizen, 1_000_000)
        with pytest.raises(ChargeLimitError):
            charge_create(user=citizen, amount=1_000)
    with time_machine.travel(dt.datetime(2021, 3, 3, 3, tzinfo=dt.UTC)):
        charge(citizen, 500_000)
        with pytest.raises(ChargeLimitError):
            charge_create(user=citizen, amount=1_000)


@pytest.mark.parametrize(("carry_over", "april_limit"), [(True, 800_000), (False, 500_000)])
def test_unused_limit_carries_over_when_the_policy_says_so(staff, citizen, carry_over, april_limit):
    policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=0,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
        carry_over=carry_over,
    )
    with time_machine.travel(dt.datetime(2021, 3, 10, 3, tzinfo=dt.UTC)):
        charge(citizen, 200_000)  # 300,000 unused in March
    with time_machine.travel(dt.datetime(2021, 4, 10, 3, tzinfo=dt.UTC)):
        charge(citizen, april_limit)
        with pytest.raises(ChargeLimitError):
            charge_create(user=citizen, amount=1_000)


def test_annual_and_holding_limits(staff, citizen):
    policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
        annual_charge_limit=700_000,
        holding_limit=600_000,
    )
    with time_machine.travel(dt.datetime(2021, 5, 10, 3, tzinfo=dt.UTC)):
        charge(citizen, 500_000)
    with time_machine.travel(dt.datetime(2021, 6, 10, 3, tzinfo=dt.UTC)):
        with pytest.raises(ChargeLimitError) as exc:
            charge_create(user=citizen, amount=150_000)  # holding would be 650,000
        assert "600,000" in exc.value.message
        charge(citizen, 100_000)
    with time_machine.travel(dt.datetime(2021, 7, 10, 3, tzinfo=dt.UTC)):
        with pytest.raises(ChargeLimitError) as exc:
            charge_create(user=citizen, amount=101_000)  # the year would reach 701,000
        assert "700,000" in exc.value.message


@pytest.mark.usefixtures("jeonju_policy")
@pytest.mark.parametrize("amount", [0, -1_000, 500, 1_500, "abc", None, 10**12])
def test_bad_charge_amounts_are_refused(citizen, amount):
    from ledger.exceptions import InvalidAmountError

    with pytest.raises((ChargeError, InvalidAmountError)):
        charge_create(user=citizen, amount=amount)
    assert not Charge.objects.exists()


@pytest.mark.usefixtures("incentive_policy")
def test_cancel_within_7_days_returns_principal_and_removes_the_incentive(
    citizen, budget, django_capture_on_commit_callbacks
):
    budget(1_000_000)
    created = charge(citizen, 100_000)
    assert created.incentive == 10_000
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        charge_cancel(charge=created, by=citizen)
    # Nothing is sent to the provider before the cancellation has committed.
    assert SandboxPayment.objects.get(order_id=created.order_id).status == "approved"
    for callback in callbacks:
        callback()
    created.refresh_from_db()
    assert created.status == "cancelled"
    assert balances(citizen) == (0, 0)
    assert clearing_balance() == 0
    assert float_balance() == 0
    assert (
        sum(Account.objects.filter(kind="incentive_budget").values_list("balance", flat=True))
        == 1_000_000
    )
    usage = MonthlyUsage.objects.get(user=citizen)
    assert (usage.charged, usage.incentive) == (0, 0)
    assert SandboxPayment.objects.get(order_id=created.order_id).status == "cancelled"
    with pytest.raises(ChargeNotCancellableError):
        charge_cancel(charge=created, by=citizen)
    assert ledger_check().ok


@pytest.mark.usefixtures("jeonju_policy")
def test_no_cancel_after_7_days(citizen):
    start = dt.datetime(2021, 5, 1, 3, tzinfo=dt.UTC)
    with time_machine.travel(start):
        created = charge(citizen, 100_000)
    with time_machine.travel(start + dt.timedelta(days=7, minutes=1)):
        with pytest.raises(ChargeNotCancellableError) as exc:
            charge_cancel(charge=created, by=citizen)
        assert "7일" in exc.value.message
    assert balances(citizen) == (100_000, 0)


@pytest.mark.usefixtures("jeonju_policy")
def test_no_cancel_once_the_wallet_was_used(citizen, shop, budget):
    budget(100_000)
    created = charge(citizen, 100_000)
    pay(citizen, shop, 1_000)
    with pytest.raises(ChargeNotCancellableError):
        charge_cancel(charge=created, by=citizen)


@pytest.mark.usefixtures("jeonju_policy")
def test_nobody_cancels_another_citizens_charge(citizen):
    from tests.accounts.factories import CitizenFactory

    created = charge(citizen, 100_000)
    with pytest.raises(ChargeNotFoundError) as exc:  # another's charge is as good as none: 404
        charge_cancel(charge=created, by=CitizenFactory())
    assert exc.value.status == 404
