"""Starting a nightly run from the operations page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from .nightly import business_date_check, steps_parse


@dataclass(frozen=True)
class RunStarted:
    business_date: date
    eager: bool  # ran here and then (no Redis) rather than queued for a worker
    result: dict | None


def nightly_start(*, business_date: date, steps: list[str] | None, by) -> RunStarted:
    """Queue the nightly run of the current city for ``business_date`` (run at once when Celery
    is eager, i.e. without Redis). Refuses a day not over yet or an unknown step before
    anything is queued (``NightlyError``)."""
    from .tasks import nightly_run_city

    business_date_check(business_date)
    wanted = steps_parse(steps)
    trigger = f"staff:{getattr(by, 'pk', '')}"
    async_result = nightly_run_city.apply_async(
        kwargs={
            "business_date": business_date.isoformat(),
            "steps": wanted,
            "trigger": trigger,
        }
    )
    eager = bool(settings.CELERY_TASK_ALWAYS_EAGER)
    return RunStarted(business_date, eager, async_result.result if eager else None)
