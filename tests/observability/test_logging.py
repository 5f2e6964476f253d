"""Every log line names the city and the request (or Celery task) it belongs to."""

from __future__ import annotations

import io
import logging
import re

import pytest

from operations.tasks import nightly_run_city


@pytest.fixture
def console():
    """What the configured console handler writes (the format of settings.LOGGING)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_a_request_log_line_carries_the_city_and_the_callers_request_id(city_client, console):
    response = city_client.get("/api/v1/no-such-thing", HTTP_X_REQUEST_ID="edge-7f3a9c21")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "edge-7f3a9c21"
    lines = [line for line in console.getvalue().splitlines() if "no-such-thing" in line]
    assert lines, console.getvalue()
    assert "[jeonju edge-7f3a9c21] django.request Not Found: /api/v1/no-such-thing" in lines[0]


def test_an_unusable_request_id_is_replaced_by_a_fresh_one(city_client, console):
    response = city_client.get("/api/v1/no-such-thing", HTTP_X_REQUEST_ID="a b;\tDROP")
    new_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", new_id)
    assert f"[jeonju {new_id}]" in console.getvalue()


def test_each_request_gets_its_own_id(city_client):
    first = city_client.get("/healthz")["X-Request-ID"]
    second = city_client.get("/healthz")["X-Request-ID"]
    assert first != second


def test_a_task_log_line_carries_the_schema_and_the_task_id(db, console):
    # Sent without a city's schema, the task logs an error and does nothing.
    result = nightly_run_city.apply(kwargs={"business_date": "2021-03-01"})
    assert result.get() == {"status": "no_city"}
    line = next(line for line in console.getvalue().splitlines() if "sent without a city" in line)
    assert f"[public {result.id}] operations.tasks" in line


def test_a_line_outside_any_request_says_so(console):
    logging.getLogger("jeonju_prepay.test").warning("between requests")
    assert "[public -] jeonju_prepay.test between requests" in console.getvalue()
