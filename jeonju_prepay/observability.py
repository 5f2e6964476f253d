"""What every log line and error report carries: the city and a request id.

- ``RequestIdMiddleware`` gives each request an id (the caller's ``X-Request-ID`` when it is a
  sane token, so one id follows a request through nginx, gunicorn and the app; a new one
  otherwise), keeps it in a context variable for the request's duration and sends it back in
  the response's ``X-Request-ID``.
- ``RequestIdFilter`` puts it on every log record as ``request_id``; django-tenants'
  ``TenantContextFilter`` adds the city's schema as ``schema_name`` (settings ``LOGGING``).
- A Celery task's log lines carry the task id instead (``task_prerun`` below), and the city
  from its schema (tenant-schemas-celery sets it before the task runs).
- ``sentry_init`` turns Sentry on when ``SENTRY_DSN`` is set, with the Django and Celery
  integrations; every event gets the same two tags.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the chain: everything after it (and the access log, through the response
    header) sees the id."""

    def __init__(self, get_response):
        self.get_response = get_response
        connect_request_signals()

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _SANE_ID.match(offered) else new_request_id()
        request.request_id = request_id
        # Kept until the response is closed (``request_finished``), not reset on the way out:
        # Django logs a 4xx or 5xx answer ("Not Found: ...") after the middleware has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _request_finished(**kwargs):
    request_id_var.set("-")


def connect_request_signals() -> None:
    from django.core.signals import request_finished

    request_finished.connect(_request_finished, dispatch_uid="jp-request-id-finished")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class CityFilter(logging.Filter):
    """django-tenants' ``TenantContextFilter``, safe before the database layer is ready (a log
    line written while settings load must not fail): ``schema_name`` is ``-`` then."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            from django_tenants.log import TenantContextFilter

            return TenantContextFilter().filter(record)
        except Exception:  # logging must never raise
            record.schema_name = "-"
            record.domain_url = None
            return True


def current_city() -> str:
    try:
        from django.db import connection

        return connection.schema_name
    except Exception:  # reporting must never raise
        return "-"


# --- Celery: the task id as the request id ---------------------------------------------------


def _task_prerun(task_id=None, **kwargs):
    request_id_var.set(task_id or new_request_id())


def _task_postrun(**kwargs):
    request_id_var.set("-")


def connect_celery_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="jp-request-id-pre")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="jp-request-id-post")


# --- Sentry ------------------------------------------------------------------------------------


def _tag_event(event, hint):
    """Every event says which city and which request or task it came from. Set at capture time
    (not on a scope), so nothing of one request can stick to the next in the same worker."""
    tags = event.setdefault("tags", {})
    tags.setdefault("city", current_city())
    tags.setdefault("request_id", request_id_var.get())
    return event


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float):
    """Turn Sentry on (called from settings when ``SENTRY_DSN`` is set). No personal data is
    sent: no user ids, e-mails, IP addresses, cookies or request bodies."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=_tag_event,
    )
