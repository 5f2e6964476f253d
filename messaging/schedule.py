"""The daily reminders in django-celery-beat: one periodic task in the public schema, at 10:00
Asia/Seoul (a reminder at 2 a.m. would wake people). Editable in the admin."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_tenants.utils import get_public_schema_name, schema_context

REMINDERS_TASK_NAME = "message reminders (every city)"
REMINDERS_TASK = "messaging.tasks.reminders_dispatch"


def reminders_schedule_ensure() -> tuple[PeriodicTask, bool]:
    public = get_public_schema_name()
    with schema_context(public), transaction.atomic():
        existing = PeriodicTask.objects.filter(name=REMINDERS_TASK_NAME).first()
        if existing is not None:
            return existing, False
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute="0",
            hour=str(settings.MESSAGING_REMINDER_HOUR),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.CELERY_TIMEZONE,
        )
        task = PeriodicTask.objects.create(
            name=REMINDERS_TASK_NAME,
            task=REMINDERS_TASK,
            crontab=crontab,
            headers=json.dumps({"_schema_name": public}),
            description="Daily messages of every city: prepaid balances expiring within 7 days.",
        )
        return task, True
