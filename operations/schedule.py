"""The nightly schedule in django-celery-beat: one periodic task in the public schema that
starts the run of every city at ``NIGHTLY_HOUR`` (02:00) Asia/Seoul. Editable in the admin."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_tenants.utils import get_public_schema_name, schema_context

NIGHTLY_TASK_NAME = "nightly run (every city)"
NIGHTLY_TASK = "operations.tasks.nightly_dispatch"
OUTBOX_TASK_NAME = "payment provider outbox (every city)"
OUTBOX_TASK = "vouchers.tasks.provider_calls_dispatch"
OUTBOX_EVERY_MINUTES = 5


def nightly_schedule_ensure() -> tuple[PeriodicTask, bool]:
    """Create the nightly periodic task if it does not exist (a schedule staff changed in the
    admin is left as it is). Returns the task and whether it was created."""
    public = get_public_schema_name()
    with schema_context(public), transaction.atomic():
        existing = PeriodicTask.objects.filter(name=NIGHTLY_TASK_NAME).first()
        if existing is not None:
            if existing.task != NIGHTLY_TASK:  # the task moved from dashboard/ to operations/
                existing.task = NIGHTLY_TASK
                existing.save(update_fields=["task"])
            return existing, False
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute="0",
            hour=str(settings.NIGHTLY_HOUR),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.CELERY_TIMEZONE,
        )
        task = PeriodicTask.objects.create(
            name=NIGHTLY_TASK_NAME,
            task=NIGHTLY_TASK,
            crontab=crontab,
            headers=json.dumps({"_schema_name": public}),
            description="Settlement, prepaid balances, incentive caps and reconciliation of "
            "every city for the day before (Asia/Seoul).",
        )
        return task, True


def outbox_schedule_ensure() -> tuple[PeriodicTask, bool]:
    """Create the periodic sweep of the payment providers' outbox (every few minutes, every
    city): calls whose first delivery failed are retried even if nothing else happens."""
    from django_celery_beat.models import IntervalSchedule

    public = get_public_schema_name()
    with schema_context(public), transaction.atomic():
        existing = PeriodicTask.objects.filter(name=OUTBOX_TASK_NAME).first()
        if existing is not None:
            return existing, False
        interval, _created = IntervalSchedule.objects.get_or_create(
            every=OUTBOX_EVERY_MINUTES, period=IntervalSchedule.MINUTES
        )
        task = PeriodicTask.objects.create(
            name=OUTBOX_TASK_NAME,
            task=OUTBOX_TASK,
            interval=interval,
            headers=json.dumps({"_schema_name": public}),
            description="Send the calls to payment providers (card refunds) that are due.",
        )
        return task, True
