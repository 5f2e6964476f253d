"""Reads for the operations page (and the dashboard's note on last night): recent nightly runs,
incentive decisions, bank-transfer files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from merchants.models import TransferFile
from vouchers.models import CapDecision

from .models import JobRun
from .nightly import STEP_ORDER


@dataclass
class StepRow:
    step: str
    label: str
    job: JobRun | None  # the latest attempt
    attempts: int


@dataclass
class DateRuns:
    business_date: date
    steps: list[StepRow]

    @property
    def failed(self) -> bool:
        return any(r.job is not None and r.job.status == JobRun.Status.FAILED for r in self.steps)

    @property
    def running(self) -> bool:
        return any(r.job is not None and r.job.status == JobRun.Status.RUNNING for r in self.steps)


def runs_recent(*, dates: int = 14) -> list[DateRuns]:
    """The latest attempt of each step, for the most recent business dates that have runs."""
    recent = list(
        JobRun.objects.order_by("-business_date")
        .values_list("business_date", flat=True)
        .distinct()[:dates]
    )
    jobs = JobRun.objects.filter(business_date__in=recent).order_by(
        "-business_date", "step", "-attempt"
    )
    latest: dict[tuple[date, str], JobRun] = {}
    attempts: dict[tuple[date, str], int] = {}
    for job in jobs:
        key = (job.business_date, job.step)
        latest.setdefault(key, job)
        attempts[key] = attempts.get(key, 0) + 1
    labels = dict(JobRun.Step.choices)
    return [
        DateRuns(
            day,
            [
                StepRow(step, labels[step], latest.get((day, step)), attempts.get((day, step), 0))
                for step in STEP_ORDER
            ],
        )
        for day in recent
    ]


def cap_decisions_recent(*, limit: int = 10):
    return CapDecision.objects.order_by("-business_date")[:limit]


def transfer_files_recent(*, limit: int = 14):
    return TransferFile.objects.defer("content").order_by("-business_date")[:limit]


def transfer_file_on(business_date: date) -> TransferFile | None:
    return TransferFile.objects.filter(business_date=business_date).first()


@dataclass(frozen=True)
class StepState:
    step: str
    business_date: date
    attempt: int
    status: str
    seconds: float | None
    finished_at: object  # datetime | None


def nightly_latest_steps() -> list[StepState]:
    """Each step's latest attempt for the latest business date it ran for (the metrics page)."""
    runs = (
        JobRun.objects.order_by("step", "-business_date", "-attempt")
        .distinct("step")
        .values_list("step", "business_date", "attempt", "status", "duration", "finished_at")
    )
    return [
        StepState(step, day, attempt, status, duration.total_seconds() if duration else None, end)
        for step, day, attempt, status, duration, end in runs
    ]
