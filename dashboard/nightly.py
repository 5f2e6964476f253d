"""The dashboard's part of the nightly run: its figures follow whatever the steps before posted.

Registered with ``operations.nightly`` from ``DashboardConfig.ready`` (operations runs the night
and knows nothing of the dashboard; the dashboard reads operations)."""

from __future__ import annotations

from datetime import date

from operations.nightly import Progress, Status, Step, StepResult

from .rollups import dates_missing, rollups_refresh


def step_rollups(*, business_date: date, progress: Progress | None) -> StepResult:
    """Refresh the dashboard's rollups of the date (after the steps above posted to it), and of
    any earlier date with entries but no rollup yet (a first run, a date that was skipped)."""
    days = sorted({business_date, *dates_missing(before=business_date)})
    report = rollups_refresh(days)
    if progress is not None:
        progress(Step.ROLLUPS, 1, 1)
    counts = {
        "dates": report.days,
        "kind_rows": report.kind_rows,
        "shop_rows": report.shop_rows,
        "campaign_rows": report.campaign_rows,
    }
    return StepResult(Status.SUCCEEDED, "rollups_refreshed", counts)
