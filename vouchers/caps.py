"""The nightly incentive-cap step: pace the incentive budget to last its period.

For the business date D just closed, looking at the coming day D+1:

1. A new month opens (D+1 is the 1st): every citizen who had a usage row last month gets this
   month's row in one ``INSERT ... SELECT``, headroom reset, with the unused charge limit
   carried in where the policy's ``carry_over`` allows it (the same rule as ``usage_lock``,
   which still creates rows lazily for anyone else).
2. The budget's shards are evened out (``budget_rebalance``, once per date).
3. A decision (``CapDecision``, one per date) from

   - the budget left ``R`` (the sum of the shards),
   - the days left in the budget period ``N`` (D+1 to the end of the ``IncentiveBudget`` period
     covering D+1),
   - the net burn ``B`` of the last ``w`` business days (w = 7, fewer at the start of a period):
     what left the shards that day, grants less returns, from ledger postings,
   - the rate ``r_d`` in force on each of those days (the policy's, or a ceiling decided before).

   ``prorate``: the burn is proportional to the rate, so each day's burn divided by its rate is
   the spending that earned it, ``V = Σ B_d / r_d`` over the window; the rate that makes ``R``
   last ``N`` days at that spending is ``R × w / (V × N)``, rounded down to the basis point. It
   becomes the ceiling of every cashback and charging-incentive rate (``Rules.cap_rate_bp``)
   unless it is at least the policy's rate; a ceiling rises again when spending slows.
   ``first_come``: rates stay; the decision records the day the budget runs out at the recent
   pace (``D + ⌈R × w / B⌉``), when incentives stop.

Every figure the decision used is stored in ``inputs`` and shown to staff.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min

from ledger.exceptions import IdempotencyConflictError
from ledger.models import Entry
from ledger.money import BASIS_POINTS, split

from .exceptions import PolicyMissingError
from .models import BudgetMode, CapDecision, IncentiveBudget
from .rules import rules_cache_clear, rules_on
from .services import budget_rebalance, month_of, previous_month

logger = logging.getLogger(__name__)

BURN_DAYS = 7


@dataclass
class CapsReport:
    business_date: date
    note: str  # decided | already_decided | no_policy | no_budget_period
    decision: CapDecision | None = None
    usage_month: date | None = None
    usage_rows: int = 0
    rebalanced: bool = False

    @property
    def changed(self) -> bool:
        return self.note == "decided" or bool(self.usage_rows) or self.rebalanced


def per_day(total: int, days: int) -> int:
    """``total`` won spread evenly over ``days``, rounded down (``ledger.money.split``)."""
    if days <= 0:
        return 0
    return min(split(max(0, total), [1] * days))


# --- 1. A new month -----------------------------------------------------------------------------

# The rows made are counted from RETURNING: under Citus the row count of an INSERT ... SELECT
# ... ON CONFLICT DO NOTHING counts the rows offered, not those inserted (Citus issue 3377).
_USAGE_MONTH_SQL = """
WITH made AS (
    INSERT INTO vouchers_monthlyusage (user_id, month, charged, incentive, cashback, carried_in)
    SELECT u.user_id, %(month)s, 0, 0, 0,
           CASE WHEN %(carry)s THEN usage_charge_headroom(%(previous_limit)s, u.carried_in, u.charged)
                ELSE 0 END
      FROM vouchers_monthlyusage u
     WHERE u.month = %(previous)s
    ON CONFLICT (user_id, month) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM made
"""


def usage_month_open(*, month: date) -> int:
    """Create ``month``'s usage rows for every citizen with a row the month before (one
    statement): nothing charged or received yet, and ``carried_in`` the unused charge limit
    of the month before when the policy carries it over. Rows that exist are left alone.
    Returns how many rows were created."""
    month = month_of(month)
    previous = previous_month(month)
    carry = rules_on(month).carry_over
    try:
        previous_limit = rules_on(previous).monthly_charge_limit
    except PolicyMissingError:
        previous_limit, carry = 0, False
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _USAGE_MONTH_SQL,
            {
                "month": month,
                "previous": previous,
                "carry": carry,
                "previous_limit": previous_limit,
            },
        )
        return int(cursor.fetchone()[0])


# --- 3. The decision -----------------------------------------------------------------------------

_BURN_SQL = """
WITH shards AS (SELECT id FROM ledger_accounts WHERE kind = 'incentive_budget'),
days AS (
    SELECT d::date AS day FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
)
SELECT days.day,
       COALESCE((SELECT -SUM(p.amount) FROM ledger_postings p
                  WHERE p.account_id IN (SELECT id FROM shards) AND p.business_date = days.day), 0)
       + COALESCE((SELECT SUM(p.amount) FROM ledger_entries e
                     JOIN ledger_postings p ON p.entry_id = e.id
                    WHERE e.business_date = days.day AND e.kind = 'funding'
                      AND p.account_id IN (SELECT id FROM shards)), 0)
  FROM days ORDER BY days.day
