"""Celery tasks of the messaging app. Thin: they take ids, run in their city's schema (the
schema travels in the task's headers, tenant-schemas-celery) and call one service.

``message_deliver`` owns the retries: a provider failure that may pass is tried again with
exponential backoff (``MESSAGING_RETRY_BASE_SECONDS`` × 2^(tries-1), capped, with jitter) up to
``MESSAGING_MAX_ATTEMPTS`` tries. All are ``acks_late``: a worker that dies mid-task leaves the
message to be delivered again, and the row's claim keeps the provider call to one.

``reminders_dispatch`` runs daily in the public schema (django-celery-beat, 10:00 Asia/Seoul,
``messaging.schedule``) and sends one ``reminders_run_city`` per active city: every kind with a
``daily`` finder (the prepaid balances expiring within 7 days) is asked for its objects, and
each gets its message once (the dedupe key is per object).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context
from kombu.exceptions import OperationalError as BrokerError

from .kinds import kinds_all
from .services import RetryLater, message_deliver, message_prepare, messages_requeue_stale

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, BrokerError)
DB_RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 10,
    "retry_backoff_max": 10 * 60,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


def _in_city(task_name: str) -> bool:
    if connection.schema_name == get_public_schema_name():
        logger.error("%s was sent without a city's schema; nothing done", task_name)
        return False
    return True


@shared_task(bind=True, name="messaging.tasks.message_prepare", **DB_RETRY)
def message_prepare_task(self, kind: str, object_id: int):
    if not _in_city("message_prepare"):
        return {"status": "no_city"}
    rows = message_prepare(kind=kind, object_id=object_id)
    return {"status": "prepared", "messages": [row.pk for row in rows]}


@shared_task(
    bind=True,
    name="messaging.tasks.message_deliver",
    acks_late=True,
    max_retries=None,  # the row's attempts decide (MESSAGING_MAX_ATTEMPTS)
    autoretry_for=TRANSIENT,
    retry_backoff=10,
    retry_jitter=True,
)
def message_deliver_task(self, message_id: int):
    if not _in_city("message_deliver"):
        return {"status": "no_city"}
    while True:
        try:
            message = message_deliver(message_id=message_id)
        except RetryLater as exc:
            if self.request.is_eager:
                # No broker (make run without Redis, the test suite): the tries follow at once.
                continue
            logger.info("message %s: retry in %s s", message_id, exc.countdown)
            raise self.retry(countdown=exc.countdown, exc=None) from None
        break
    return {"status": message.status if message else "missing", "message": message_id}


@shared_task(bind=True, name="messaging.tasks.reminders_dispatch", **DB_RETRY)
def reminders_dispatch(self, schemas: list[str] | None = None):
    """Start the day's reminders in every active city (runs in the public schema)."""
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
            reminders_run_city.apply_async()
        sent.append(schema_name)
    return {"cities": sent}


@shared_task(bind=True, name="messaging.tasks.reminders_run_city", **DB_RETRY)
def reminders_run_city(self, day: str | None = None):
    """Every daily kind's messages for today in this city, then any delivery left behind."""
    from datetime import date

    if not _in_city("reminders_run_city"):
        return {"status": "no_city"}
    today = date.fromisoformat(day) if day else timezone.localdate()
    written = 0
    for kind in kinds_all():
        if kind.daily is None:
            continue
        for object_id in kind.daily(today):
            written += len(message_prepare(kind=kind.code, object_id=object_id))
    requeued = messages_requeue_stale()
    logger.info("reminders of %s in %s: %s messages", today, connection.schema_name, written)
    return {"status": "done", "messages": written, "requeued": requeued}
