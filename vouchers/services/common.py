"""What every part of the wallet's services shares: the shards, the month, and the constants of
the rules that are not policy (the 7 days, the refund thresholds)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

CHARGE_CANCEL_DAYS = 7
# A charge still waiting for the provider this long after it was started was abandoned (the
# payment page was closed): the citizen may finish or cancel it until then, and the nightly run
# closes it after (``charges_expire``).
CHARGE_WAIT = timedelta(hours=1)
SMALL_CHARGE = 10_000  # charges of at most this much need 80% used before a refund
REFUND_THRESHOLD_BP = 6_000
REFUND_THRESHOLD_SMALL_BP = 8_000


def shard_count() -> int:
    return settings.INCENTIVE_BUDGET_SHARDS


def shard_of(user_id: int) -> int:
    """The budget, float and clearing shard a citizen's money moves through."""
    return user_id % shard_count()


def month_of(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)