"""

_HEADROOM_SQL = """
SELECT count(*),
       COALESCE(SUM(usage_charge_headroom(%(limit)s, carried_in, charged)), 0),
       COALESCE(SUM(GREATEST(0, %(cashback_cap)s - cashback)), 0),
       count(*) FILTER (WHERE cashback >= %(cashback_cap)s)
  FROM vouchers_monthlyusage WHERE month = %(month)s
"""


def budget_remaining() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'incentive_budget'"
        )
        return int(cursor.fetchone()[0])


def burn_by_day(*, first: date, last: date) -> list[tuple[date, int]]:
    """Net incentive burn per business date from ``first`` to ``last``: what left the budget's
    shards that day (cashback and charging incentives granted, less what cancellations and
    refunds returned), funding left out."""
    if last < first:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_BURN_SQL, {"first": first, "last": last})
        return [(day, int(amount)) for day, amount in cursor.fetchall()]


def headroom_summary(*, month: date, rules) -> dict:
    """The citizens' remaining headroom this month, summed: how much more they may charge and
    how much more cashback the monthly cap allows them."""
    with connection.cursor() as cursor:
        cursor.execute(
            _HEADROOM_SQL,
            {
                "month": month,
                "limit": rules.monthly_charge_limit,
                "cashback_cap": rules.monthly_cashback_cap,
            },
        )
        citizens, charge_left, cashback_left, at_cap = (int(v) for v in cursor.fetchone())
    return {
        "month": month.isoformat(),
        "citizens": citizens,
        "charge_headroom": charge_left,
        "cashback_headroom": cashback_left,
        "citizens_at_cashback_cap": at_cap,
        "monthly_charge_limit": rules.monthly_charge_limit,
        "monthly_cashback_cap": rules.monthly_cashback_cap,
    }


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date


def budget_period_on(day: date) -> Period | None:
    """The incentive budget period covering ``day`` (budgets that overlap are one pool)."""
    bounds = IncentiveBudget.objects.filter(starts_on__lte=day, ends_on__gte=day).aggregate(
        starts=Min("starts_on"), ends=Max("ends_on")
    )
    if bounds["starts"] is None:
        return None
    return Period(bounds["starts"], bounds["ends"])


def reference_rate_on(day: date) -> int:
    """The highest incentive rate in force on ``day`` (basis points), ceiling included."""
    try:
        rules = rules_on(day)
    except PolicyMissingError:
        return 0
    rate = max(rules.cashback_bp, rules.charge_incentive_bp)
    return rate if rules.cap_rate_bp is None else min(rate, rules.cap_rate_bp)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def cap_decide(*, business_date: date) -> CapDecision | str:
    """The decision for the days after ``business_date`` (not saved), or why there is none
    (``no_policy``, ``no_budget_period``)."""
    coming = business_date + timedelta(days=1)
    try:
        rules = rules_on(coming)
    except PolicyMissingError:
        return "no_policy"
    period = budget_period_on(coming)
    if period is None:
        return "no_budget_period"
    remaining = budget_remaining()
    days_left = (period.ends_on - business_date).days  # D+1 .. end, inclusive
    window = max(0, min(BURN_DAYS, (business_date - period.starts_on).days + 1))
    series = burn_by_day(first=business_date - timedelta(days=window - 1), last=business_date)
    burn = max(0, sum(amount for _day, amount in series))
    policy_rate = max(rules.cashback_bp, rules.charge_incentive_bp)
    rates = {day: reference_rate_on(day) for day, _amount in series}
    # The spending that earned the window's burn, at each day's rate (exact, no rounding).
    spending = sum(
        (Fraction(amount * BASIS_POINTS, rates[day]) for day, amount in series if rates[day] > 0),
        Fraction(0),
    )

    rate_bp = None
    runs_out_on = None
    if burn > 0 and window > 0:
        runs_out_on = business_date + timedelta(days=_ceil_div(max(0, remaining) * window, burn))
        if rules.budget_mode == BudgetMode.PRORATE and spending > 0:
            # The rate at which `remaining` lasts `days_left` days of the window's spending.
            paced = math.floor(
                Fraction(max(0, remaining) * window * BASIS_POINTS) / (spending * days_left)
            )
            if paced < policy_rate:
                rate_bp = paced
    inputs = {
        "remaining": remaining,
        "period_start": period.starts_on.isoformat(),
        "period_end": period.ends_on.isoformat(),
        "days_left": days_left,
        "burn_days": window,
        "burn": burn,
        "burn_by_day": {day.isoformat(): amount for day, amount in series},
        "daily_burn": per_day(burn, window),
        "affordable_per_day": per_day(remaining, days_left),
        "policy_rate_bp": policy_rate,
        "rate_by_day": {day.isoformat(): rate for day, rate in rates.items()},
        "spending_per_day": per_day(math.floor(spending), window),
        "budget_mode": rules.budget_mode,
        "headroom": headroom_summary(month=month_of(coming), rules=rules),
    }
    return CapDecision(
        business_date=business_date,
        effective_from=coming,
        valid_until=period.ends_on,
        mode=rules.budget_mode,
        rate_bp=rate_bp,
        policy_rate_bp=policy_rate,
        remaining=remaining,
        burn=burn,
        burn_days=window,
        days_left=days_left,
        runs_out_on=runs_out_on,
        inputs=inputs,
    )


def caps_recompute(*, business_date: date) -> CapsReport:
    """The caps step of the nightly run for ``business_date``; idempotent per date (the month's
    rows by (citizen, month), the rebalance by its ledger key, the decision by its date).
    Locks every budget shard while rebalancing."""
    coming = business_date + timedelta(days=1)
    report = CapsReport(business_date=business_date, note="")
    if month_of(coming) != month_of(business_date):
        report.usage_month = month_of(coming)
        try:
            report.usage_rows = usage_month_open(month=coming)
        except PolicyMissingError:
            report.usage_rows = 0

    key = f"nightly:{business_date.isoformat()}"
    if not Entry.objects.filter(idempotency_key=f"rebalance:{key}").exists():
        try:
            entry = budget_rebalance(idempotency_key=key)
        except IdempotencyConflictError:
            entry = None  # posted by another run of this date meanwhile
        report.rebalanced = entry is not None and not getattr(entry, "replayed", False)

    existing = CapDecision.objects.filter(business_date=business_date).first()
    if existing is not None:
        report.note, report.decision = "already_decided", existing
        return report
    decided = cap_decide(business_date=business_date)
    if isinstance(decided, str):
        report.note = decided
        return report
    try:
        with transaction.atomic():
            decided.save()
    except IntegrityError:
        report.note = "already_decided"
        report.decision = CapDecision.objects.get(business_date=business_date)
        return report
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
    report.note, report.decision = "decided", decided
    logger.info(
        "incentive cap for %s: rate %s bp (policy %s), budget %s won, runs out %s",
        coming,
        decided.rate_bp,
        decided.policy_rate_bp,
        decided.remaining,
        decided.runs_out_on,
    )
    return report
