"""City staff change the wallet rules, their dated overrides and the incentive budget from
/wallet/policy/: each change a new row with who made it, the rules for a day follow at once,
and every refusal is a message that saves nothing and moves no money."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledger.selectors import ledger_check
from ledger.services import business_date_today
from vouchers.caps import budget_remaining
from vouchers.exceptions import WalletError
from vouchers.models import IncentiveBudget, Policy, PolicyOverride
from vouchers.rules import Rules, rules_on
from vouchers.services import policy_override_add, policy_set

PAGE = "/wallet/policy/"

BASE = {
    "charge_incentive_bp": "0",
    "cashback_bp": "1000",
    "monthly_charge_limit": "500000",
    "monthly_cashback_cap": "50000",
    "budget_mode": "prorate",
}


@pytest.fixture
def staff_client(client_for, staff):
    return client_for(staff)


def _version(client, **changes):
    data = {**BASE, "effective_from": business_date_today().isoformat(), **changes}
    return client.post(PAGE, data)


def test_the_page_shows_the_rules_in_force_and_who_made_each_version(
    staff_client, staff, jeonju_policy, budget
):
    budget(amount=7_000_000)
    page = staff_client.get(PAGE).content.decode()
    for figure in ("10%", "500,000원", "50,000원", "7,000,000원"):  # 7,000,000: funded, and left
        assert figure in page
    assert str(staff) in page
    ids = re.findall(r'\bid="([^"]+)"', page)  # three forms on one page, each label its own field
    assert len(ids) == len(set(ids))


def test_a_new_version_takes_effect_today_with_its_rates_by_class_and_group(
    staff_client, staff, jeonju_policy
):
    response = _version(
        staff_client,
        cashback_bp="1500",
        class_over_3b="0",
        class_under_300m="2000",
        group_low_income="500",
        monthly_charge_limit="700000",
    )
    assert response.status_code == 302
    version = Policy.objects.order_by("-created_at", "-id").first()
    assert version.created_by == staff
    assert version.effective_from == business_date_today()
    assert version.shop_class_cashback_bp == {"over_3b": 0, "under_300m": 2000}
    assert version.citizen_group_bonus_bp == {"low_income": 500}
    rules = rules_on(business_date_today())
    assert rules.policy_id == version.pk
    assert rules.monthly_charge_limit == 700_000
    assert rules.cashback_rate(sales_bracket="under_300m", citizen_group="low_income") == 2500
    assert rules.cashback_rate(sales_bracket="over_3b", citizen_group="low_income") == 0
    assert rules.cashback_rate(sales_bracket="under_1b", citizen_group="general") == 1500


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cashback_bp": "5001"}, "5000"),
        ({"cashback_bp": "-1"}, "0"),
        ({"monthly_charge_limit": "0"}, "1"),
        ({"monthly_charge_limit": "50만"}, "정수"),
        ({"effective_from": "2020-01-01"}, "오늘"),
        ({"class_under_300m": "4800", "group_youth": "500"}, "5000"),
    ],
)
def test_a_version_the_rules_do_not_allow_is_refused_and_nothing_is_saved(
    staff_client, jeonju_policy, changes, message
):
    before = Policy.objects.count()
    response = _version(staff_client, **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Policy.objects.count() == before
    assert rules_on(business_date_today()).policy_id == jeonju_policy.pk


def test_an_override_raises_the_limit_and_cashback_for_its_dates_until_withdrawn(
    staff_client, staff, jeonju_policy
):
    start = business_date_today() + dt.timedelta(days=30)
    end = start + dt.timedelta(days=58)
    response = staff_client.post(
        "/wallet/policy/overrides/",
        {
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat(),
            "monthly_charge_limit": "1000000",
            "cashback_bp": "2000",
            "note": "설 명절",
        },
    )
    assert response.status_code == 302
    override = PolicyOverride.objects.get()
    assert override.created_by == staff
    inside, outside = rules_on(start), rules_on(end + dt.timedelta(days=1))
    assert (inside.monthly_charge_limit, inside.cashback_bp) == (1_000_000, 2000)
    assert (outside.monthly_charge_limit, outside.cashback_bp) == (500_000, 1000)

    response = staff_client.post("/wallet/policy/overrides/withdraw/", {"override": override.pk})
    assert response.status_code == 302
    override.refresh_from_db()
    assert override.withdrawn_by == staff
    assert override.withdrawn_at is not None
    assert rules_on(start).monthly_charge_limit == 500_000

    again = staff_client.post(
        "/wallet/policy/overrides/withdraw/", {"override": override.pk}, follow=True
    )
    assert "이미 철회" in again.content.decode()
    override.refresh_from_db()
    assert override.withdrawn_by == staff


def test_an_override_that_has_begun_cannot_be_withdrawn(staff_client, staff, jeonju_policy):
    today = business_date_today()
    override = policy_override_add(
        by=staff, starts_on=today, ends_on=today + dt.timedelta(days=3), cashback_bp=2000
    )
    response = staff_client.post(
        "/wallet/policy/overrides/withdraw/", {"override": override.pk}, follow=True
    )
    assert "기록" in response.content.decode()
    override.refresh_from_db()
    assert override.withdrawn_at is None
    assert rules_on(today).cashback_bp == 2000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note": "nothing"}, "하나"),
        ({"cashback_bp": "9000"}, "5000"),
        ({"cashback_bp": "2000", "swap": True}, "시작"),
        ({"cashback_bp": "2000", "past": True}, "지난"),
    ],
)
def test_an_override_that_changes_nothing_or_is_out_of_range_is_refused(
    staff_client, jeonju_policy, data, message
):
    start = business_date_today() + dt.timedelta(days=10)
    end = start + dt.timedelta(days=5)
    if data.pop("swap", False):
        start, end = end, start
    if data.pop("past", False):
        start, end = dt.date(2021, 1, 1), dt.date(2021, 2, 28)
    response = staff_client.post(
        "/wallet/policy/overrides/",
        {"starts_on": start.isoformat(), "ends_on": end.isoformat(), **data},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PolicyOverride.objects.exists()


def test_funding_the_budget_moves_exactly_the_amount_once_per_form(staff_client, jeonju_policy):
    before = budget_remaining()
    form = {
        "name": "2027년 상반기",
        "starts_on": "2027-01-01",
        "ends_on": "2027-06-30",
        "amount": "3,000,000",
        "idempotency_key": "form-1",
    }
    assert staff_client.post("/wallet/policy/budgets/", form).status_code == 302
    assert staff_client.post("/wallet/policy/budgets/", form).status_code == 302  # double submit
    assert budget_remaining() == before + 3_000_000
    assert IncentiveBudget.objects.filter(name="2027년 상반기").count() == 1
    assert ledger_check().ok


def test_the_same_form_sent_again_with_another_amount_moves_nothing_more(
    staff_client, jeonju_policy
):
    form = {
        "name": "추경",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "amount": "1000000",
        "idempotency_key": "form-3",
    }
    before = budget_remaining()
    assert staff_client.post("/wallet/policy/budgets/", form).status_code == 302
    response = staff_client.post("/wallet/policy/budgets/", {**form, "amount": "9000000"})
    assert response.status_code == 400
    assert budget_remaining() == before + 1_000_000
    assert IncentiveBudget.objects.filter(name="추경").count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "abc"}, "12000"),
        ({"amount": "0"}, "1원"),
        ({"starts_on": "2027-07-01", "ends_on": "2027-06-30"}, "기간"),
    ],
)
def test_a_budget_the_form_cannot_take_moves_nothing(staff_client, jeonju_policy, changes, message):
    before = budget_remaining()
    form = {
        "name": "잘못된 예산",
        "starts_on": "2027-01-01",
        "ends_on": "2027-06-30",
        "amount": "1000000",
        "idempotency_key": "form-2",
        **changes,
    }
    response = staff_client.post("/wallet/policy/budgets/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert budget_remaining() == before
    assert not IncentiveBudget.objects.filter(name="잘못된 예산").exists()


def test_a_citizen_may_not_open_or_change_the_policy(client_for, citizen, jeonju_policy):
    client = client_for(citizen)
    assert client.get(PAGE).status_code == 403
    assert _version(client, cashback_bp="4000").status_code == 403
    assert Policy.objects.count() == 1


# --- The services, whoever calls them ------------------------------------------------------------


def test_policy_set_refuses_unknown_classes_and_rates_out_of_range(staff):
    base = {"cashback_bp": 1000, "monthly_charge_limit": 500_000, "monthly_cashback_cap": 50_000}
    day = dt.date(2030, 1, 1)
    for bad in (
        {"shop_class_cashback_bp": {"over_9b": 0}},
        {"shop_class_cashback_bp": {"over_3b": 20_000}},
        {"citizen_group_bonus_bp": {"youth": "500"}},
        {"citizen_group_bonus_bp": {"youth": 4500}},
        {"monthly_cashback_cap": -1},
    ):
        with pytest.raises(WalletError):
            policy_set(by=staff, effective_from=day, **{**base, **bad})
    assert not Policy.objects.filter(effective_from=day).exists()


def test_policy_override_add_refuses_rates_out_of_range_and_empty_overrides(staff):
    day = dt.date(2030, 1, 1)
    for bad in ({}, {"cashback_bp": 10_000}, {"monthly_charge_limit": 0}, {"note": "x"}):
        with pytest.raises(WalletError):
            policy_override_add(by=staff, starts_on=day, ends_on=day, **bad)
    assert not PolicyOverride.objects.exists()


def test_no_rate_passes_half_of_the_amount_whatever_adds_up():
    rules = Rules(
        on=dt.date(2030, 1, 1),
        policy_id=1,
        override_id=None,
        charge_incentive_bp=4000,
        cashback_bp=4000,
        monthly_charge_limit=1,
        annual_charge_limit=None,
        holding_limit=None,
        monthly_cashback_cap=1,
        monthly_incentive_cap=None,
        carry_over=False,
        budget_mode="prorate",
        citizen_group_bonus_bp={"youth": 2000},
    )
    assert rules.cashback_rate(sales_bracket="under_300m", citizen_group="youth") == 5000
    assert rules.incentive_rate(citizen_group="youth") == 5000
    assert rules.cashback_rate(sales_bracket="under_300m", citizen_group="general") == 4000
