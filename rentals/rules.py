"""The good-rental arithmetic, as pure functions (no database): reductions, periods, reliefs,
claw-back and the terms hash. Every division of won goes through ``ledger.money.apply_rate``,
the project's one rounding rule (down to the won)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from ledger.money import BASIS_POINTS, apply_rate

# The credit is clawed back for rent rises up to the end of June of the year after the
# agreement ends (the national good-landlord credit rule).
CLAWBACK_MONTH, CLAWBACK_DAY = 6, 30
# Dates outside these years are typing errors, and would overflow date arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def monthly_reduction(*, rent_before: int, kind: str, rate_bp: int | None, amount: int | None):
    """The monthly cut in won: ``rent × rate`` rounded down, or the amount as given."""
    if kind == "rate":
        return apply_rate(rent_before, int(rate_bp or 0))
    return int(amount or 0)


def meets_minimum(*, rent_before: int, kind: str, rate_bp, amount, min_bp: int) -> bool:
    """Is the cut at least ``min_bp`` of the rent? Exact in integers: no rounding decides it."""
    if kind == "rate":
        return int(rate_bp or 0) >= min_bp
    return int(amount or 0) * BASIS_POINTS >= rent_before * min_bp


def minimum_amount(*, rent_before: int, min_bp: int) -> int:
    """The smallest whole-won monthly cut that meets ``min_bp``: a threshold to tell the
    landlord, so it rounds up (the money itself is only ever rounded down)."""
    return -(-rent_before * min_bp // BASIS_POINTS)


def effective_rate_bp(*, rent_before: int, monthly: int) -> int:
    """The cut as basis points of the rent, rounded down (for display)."""
    if rent_before <= 0:
        return 0
    return monthly * BASIS_POINTS // rent_before


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months on, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: dt.date, months: int) -> dt.date:
    """The last day of ``months`` months from ``start``: 2020-03-01 + 3 → 2020-05-31."""
    return add_months(start, months) - dt.timedelta(days=1)


def clawback_deadline(agreement_end: dt.date) -> dt.date:
    """The last day a rent rise still claws the credit back: 30 June of the following year."""
    return dt.date(agreement_end.year + 1, CLAWBACK_MONTH, CLAWBACK_DAY)


def clawback_reason(
    *,
    kind: str,
    new_rent: int,
    rent_before: int,
    renewal_cap_bp: int,
    record_start: dt.date,
    agreement_end: dt.date,
) -> str:
    """Why a later lease record claws the agreement's credit back ('' when it does not).

    A renewal may raise the pre-cut rent by at most ``renewal_cap_bp`` (5%); any other later
    record may not raise it above the pre-cut rent at all. Only records that take effect on or
    before ``clawback_deadline`` count. Compared in integers, without rounding.
    """
    if record_start > clawback_deadline(agreement_end):
        return ""
    if kind == "renewal":
        if new_rent * BASIS_POINTS > rent_before * (BASIS_POINTS + renewal_cap_bp):
            return "renewal_over_cap"
        return ""
    if new_rent > rent_before:
        return "above_pre_cut"
    return ""


@dataclass(frozen=True)
class ReliefEstimate:
    property_tax_cut_bp: int
    property_tax_estimate: int
    credit_bp: int
    credit_estimate: int


def relief_estimate(
    *,
    total_reduction: int,
    property_tax_amount: int,
    income_over_threshold: bool,
    property_tax_cut_bp: int,
    national_credit_bp: int,
    national_credit_high_income_bp: int,
) -> ReliefEstimate:
    """The landlord's two reliefs, each rounded down to the won:

    - the city's property-tax cut: ``property tax on the leased unit × cut rate``;
    - the national good-landlord credit: ``total reduction × 70%`` (50% over the income line).
    """
    credit_bp = national_credit_high_income_bp if income_over_threshold else national_credit_bp
    return ReliefEstimate(
        property_tax_cut_bp=property_tax_cut_bp,
        property_tax_estimate=apply_rate(property_tax_amount, property_tax_cut_bp),
        credit_bp=credit_bp,
        credit_estimate=apply_rate(total_reduction, credit_bp),
    )


def canonical_json(terms: dict) -> bytes:
    """One byte string per set of terms: sorted keys, no spaces, UTF-8 (Korean kept as is)."""
    return json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def terms_hash(terms: dict) -> str:
    return hashlib.sha256(canonical_json(terms)).hexdigest()
