"""Prometheus metrics at ``/metrics`` (``METRICS_PATH``), on any host.

Two kinds of figures:

- Counted in the process as things happen: request latency by view, answers by status, unhandled
  exceptions, and refusals by error code (where errors become responses: the API's error
  handler and the page middleware). gunicorn runs several worker processes; with
  ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets it) prometheus_client's multiprocess
  mode keeps each worker's values in a file and the page sums them, so a scrape answered by any
  worker shows every worker's counts.
- Read from the database when scraped: the business figures of every city
  (``operations.metrics``), which need no shared state at all.

The page answers only to an address in ``METRICS_ALLOWED_NETWORKS`` (default: this machine) or
to ``Authorization: Bearer <METRICS_TOKEN>``; anyone else gets a 403 that shows nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from functools import cache

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUEST_SECONDS = Histogram(
    "jp_http_request_duration_seconds",
    "Time to answer a request, by view.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RESPONSES = Counter(
    "jp_http_responses", "Answers by view and status code.", ["view", "method", "status"]
)
EXCEPTIONS = Counter(
    "jp_http_exceptions", "Unhandled exceptions (answered 500), by view.", ["view", "exception"]
)
REFUSALS = Counter(
    "jp_refusals",
    "Requests refused with a domain or input error (4xx), by city and error code.",
    ["city", "code", "status"],
)


def refusal_count(*, code: str, status: int) -> None:
    """Count one refusal answered to a request of the current city."""
    from django.db import connection

    REFUSALS.labels(connection.schema_name, str(code)[:60], str(status)).inc()


def _view_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name  # namespace:name, or the view's dotted path when unnamed
    if getattr(request, "tenant", None) is None:
        return "<no city>"  # the router refused the host
    return "<unmatched>"


class MetricsMiddleware:
    """Serves the metrics page and times every other request. Placed before the city router, so
    the page answers on any host (Prometheus scrapes the web container by its own name)."""

    def __init__(self, get_response):
        self.get_response = get_response
        _connect_exception_signal()

    def __call__(self, request):
        if request.path == settings.METRICS_PATH:
            return metrics_view(request)
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_of(request)
        REQUEST_SECONDS.labels(view, request.method).observe(time.perf_counter() - started)
        RESPONSES.labels(view, request.method, str(response.status_code)).inc()
        return response


def _on_exception(sender, request=None, **kwargs):
    import sys

    exc = sys.exc_info()[1]
    view = _view_of(request) if request is not None else "<unknown>"
    EXCEPTIONS.labels(view, type(exc).__name__ if exc else "unknown").inc()


@cache
def _connect_exception_signal() -> None:
    from django.core.signals import got_request_exception

    got_request_exception.connect(_on_exception, dispatch_uid="jp-metrics-exceptions")


# --- The page ------------------------------------------------------------------------------------


@cache
def _allowed_networks() -> tuple:
    return tuple(
        ipaddress.ip_network(net.strip(), strict=False)
        for net in settings.METRICS_ALLOWED_NETWORKS
        if net.strip()
    )


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and len(token) >= 16 and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), token.encode())
    from jeonju_prepay.http import client_ip

    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _allowed_networks())


def metrics_view(request) -> HttpResponse:
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def render_metrics() -> bytes:
    """Every worker's counts (or this process's) followed by the business figures."""
    from operations.metrics import COLLECTOR

    if MULTIPROCESS:
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    business = CollectorRegistry(auto_describe=False)
    business.register(COLLECTOR)
    return generate_latest(counted) + generate_latest(business)
