"""Celery tasks of the wallet. Thin: they take ids, run in the city's schema (the task's headers,
tenant-schemas-celery) and call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import provider_call_deliver, provider_calls_deliver_due

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 10 * 60,
    "retry_jitter": True,
    "max_retries": 10,
    "acks_late": True,
}


@shared_task(name="vouchers.tasks.provider_call_deliver", **RETRY)
def provider_call_deliver_task(call_id: int) -> str:
    """Send one outbox call to its provider (a failed one waits for the sweep below)."""
    return provider_call_deliver(call_id=call_id)


@shared_task(name="vouchers.tasks.provider_calls_deliver_due", **RETRY)
def provider_calls_deliver_due_task() -> dict:
    """The sweep: every outbox call whose next attempt is due, in this city."""
    return provider_calls_deliver_due()


@shared_task(name="vouchers.tasks.provider_calls_dispatch", **RETRY)
def provider_calls_dispatch() -> list[str]:
    """Beat, every few minutes, in the public schema: one sweep per active city."""
    from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

    sent = []
    cities = get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
    for schema_name in cities.filter(is_active=True).values_list("schema_name", flat=True):
        with schema_context(schema_name):  # the task's headers take this schema
            provider_calls_deliver_due_task.delay()
        sent.append(schema_name)
    return sent
