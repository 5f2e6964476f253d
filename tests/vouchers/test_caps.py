"""Incentive caps: pacing a budget that would run out mid-month (exact figures), the decision
biting on payments and charges, first come first served, month rollover with and without
carry-over, shard rebalancing."""

import datetime as dt

import pytest
import time_machine

from ledger.models import Account, Entry
from ledger.selectors import ledger_check
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.dashboard.scenario import at
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.caps import caps_recompute, usage_month_open
from vouchers.models import CapDecision, Charge, MonthlyUsage
from vouchers.rules import rules_on
from vouchers.services import budget_fund, charge_headroom, policy_set

MARCH_1 = dt.date(2026, 3, 1)
D = dt.date(2026, 3, 10)
NEXT = D + dt.timedelta(days=1)


def march_policy(**overrides):
    fields = {
        "effective_from": dt.date(2020, 1, 1),
        "cashback_bp": 1000,
        "charge_incentive_bp": 800,
        "monthly_charge_limit": 5_000_000,
        "monthly_cashback_cap": 1_000_000,
    } | overrides
    return policy_set(by=None, **fields)


def budget_left() -> int:
    return sum(
        Account.objects.filter(kind=Account.Kind.INCENTIVE_BUDGET).values_list("balance", flat=True)
    )


@pytest.fixture
def a_week_of_burn(city):
    """A 264,000-won budget for March. On the 1st a charge of 800,000 takes 64,000 of charging
    incentive (8%); from the 4th to the 10th, 100,000 won of payments a day take 10,000 of
    cashback a day (10%): 70,000 burnt in the last 7 days, 130,000 left on the 10th."""

    def make(**policy):
        march_policy(**policy)
        budget_fund(
            by=None,
            name="2026-03",
            starts_on=MARCH_1,
            ends_on=dt.date(2026, 3, 31),
            amount=264_000,
            idempotency_key="march",
        )
        citizen, shop = CitizenFactory(), ShopFactory()
        with time_machine.travel(at(MARCH_1, 10)):
            charge(citizen, 800_000)
        for day in range(4, 11):
            with time_machine.travel(at(dt.date(2026, 3, day), 12)):
                assert pay(citizen, shop, 100_000)["cashback"] == 10_000
        assert budget_left() == 130_000
        return citizen, shop

    return make


def test_a_budget_that_would_run_out_mid_month_is_paced_to_last(a_week_of_burn):
    citizen, shop = a_week_of_burn()
    with time_machine.travel(at(NEXT, 2)):
        report = caps_recompute(business_date=D)
    decision = report.decision
    assert report.note == "decided"
    # At 10,000 a day the 130,000 left runs out on the 23rd (13 days), not the 31st.
    assert decision.runs_out_on == dt.date(2026, 3, 23)
    assert (decision.remaining, decision.burn, decision.burn_days, decision.days_left) == (
        130_000,
        70_000,
        7,
        21,
    )
    # 10% × 130,000 × 7 / (70,000 × 21) = 6.19...%, down to the basis point.
    assert (decision.rate_bp, decision.policy_rate_bp) == (619, 1000)
    assert (decision.effective_from, decision.valid_until) == (NEXT, dt.date(2026, 3, 31))
    assert decision.inputs["daily_burn"] == 10_000
    assert decision.inputs["affordable_per_day"] == 6_190  # 130,000 / 21, rounded down
    assert decision.inputs["burn_by_day"]["2026-03-04"] == 10_000
    assert decision.inputs["rate_by_day"]["2026-03-04"] == 1000
    assert decision.inputs["spending_per_day"] == 100_000

    # It bites the next day, on cashback and on the charging incentive alike.
    with time_machine.travel(at(NEXT, 12)):
        assert rules_on(NEXT).cap_rate_bp == 619
        assert pay(citizen, shop, 100_000)["cashback"] == 6_190
        charge(citizen, 100_000)
        assert (
            Charge.objects.order_by("-created_at", "-id").first().incentive == 6_190
        )  # min(8%, 6.19%)
    assert rules_on(D).cap_rate_bp is None  # not retroactive
    assert ledger_check().ok


def test_the_next_decision_paces_from_the_rate_in_force(a_week_of_burn):
    citizen, shop = a_week_of_burn()
    with time_machine.travel(at(NEXT, 2)):
        caps_recompute(business_date=D)
    with time_machine.travel(at(NEXT, 12)):
        pay(citizen, shop, 100_000)  # 6,190 at the capped rate
    day2 = NEXT
    with time_machine.travel(at(day2 + dt.timedelta(days=1), 2)):
        decision = caps_recompute(business_date=day2).decision
    # Window 5th..11th: 6 × 10,000 at 10% and 6,190 at 6.19%: the same 100,000 of spending a
    # day. 123,810 left for 20 days of it: 123,810 / 2,000,000 = 6.19% → 619 bp again (stable).
    assert (decision.burn, decision.remaining, decision.days_left) == (66_190, 123_810, 20)
    assert decision.inputs["rate_by_day"]["2026-03-11"] == 619
    assert decision.inputs["spending_per_day"] == 100_000
    assert decision.rate_bp == 619


def test_first_come_first_served_records_the_day_incentives_stop(a_week_of_burn):
    citizen, shop = a_week_of_burn(budget_mode="first_come")
    with time_machine.travel(at(NEXT, 2)):
        decision = caps_recompute(business_date=D).decision
    assert (decision.mode, decision.rate_bp) == ("first_come", None)
    assert decision.runs_out_on == dt.date(2026, 3, 23)
    with time_machine.travel(at(NEXT, 12)):
        assert pay(citizen, shop, 100_000)["cashback"] == 10_000  # rates stay


