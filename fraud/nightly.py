"""The fraud app's nightly step: score the window ending with the business date and record the
cases (registered with ``operations.nightly`` from ``FraudConfig.ready``)."""

from __future__ import annotations

from datetime import date

from operations.nightly import Progress, Status, Step, StepResult

from .rules import score
from .selectors import facts_load, thresholds_current, window_of
from .services import cases_record


def step_fraud(*, business_date: date, progress: Progress | None) -> StepResult:
    thresholds = thresholds_current(on=business_date)
    start, end = window_of(business_date, thresholds)
    facts = facts_load(start=start, end=end, thresholds=thresholds)
    findings = score(facts, thresholds)
    report = cases_record(
        findings=findings, business_date=business_date, window_days=thresholds.window_days
    )
    if progress is not None:
        progress(Step.FRAUD, 1, 1)
    counts = {
        "payments": len(facts.payments),
        "findings": len(findings),
        "opened": report.opened,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "suppressed": report.suppressed,
    }
    if report.opened or report.updated:
        return StepResult(Status.SUCCEEDED, "fraud_cases", counts)
    return StepResult(Status.NOTHING_TO_DO, "fraud_none", counts)
