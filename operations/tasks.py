"""Celery tasks of the nightly run. Thin: they take a date, find the schema in the task's headers
(tenant-schemas-celery) and call ``operations.nightly``.

``nightly_dispatch`` runs in the public schema (django-celery-beat starts it at 02:00 Asia/Seoul)
and sends one ``nightly_run_city`` per active city, each with the city's schema in its headers.
Both are ``acks_late`` (a worker that dies mid-run leaves the message to be delivered again; the
run is idempotent) and retried with exponential backoff on transient database or broker errors.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .nightly import NightlyError, RunInProgressError, default_business_date, nightly_run

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, BrokerError, RedisConnectionError, RedisTimeoutError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 30,  # 30 s, 60 s, 120 s ... with jitter
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(bind=True, name="operations.tasks.nightly_dispatch", **RETRY)
def nightly_dispatch(self, business_date: str | None = None, schemas: list[str] | None = None):
    """Start one nightly run per active city for ``business_date`` (default: yesterday in
    Asia/Seoul, fixed here so that a late or retried city task closes the same day)."""
    day = date.fromisoformat(business_date) if business_date else default_business_date()
    cities = (
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .filter(is_active=True)
        .order_by("schema_name")
    )
    if schemas:
        cities = cities.filter(schema_name__in=schemas)
    sent = []
    for schema_name in cities.values_list("schema_name", flat=True):
        with schema_context(schema_name):  # the task's headers take this schema
            nightly_run_city.apply_async(
                kwargs={"business_date": day.isoformat(), "trigger": "schedule"}
            )
        sent.append(schema_name)
    logger.info("nightly run for %s sent to %s cities", day, len(sent))
    return {"business_date": day.isoformat(), "cities": sent}


@shared_task(bind=True, name="operations.tasks.nightly_run_city", **RETRY)
def nightly_run_city(
    self, business_date: str, steps: list[str] | None = None, trigger: str = "schedule"
):
    """Run the nightly steps for one city (the schema in the task's headers)."""
    if connection.schema_name == get_public_schema_name():
        logger.error("nightly_run_city was sent without a city's schema; nothing done")
        return {"status": "no_city"}
    try:
        summary = nightly_run(
            business_date=date.fromisoformat(business_date), steps=steps, trigger=trigger
        )
    except RunInProgressError:
        logger.info("nightly %s %s is running elsewhere", connection.schema_name, business_date)
        return {"status": "in_progress", "schema": connection.schema_name}
    except NightlyError as exc:
        logger.error("nightly %s %s refused: %s", connection.schema_name, business_date, exc)
        return {"status": "refused", "message": exc.message}
    result = summary.as_dict()
    result["status"] = "failed" if summary.failed else "done"
    return result
