"""The purge of old idempotency records in django-celery-beat: one periodic task in the public
schema, daily at 03:30 Asia/Seoul (after the nightly run). Editable in the admin."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_tenants.utils import get_public_schema_name, schema_context

PURGE_TASK_NAME = "idempotency records purge (every city)"
PURGE_TASK = "ledger.tasks.idempotency_purge_dispatch"


def idempotency_purge_schedule_ensure() -> tuple[PeriodicTask, bool]:
    """Create the daily purge if it does not exist (an edited schedule is kept)."""
    public = get_public_schema_name()
    with schema_context(public), transaction.atomic():
        existing = PeriodicTask.objects.filter(name=PURGE_TASK_NAME).first()
        if existing is not None:
            return existing, False
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute="30",
            hour="3",
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.CELERY_TIMEZONE,
        )
        task = PeriodicTask.objects.create(
            name=PURGE_TASK_NAME,
            task=PURGE_TASK,
            crontab=crontab,
            headers=json.dumps({"_schema_name": public}),
            description="Delete the stored answers to money requests older than "
            "IDEMPOTENCY_RETENTION_DAYS in every city.",
        )
        return task, True
