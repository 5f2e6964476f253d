"""Periodic work for Toss Payments: every few minutes, read back the charges a timeout or a lost
webhook left waiting, and send again refunds that went unanswered (``vouchers.toss``).

Registered through ``CELERY_IMPORTS``; scheduled by ``setup_platform`` (every 5 minutes, in the
public schema), fanning out to the cities whose charges go through Toss."""

from __future__ import annotations

import json
import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from jeonju_prepay.db import schema_name as db_schema_name

from .providers import provider_for_city

logger = logging.getLogger(__name__)

SYNC_TASK_NAME = "toss charges sync (cities on Toss)"

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 3,
    "acks_late": True,
}


@shared_task(name="vouchers.toss_tasks.toss_sync_dispatch", **RETRY)
def toss_sync_dispatch():
    sent = []
    cities = (
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .filter(is_active=True)
        .values_list("schema_name", flat=True)
    )
    for schema_name in cities:
        if provider_for_city(schema_name) != "toss":
            continue
        with schema_context(schema_name):
            toss_sync_city.apply_async()
        sent.append(schema_name)
    return {"cities": sent}


@shared_task(name="vouchers.toss_tasks.toss_sync_city", **RETRY)
def toss_sync_city():
    from .toss import toss_charges_sync

    if db_schema_name() == get_public_schema_name():
        return {"status": "no_city"}
    counts = toss_charges_sync()
    if counts:
        logger.info("toss sync: %s", counts)
    return {"status": "done", **counts}


def toss_sync_schedule_ensure() -> tuple[PeriodicTask, bool]:
    """The periodic task, every 5 minutes (an edited one is kept)."""
    public = get_public_schema_name()
    with schema_context(public), transaction.atomic():
        existing = PeriodicTask.objects.filter(name=SYNC_TASK_NAME).first()
        if existing is not None:
            return existing, False
        every, _created = IntervalSchedule.objects.get_or_create(
            every=5, period=IntervalSchedule.MINUTES
        )
        task = PeriodicTask.objects.create(
            name=SYNC_TASK_NAME,
            task="vouchers.toss_tasks.toss_sync_dispatch",
            interval=every,
            headers=json.dumps({"_schema_name": public}),
            description="Read back Toss charges left waiting; send unanswered refunds again.",
        )
        return task, True
