"""python manage.py run_nightly --schema jeonju [--date YYYY-MM-DD] [--step NAME]"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context
from tqdm import tqdm

from operations.models import JobRun
from operations.nightly import (
    STEP_ORDER,
    NightlyError,
    RunInProgressError,
    default_business_date,
    job_summary,
    nightly_run,
)


class Command(BaseCommand):
    help = (
        "Run the nightly steps (settlement, prepaid, caps, reconcile) for one city and business "
        "date, here and now, with a progress bar. Safe to run again: what is done is not redone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True, help="the city's schema, e.g. jeonju")
        parser.add_argument("--date", help="business date YYYY-MM-DD (default: yesterday)")
        parser.add_argument(
            "--step", action="append", choices=STEP_ORDER, help="only this step (repeatable)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, schema, date=None, step=None, **options):
        if schema == get_public_schema_name() or not (
            get_tenant_model().objects.filter(schema_name=schema).exists()
        ):
            raise CommandError(f"No city with schema {schema!r}.")
        business_date = self._parse_date(date)
        bars: dict[str, tqdm] = {}
        quiet = options["no_progress"] or options["verbosity"] == 0

        def progress(step_name: str, done: int, total: int) -> None:
            if quiet:
                return
            bar = bars.get(step_name)
            if bar is None:
                unit = "shop" if step_name == "settlement" else "step"
                bar = bars[step_name] = tqdm(
                    total=max(total, 1), desc=f"{step_name:<10}", unit=unit, leave=True
                )
            bar.update(max(0, done - bar.n))

        with schema_context(schema):
            try:
                summary = nightly_run(
                    business_date=business_date,
                    steps=step,
                    trigger="command",
                    progress=progress,
                )
            except RunInProgressError as exc:
                raise CommandError(exc.message) from exc
            except NightlyError as exc:
                raise CommandError(exc.message) from exc
            finally:
                for bar in bars.values():
                    bar.close()
            for job in summary.jobs:
                self._print(job)
        if summary.failed:
            raise CommandError(
                f"[{schema}] the nightly run of {business_date} failed (see above).", returncode=1
            )
        if not summary.changed:
            self.stdout.write(
                f"[{schema}] {business_date}: nothing changed; everything had been done already."
            )

    def _parse_date(self, value: str | None) -> date:
        if not value:
            return default_business_date()
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.") from exc

    def _print(self, job: JobRun) -> None:
        style = {
            JobRun.Status.SUCCEEDED: self.style.SUCCESS,
            JobRun.Status.FAILED: self.style.ERROR,
            JobRun.Status.NOTHING_TO_DO: self.style.WARNING,
        }.get(job.status, str)
        seconds = job.duration.total_seconds() if job.duration else 0.0
        self.stdout.write(
            f"{job.step:<10} #{job.attempt} {style(job.status):<14} {seconds:7.2f} s  "
            f"{job_summary(job)}"
        )
        if job.error:
            self.stdout.write(self.style.ERROR("  " + job.error.replace("\n", "\n  ")))
