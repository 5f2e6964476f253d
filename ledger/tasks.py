"""Periodic upkeep of the ledger: the purge of old idempotency records in every city.

``idempotency_purge_dispatch`` runs in the public schema (django-celery-beat, daily; see
``ledger.schedule``) and sends one ``idempotency_purge_city`` per active city with the city's
schema in its headers (tenant-schemas-celery). Both are idempotent: running one twice deletes
nothing more.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from jeonju_prepay.db import schema_name as db_schema_name

from .services import idempotency_records_purge

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 60,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(name="ledger.tasks.idempotency_purge_dispatch", **RETRY)
def idempotency_purge_dispatch():
    cities = (
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .filter(is_active=True)
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
    sent = []
    for schema_name in cities:
        with schema_context(schema_name):  # the task's headers take this schema
            idempotency_purge_city.apply_async()
        sent.append(schema_name)
    return {"cities": sent}


@shared_task(name="ledger.tasks.idempotency_purge_city", **RETRY)
def idempotency_purge_city():
    """Purge the current city's idempotency records older than ``IDEMPOTENCY_RETENTION_DAYS``."""
    if db_schema_name() == get_public_schema_name():
        logger.error("idempotency_purge_city was sent without a city's schema; nothing done")
        return {"status": "no_city"}
    days = settings.IDEMPOTENCY_RETENTION_DAYS
    deleted = idempotency_records_purge(older_than=timedelta(days=days))
    logger.info("purged %s idempotency records older than %s days", deleted, days)
    return {"status": "done", "deleted": deleted, "retention_days": days}
