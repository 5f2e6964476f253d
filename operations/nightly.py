"""The nightly run of one city for one business date (Asia/Seoul): settlement, prepaid balances,
incentive caps, reconciliation, the dashboard's rollups, in that order. Called by the Celery task (``tasks.py``), the
``run_nightly`` command and the operations page; runs in the connection's current schema.

Idempotent and re-runnable
--------------------------
Every step is idempotent on its natural key: settlement on (shop, date) and the payout's ledger
key, prepaid expiry on (shop, date) in the ledger and snapshots on (shop, date), the month's
usage rows on (citizen, month), the shard rebalance on its ledger key, the cap decision on its
date; reconciliation posts only what a provider paid out (once per payout); the rollups rewrite the date whole. So running a date again changes nothing and says so (the steps
end ``nothing_to_do``), and a run that was killed half-way is finished by the next one: the
settlement commits per chunk of shops and skips the shops already settled.

Each step of each run is a ``JobRun`` row (the attempt number counts up). One run per city and
date at a time: a session advisory lock on (schema, date); a second run of the same date is
refused with ``RunInProgressError`` while the first holds it (a killed run's lock goes with its
database session). Rows a killed run left ``running`` are marked failed ("interrupted") by the
next run of that date.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jeonju_prepay.db import snapshot
from jeonju_prepay.exceptions import ApplicationError, ConflictError
from ledger.selectors import ledger_check
from ledger.services import business_date_today

from .models import JobRun

logger = logging.getLogger(__name__)

Step = JobRun.Step
Status = JobRun.Status
STEP_ORDER: tuple[str, ...] = (
    Step.SETTLEMENT,
    Step.PREPAID,
    Step.CAPS,
    Step.SOLIDARITY,
    Step.GRANTS,
    Step.RECONCILE,
    Step.ROLLUPS,
    Step.FRAUD,  # registered by the fraud app; it reads the day's payments and opens cases
)

Progress = Callable[[str, int, int], None]  # (step, done, total)


class NightlyError(ApplicationError):
    code = "nightly_invalid"


class RunInProgressError(ConflictError):
    code = "nightly_in_progress"
    default_message = gettext_lazy(
        "A nightly run for this date is in progress. Wait for it to finish."
    )


# How each step ended, in a sentence; filled from the run's counts and sums.
NOTES = {
    "settled": gettext_lazy(
        "%(statements)s shops settled, %(payouts)s paid %(paid)s won in all; bank-transfer file "
        "with %(transfers)s transfers."
    ),
    "transfer_file": gettext_lazy(
        "The bank-transfer file was written: %(transfers)s transfers, %(transfer_total)s won."
    ),
    "already_settled": gettext_lazy(
        "Already settled: %(already)s statements exist for this date. Nothing was paid again."
    ),
    "no_sales": gettext_lazy("No sales to settle on this date."),
    "prepaid_recorded": gettext_lazy(
        "%(pledges_expired)s pledges expired (%(expired)s won); prepaid figures of "
        "%(snapshots)s shops recorded."
    ),
    "prepaid_already": gettext_lazy(
        "Already recorded for this date (%(already)s shops). Nothing expired again."
    ),
    "prepaid_none": gettext_lazy("No prepaid balances to record."),
    "decided": gettext_lazy("A new incentive decision is in force from the next day."),
    "already_decided": gettext_lazy("Already decided for this date. Nothing changed."),
    "no_policy": gettext_lazy("No wallet policy is in force, so there is nothing to decide."),
    "no_budget_period": gettext_lazy(
        "No incentive budget period covers the next day, so there is nothing to pace."
    ),
    "ledger_ok": gettext_lazy(
        "The ledger balances: %(accounts)s accounts, %(entries)s entries, %(postings)s postings."
    ),
    "ledger_mismatch": gettext_lazy("The ledger does not balance. See the error below."),
    "provider_differences": gettext_lazy(
        "The ledger balances, but a payment provider's records differ from it in "
        "%(provider_differences)s places: see Payment providers below."
    ),
    "rollups_refreshed": gettext_lazy(
        "Dashboard figures refreshed for %(dates)s dates (%(shop_rows)s shop rows)."
    ),
    "solidarity_done": gettext_lazy(
        "%(gifts_claimed)s waiting gifts claimed, %(gifts_returned)s returned after 30 days "
        "(%(returned)s won); %(cashback_donations)s citizens' cashback given to the community "
        "fund (%(donated)s won)."
    ),
    "grants_done": gettext_lazy(
        "Grants: %(returned)s won returned from %(programmes)s programmes; %(notices)s "
        "deadline notices sent; %(documents_purged)s documents past their retention deleted."
    ),
    "grants_none": gettext_lazy("No grant reached its deadline; no notice was due."),
    "fraud_cases": gettext_lazy(
        "%(opened)s new cash-out cases and %(updated)s updated, from %(payments)s payments."
    ),
    "fraud_none": gettext_lazy("No new cash-out signals in %(payments)s payments."),
    "interrupted": gettext_lazy("Interrupted before it finished; the next run completes it."),
    "error": gettext_lazy("The step failed. See the error below."),
}


@dataclass
class StepResult:
    status: str
    note: str
    counts: dict = field(default_factory=dict)
    sums: dict = field(default_factory=dict)
    error: str = ""


def job_summary(job: JobRun) -> str:
    """The sentence that says how a step ended, in the current language."""
    template = NOTES.get(job.note)
    if template is None:
        return ""
    values = {
        key: f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        for key, value in {**(job.counts or {}), **(job.sums or {})}.items()
    }
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(template).split("%(")[0].strip()


# --- The steps ---------------------------------------------------------------------------------


def step_settlement(*, business_date: date, progress: Progress | None) -> StepResult:
    from merchants.settlement import settlement_run

    def on_chunk(done: int, total: int) -> None:
        if progress is not None:
            progress(Step.SETTLEMENT, done, total)

    report = settlement_run(business_date=business_date, on_chunk=on_chunk)
    counts = {
        "shops": report.shops_considered,
        "statements": report.statements,
        "payouts": report.payouts,
        "already": report.already,
        "transfers": report.transfers,
        "chunks": report.chunks,
        "replayed": report.replayed,
    }
    sums = {
        "gross": report.gross,
        "cancellations": report.cancellations,
        "paid": report.paid,
        "transfer_total": report.transfer_total,
    }
    if report.statements:
        return StepResult(Status.SUCCEEDED, "settled", counts, sums)
    if report.transfer_file_written and report.transfers:
        return StepResult(Status.SUCCEEDED, "transfer_file", counts, sums)
    note = "already_settled" if report.already else "no_sales"
    return StepResult(Status.NOTHING_TO_DO, note, counts, sums)


def step_prepaid(*, business_date: date, progress: Progress | None) -> StepResult:
    from .prepaid import prepaid_close_day

    report = prepaid_close_day(business_date=business_date)
    if progress is not None:
        progress(Step.PREPAID, 1, 1)
    counts = {
        "pledges_expired": report.pledges_expired,
        "shops_expired": report.shops_expired,
        "snapshots": report.snapshots,
        "already": report.already,
    }
    sums = {
        "expired": report.expired,
        "redeemed": report.redeemed,
        "outstanding": report.outstanding,
    }
    if report.pledges_expired or report.snapshots:
        return StepResult(Status.SUCCEEDED, "prepaid_recorded", counts, sums)
    note = "prepaid_already" if report.already else "prepaid_none"
    return StepResult(Status.NOTHING_TO_DO, note, counts, sums)


def step_caps(*, business_date: date, progress: Progress | None) -> StepResult:
    from vouchers.caps import caps_recompute

    report = caps_recompute(business_date=business_date)
    if progress is not None:
        progress(Step.CAPS, 1, 1)
    decision = report.decision
    counts = {"usage_rows": report.usage_rows, "rebalanced": int(report.rebalanced)}
    sums = {}
    if decision is not None:
        counts["decision_id"] = decision.pk
        sums = {
            "remaining": decision.remaining,
            "burn": decision.burn,
            "rate_bp": decision.rate_bp,
            "policy_rate_bp": decision.policy_rate_bp,
        }
    status = Status.SUCCEEDED if report.changed else Status.NOTHING_TO_DO
    return StepResult(status, report.note, counts, sums)


def step_grants(*, business_date: date, progress: Progress | None) -> StepResult:
    """Grant programmes (grants app): the day after a spending deadline, what is left goes back
    to the programme's budget (one entry per programme per day); holders are told
    ``notice_days`` before; documents past their retention are deleted. The returns are dated
    the day after ``business_date``: the first day after a deadline that was that day."""
    from grants.services import documents_purge, expiry_notices_send, grants_expire

    next_day = business_date + timedelta(days=1)
    expiries = grants_expire(business_date=next_day)
    notices = expiry_notices_send(business_date=next_day)
    purged = documents_purge(today=next_day)
    counts = {"programmes": len(expiries), "notices": notices, "documents_purged": purged}
    sums = {"returned": sum(e.amount for e in expiries)}
    if expiries or notices or purged:
        return StepResult(Status.SUCCEEDED, "grants_done", counts, sums)
    return StepResult(Status.NOTHING_TO_DO, "grants_none", counts, sums)


def step_reconcile(*, business_date: date, progress: Progress | None) -> StepResult:
    """Each payment provider's books against its clearing accounts (this posts the provider's
    payouts and applies what it did that the ledger lacks, so it comes first), then the charges
    still waiting for a provider after that are closed (``charges_expire``: abandoned at the
    payment page; nothing moves), then the whole ledger recomputed from its postings in one
    snapshot."""
    from vouchers.services import charges_expire, providers_reconcile

    providers = providers_reconcile(business_date=business_date)
    expired = charges_expire()
    with snapshot():
        report = ledger_check(limit=20)
    if progress is not None:
        progress(Step.RECONCILE, 1, 1)
    details = report.as_dict()
    counts = {
        "accounts": report.accounts,
        "entries": report.entries,
        "postings": report.postings,
        "balance_mismatches": len(report.balance_mismatches),
        "unbalanced_entries": len(report.unbalanced_entries),
        "negative_accounts": len(report.negative_accounts),
        "details": {
            key: details[key]
            for key in ("balance_mismatches", "unbalanced_entries", "negative_accounts")
        },
    }
    counts["providers"] = [
        {
            "provider": p.provider,
            "orders": p.orders_compared,
            "provider_owes": p.provider_owes - p.pending_cancels,
            "clearing_owes": p.clearing_owes,
            "differences": len(p.differences),
            "payouts": p.payouts_recorded,
            "applied": len(p.applied),
        }
        for p in providers
    ]
    differences = sum(len(p.differences) for p in providers)
    counts["provider_differences"] = differences
    counts["charges_expired"] = expired
    sums = {"postings_sum": report.postings_sum, "balances_sum": report.balances_sum}
    if not report.ok:
        return StepResult(Status.FAILED, "ledger_mismatch", counts, sums, _mismatch_text(report))
    if differences:
        return StepResult(Status.SUCCEEDED, "provider_differences", counts, sums)
    return StepResult(Status.SUCCEEDED, "ledger_ok", counts, sums)


def _mismatch_text(report) -> str:
    lines = []
    if report.postings_sum:
        lines.append(
            _("All postings sum to %(sum)s won, not 0.") % {"sum": f"{report.postings_sum:,}"}
        )
    if report.balances_sum:
        lines.append(
            _("All balances sum to %(sum)s won, not 0.") % {"sum": f"{report.balances_sum:,}"}
        )
    for account_id, kind, stored, computed in report.balance_mismatches:
        lines.append(
            _(
                "Account %(account)s (%(kind)s): stored balance %(stored)s won, but its "
                "postings sum to %(computed)s won."
            )
            % {
                "account": account_id,
                "kind": kind,
                "stored": f"{stored:,}",
                "computed": f"{computed:,}",
            }
        )
    for entry_id, count, total in report.unbalanced_entries:
        lines.append(
            _("Entry %(entry)s: %(count)s postings summing to %(sum)s won.")
            % {"entry": entry_id, "count": count, "sum": f"{total:,}"}
        )
    for account_id, kind, balance in report.negative_accounts:
        lines.append(
            _("Account %(account)s (%(kind)s) is negative: %(balance)s won.")
            % {"account": account_id, "kind": kind, "balance": f"{balance:,}"}
        )
    return "\n".join(lines)


STEPS: dict[str, Callable[..., StepResult]] = {
    Step.SETTLEMENT: step_settlement,
    Step.PREPAID: step_prepaid,
    Step.CAPS: step_caps,
    Step.GRANTS: step_grants,
    Step.RECONCILE: step_reconcile,
}


def step_register(step: str, function: Callable[..., StepResult]) -> None:
    """Add a step that an app above operations runs (the dashboard's rollups register here from
    their ``AppConfig.ready``), so the run calls up the layers without importing them."""
    if step not in STEP_ORDER:
        raise ValueError(f"{step} is not a nightly step")
    STEPS[step] = function


# --- The run -------------------------------------------------------------------------------------


@dataclass
class RunSummary:
    business_date: date
    jobs: list[JobRun]

    @property
    def failed(self) -> bool:
        return any(job.status == Status.FAILED for job in self.jobs)

    @property
    def changed(self) -> bool:
        """Whether this run changed anything (reconciliation only reads)."""
        return any(
            job.status == Status.SUCCEEDED and job.step not in (Step.RECONCILE, Step.ROLLUPS)
            for job in self.jobs
        )

    def as_dict(self) -> dict:
        return {
            "business_date": self.business_date.isoformat(),
            "schema": connection.schema_name,
            "failed": self.failed,
            "changed": self.changed,
            "steps": {job.step: job.status for job in self.jobs},
        }


def business_date_check(business_date: date) -> date:
    """Refuse a business date that is not over yet (the run closes past days only)."""
    if business_date >= business_date_today():
        raise NightlyError(
            _("The business date %(date)s is not over yet; only past days can be run.")
            % {"date": business_date.isoformat()}
        )
    return business_date


def steps_parse(steps: Iterable[str] | None) -> list[str]:
    if not steps:
        return list(STEP_ORDER)
    wanted = set()
    for name in steps:
        if name not in STEP_ORDER:
            raise NightlyError(
                _("Unknown step %(step)s. The steps are: %(steps)s.")
                % {"step": name, "steps": ", ".join(STEP_ORDER)}
            )
        wanted.add(name)
    # Any step may post to the date (settlement, expiry): the dashboard's figures follow.
    wanted.add(Step.ROLLUPS)
    return [step for step in STEP_ORDER if step in wanted]


def default_business_date() -> date:
    """Yesterday in Asia/Seoul: the day a run at 02:00 closes."""
    return business_date_today() - timedelta(days=1)


def _lock_key(business_date: date) -> str:
    return f"nightly:{connection.schema_name}:{business_date.isoformat()}"


@contextmanager
def run_lock(business_date: date):
    """Hold the city's run lock for ``business_date`` (a session advisory lock, released on
    exit or when the session ends) or raise ``RunInProgressError``."""
    key = _lock_key(business_date)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise RunInProgressError()
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
        except DatabaseError:  # the session is gone, and its lock with it
            logger.warning("could not release the nightly lock %s", key)


def _abandon_interrupted(business_date: date) -> int:
    """Mark the rows a killed run of this date left ``running`` (we hold the date's lock, so
    nobody else is running them)."""
    return JobRun.objects.filter(business_date=business_date, status=Status.RUNNING).update(
        status=Status.FAILED,
        note="interrupted",
        error=_("The process stopped before the step finished."),
        finished_at=timezone.now(),
    )


def _job_start(business_date: date, step: str, trigger: str) -> JobRun:
    last = JobRun.objects.filter(business_date=business_date, step=step).aggregate(
        n=Max("attempt")
    )["n"]
    return JobRun.objects.create(
        business_date=business_date,
        step=step,
        attempt=(last or 0) + 1,
        status=Status.RUNNING,
        trigger=trigger[:30],
        started_at=timezone.now(),
    )


def _job_finish(job: JobRun, result: StepResult, started: float) -> None:
    job.status = result.status
    job.note = result.note
    job.counts = result.counts
    job.sums = result.sums
    job.error = result.error
    job.finished_at = timezone.now()
    job.duration = timedelta(seconds=time.monotonic() - started)
    try:
        job.save(
            update_fields=["status", "note", "counts", "sums", "error", "finished_at", "duration"]
        )
    except DatabaseError:
        logger.exception("could not record the end of %s", job)


TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def nightly_run(
    *,
    business_date: date,
    steps: Sequence[str] | None = None,
    trigger: str = "command",
    progress: Progress | None = None,
) -> RunSummary:
    """Run the nightly steps for ``business_date`` in the current city's schema.

    A step that raises is recorded as failed and the run goes on with the next step, except
    for transient database errors (connection lost, deadlock, serialization failure), which
    end the run and propagate so that the caller (the Celery task) retries it. Raises
    ``NightlyError`` for a date not over yet or an unknown step, ``RunInProgressError`` while
    another run of the date holds its lock.
    """
    business_date_check(business_date)
    wanted = steps_parse(steps)
    jobs: list[JobRun] = []
    with run_lock(business_date):
        _abandon_interrupted(business_date)
        for step in wanted:
            job = _job_start(business_date, step, trigger)
            started = time.monotonic()
            try:
                result = STEPS[step](business_date=business_date, progress=progress)
            except Exception as exc:
                logger.exception("nightly %s %s failed", step, business_date)
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                _job_finish(
                    job, StepResult(Status.FAILED, "error", error=str(message)[:2000]), started
                )
                jobs.append(job)
                if isinstance(exc, TRANSIENT_ERRORS):
                    raise
                continue
            _job_finish(job, result, started)
            jobs.append(job)
    return RunSummary(business_date, jobs)