def test_a_budget_that_lasts_keeps_the_policy_rates(city):
    march_policy()
    budget_fund(
        by=None,
        name="big",
        starts_on=MARCH_1,
        ends_on=dt.date(2026, 3, 31),
        amount=10_000_000,
        idempotency_key="big",
    )
    citizen, shop = CitizenFactory(), ShopFactory()
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        pay(citizen, shop, 100_000)
    with time_machine.travel(at(NEXT, 2)):
        decision = caps_recompute(business_date=D).decision
    assert decision.rate_bp is None
    assert rules_on(NEXT).cap_rate_bp is None


def test_without_a_budget_period_or_a_policy_there_is_nothing_to_decide(city):
    with time_machine.travel(at(NEXT, 2)):
        assert caps_recompute(business_date=D).note == "no_policy"
        march_policy()
        assert caps_recompute(business_date=D).note == "no_budget_period"
    assert not CapDecision.objects.exists()


def test_a_decision_is_made_once_per_date(a_week_of_burn):
    a_week_of_burn()
    with time_machine.travel(at(NEXT, 2)):
        first = caps_recompute(business_date=D)
        again = caps_recompute(business_date=D)
    assert (first.note, again.note) == ("decided", "already_decided")
    assert not again.changed
    assert again.decision.pk == first.decision.pk
    assert CapDecision.objects.count() == 1


def test_the_shards_are_evened_out_once_per_date(a_week_of_burn):
    a_week_of_burn()
    with time_machine.travel(at(NEXT, 2)):
        report = caps_recompute(business_date=D)
        again = caps_recompute(business_date=D)
    assert (report.rebalanced, again.rebalanced) == (True, False)
    shards = list(
        Account.objects.filter(kind=Account.Kind.INCENTIVE_BUDGET).values_list("balance", flat=True)
    )
    assert sum(shards) == 130_000
    assert max(shards) - min(shards) <= 1
    assert Entry.objects.filter(idempotency_key="rebalance:nightly:2026-03-10").count() == 1


# --- A new month ---------------------------------------------------------------------------------


@pytest.fixture
def march_charges(city):
    def make(carry_over):
        policy_set(
            by=None,
            effective_from=dt.date(2020, 1, 1),
            cashback_bp=1000,
            monthly_charge_limit=500_000,
            monthly_cashback_cap=50_000,
            carry_over=carry_over,
        )
        light, heavy, absent = CitizenFactory(), CitizenFactory(), CitizenFactory()
        with time_machine.travel(at(dt.date(2026, 3, 5), 10)):
            charge(light, 200_000)
            charge(heavy, 500_000)
        return light, heavy, absent

    return make


def test_a_new_month_resets_headroom_and_carries_over_what_the_policy_allows(march_charges):
    light, heavy, _absent = march_charges(carry_over=True)
    last_day = dt.date(2026, 3, 31)
    with time_machine.travel(at(last_day + dt.timedelta(days=1), 2)):
        report = caps_recompute(business_date=last_day)
    assert (report.usage_month, report.usage_rows) == (dt.date(2026, 4, 1), 2)
    april = {u.user_id: u for u in MonthlyUsage.objects.filter(month=dt.date(2026, 4, 1))}
    assert set(april) == {light.pk, heavy.pk}  # `absent` gets a row when they first charge
    assert (april[light.pk].carried_in, april[light.pk].charged) == (300_000, 0)
    assert (april[heavy.pk].carried_in, april[heavy.pk].charged) == (0, 0)
    rules = rules_on(dt.date(2026, 4, 1))
    assert charge_headroom(usage=april[light.pk], rules=rules) == 800_000
    assert charge_headroom(usage=april[heavy.pk], rules=rules) == 500_000
    with time_machine.travel(at(dt.date(2026, 4, 1), 10)):
        charge(light, 800_000)  # the carried-over headroom is usable
    assert usage_month_open(month=dt.date(2026, 4, 1)) == 0  # once


def test_without_carry_over_every_citizen_starts_the_month_at_the_limit(march_charges):
    light, heavy, _absent = march_charges(carry_over=False)
    last_day = dt.date(2026, 3, 31)
    with time_machine.travel(at(last_day + dt.timedelta(days=1), 2)):
        caps_recompute(business_date=last_day)
    april = {u.user_id: u for u in MonthlyUsage.objects.filter(month=dt.date(2026, 4, 1))}
    assert {uid: (u.carried_in, u.charged) for uid, u in april.items()} == {
        light.pk: (0, 0),
        heavy.pk: (0, 0),
    }


def test_mid_month_no_rows_are_created(march_charges):
    march_charges(carry_over=True)
    with time_machine.travel(at(dt.date(2026, 3, 16), 2)):
        report = caps_recompute(business_date=dt.date(2026, 3, 15))
    assert (report.usage_month, report.usage_rows) == (None, 0)
    assert not MonthlyUsage.objects.filter(month=dt.date(2026, 4, 1)).exists()


def test_staff_see_the_decision_with_its_inputs(a_week_of_burn, client_for):
    a_week_of_burn()
    with time_machine.travel(at(NEXT, 2)):
        caps_recompute(business_date=D)
    page = client_for(StaffFactory()).get("/dashboard/operations/").content.decode()
    assert "6.19%" in page  # the rate ceiling
    assert "2026-03-23" in page  # runs out at the recent pace
    assert "130,000원" in page
    assert "70,000원" in page
