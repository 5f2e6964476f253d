"""The arithmetic of good rental: pure functions, no database."""

import datetime as dt
import hashlib
import json

import pytest

from rentals import rules


def test_a_rate_cut_rounds_down_to_the_won():
    # 1,234,567 × 10% = 123,456.7 → 123,456
    assert (
        rules.monthly_reduction(rent_before=1_234_567, kind="rate", rate_bp=1000, amount=None)
        == 123_456
    )
    # 333,333 × 15% = 49,999.95 → 49,999
    assert (
        rules.monthly_reduction(rent_before=333_333, kind="rate", rate_bp=1500, amount=None)
        == 49_999
    )


def test_an_amount_cut_is_taken_as_given():
    assert (
        rules.monthly_reduction(rent_before=900_000, kind="amount", rate_bp=None, amount=90_000)
        == 90_000
    )


@pytest.mark.parametrize(
    ("kind", "rate_bp", "amount", "ok"),
    [
        ("rate", 1000, None, True),
        ("rate", 999, None, False),
        ("rate", 10000, None, True),
        ("amount", None, 100_000, True),
        ("amount", None, 99_999, False),
    ],
)
def test_the_minimum_is_ten_percent_exactly(kind, rate_bp, amount, ok):
    assert (
        rules.meets_minimum(
            rent_before=1_000_000, kind=kind, rate_bp=rate_bp, amount=amount, min_bp=1000
        )
        is ok
    )


def test_the_minimum_amount_is_decided_without_rounding():
    # 10% of 1,234,567 is 123,456.7: 123,456 won is short of it, 123,457 is enough.
    assert rules.minimum_amount(rent_before=1_234_567, min_bp=1000) == 123_457
    assert not rules.meets_minimum(
        rent_before=1_234_567, kind="amount", rate_bp=None, amount=123_456, min_bp=1000
    )
    assert rules.meets_minimum(
        rent_before=1_234_567, kind="amount", rate_bp=None, amount=123_457, min_bp=1000
    )


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (dt.date(2020, 3, 1), 3, dt.date(2020, 5, 31)),
        (dt.date(2020, 4, 1), 3, dt.date(2020, 6, 30)),
        (dt.date(2020, 11, 15), 3, dt.date(2021, 2, 14)),
        (dt.date(2020, 1, 31), 1, dt.date(2020, 2, 28)),
        (dt.date(2020, 1, 1), 12, dt.date(2020, 12, 31)),
    ],
)
def test_period_end_is_the_last_day_of_the_months(start, months, end):
    assert rules.period_end(start, months) == end


def test_the_clawback_deadline_is_june_30_of_the_following_year():
    assert rules.clawback_deadline(dt.date(2020, 6, 30)) == dt.date(2021, 6, 30)
    assert rules.clawback_deadline(dt.date(2020, 12, 31)) == dt.date(2021, 6, 30)


def _reason(kind, new_rent, start=dt.date(2021, 1, 1)):
    return rules.clawback_reason(
        kind=kind,
        new_rent=new_rent,
        rent_before=1_000_000,
        renewal_cap_bp=500,
        record_start=start,
        agreement_end=dt.date(2020, 6, 30),
    )


def test_a_change_above_the_pre_cut_rent_claws_back():
    assert _reason("change", 1_000_001) == "above_pre_cut"
    assert _reason("change", 1_000_000) == ""


def test_a_renewal_may_raise_the_rent_by_five_percent_but_no_more():
    assert _reason("renewal", 1_050_000) == ""
    assert _reason("renewal", 1_050_001) == "renewal_over_cap"


def test_rises_after_june_30_of_the_following_year_do_not_claw_back():
    assert _reason("change", 2_000_000, start=dt.date(2021, 6, 30)) == "above_pre_cut"
    assert _reason("change", 2_000_000, start=dt.date(2021, 7, 1)) == ""
    assert _reason("renewal", 2_000_000, start=dt.date(2021, 6, 30)) == "renewal_over_cap"
    assert _reason("renewal", 2_000_000, start=dt.date(2021, 7, 1)) == ""


def test_relief_estimates_round_down():
    estimate = rules.relief_estimate(
        total_reduction=300_001,
        property_tax_amount=123_457,
        income_over_threshold=False,
        property_tax_cut_bp=5000,
        national_credit_bp=7000,
        national_credit_high_income_bp=5000,
    )
    assert estimate.property_tax_estimate == 61_728  # 61,728.5
    assert estimate.credit_bp == 7000
    assert estimate.credit_estimate == 210_000  # 210,000.7


def test_the_credit_is_fifty_percent_over_the_income_line():
    estimate = rules.relief_estimate(
        total_reduction=300_001,
        property_tax_amount=0,
        income_over_threshold=True,
        property_tax_cut_bp=7000,
        national_credit_bp=7000,
        national_credit_high_income_bp=5000,
    )
    assert (estimate.credit_bp, estimate.credit_estimate) == (5000, 150_000)
    assert estimate.property_tax_estimate == 0


def test_canonical_json_ignores_key_order_and_keeps_korean():
    a = {"b": 1, "a": {"y": "풍남동", "x": 2}}
    b = {"a": {"x": 2, "y": "풍남동"}, "b": 1}
    assert rules.canonical_json(a) == rules.canonical_json(b)
    assert rules.canonical_json(a) == '{"a":{"x":2,"y":"풍남동"},"b":1}'.encode()
    assert rules.terms_hash(a) == hashlib.sha256(rules.canonical_json(b)).hexdigest()


def test_any_changed_term_changes_the_hash():
    terms = {"months": 3, "rent_before": 1_000_000, "reduction": {"rate_bp": 1000}}
    changed = json.loads(json.dumps(terms))
    changed["reduction"]["rate_bp"] = 1001
    assert rules.terms_hash(terms) != rules.terms_hash(changed)
