"""The arithmetic of the city-without-dismissal incentives, as pure functions (no database).

Worked example (the tests use it): a round pays 100,000 won of social-insurance premium support
and 30,000 won of loan interest support per retained worker a month, with a 10% tolerance. A
workplace pledged with a baseline of 25 workers:

- March, 24 workers: 24 retained × 130,000 = 3,120,000 won. The shortfall (1) is within the
  tolerance (25 × 10% = 2.5, rounded down to 2 workers): no case.
- April, 21 workers with 1 resignation so far: shortfall 4, less 1 accepted departure = 3 > 2:
  a case opens. (Headcount above the baseline still counts only the baseline: 25 retained.)

All rates are basis points; every division rounds down through ``ledger.money.apply_rate``.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from ledger.money import apply_rate


def retained_workers(*, baseline: int, headcount: int) -> int:
    """The workers the incentive is paid for: the headcount, at most the baseline."""
    return max(0, min(baseline, headcount))


def monthly_incentive(*, baseline: int, headcount: int, per_worker: int) -> int:
    return retained_workers(baseline=baseline, headcount=headcount) * per_worker


def allowed_shortfall(*, baseline: int, tolerance_bp: int) -> int:
    """How many workers below the baseline the round tolerates (rounded down)."""
    return apply_rate(baseline, tolerance_bp)


def unexplained_shortfall(*, baseline: int, headcount: int, accepted_departures: int) -> int:
    """Workers missing from the baseline that accepted departures (resignation, retirement,
    end of a fixed term, counted from the start of the round) do not explain."""
    return max(0, baseline - headcount - accepted_departures)


def below_tolerance(
    *, baseline: int, headcount: int, accepted_departures: int, tolerance_bp: int
) -> bool:
    return unexplained_shortfall(
        baseline=baseline, headcount=headcount, accepted_departures=accepted_departures
    ) > allowed_shortfall(baseline=baseline, tolerance_bp=tolerance_bp)


def clawback_amount(
    *, payments: list[tuple[dt.date, int]], breach_month: dt.date, months: int
) -> int:
    """What a breach in ``breach_month`` claws back: the incentives paid for the ``months``
    months up to and including it (``months`` 0: every incentive paid in the round).
    ``payments``: (month, amount) of the incentives paid."""
    if months == 0:
        return sum(amount for _month, amount in payments)
    first = month_add(breach_month, -(months - 1))
    return sum(amount for month, amount in payments if first <= month <= breach_month)


def month_add(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_parse(value: str) -> dt.date | None:
    """``"2021-03"`` → 2021-03-01; None for anything else."""
    text = (value or "").strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def text_hash(text: str) -> str:
    """SHA-256 of the declaration text as signed (UTF-8, line endings normalised)."""
    normalised = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    return hashlib.sha256(normalised.strip().encode()).hexdigest()
