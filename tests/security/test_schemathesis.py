"""Schemathesis against the city's own ``/api/schema/``: every operation, in-process.

Each operation is fed generated input (valid by the schema, then invalid) through the real WSGI
application with the Host header of the test city and the credentials it needs (a citizen's token,
a counter device's token, city staff's token, or none). Every answer must be no 500 and must
match the schema: the documented body for a documented status, the documented content type.
Invalid input must be refused with a 4xx. Bounded for CI: ``MAX_EXAMPLES`` per mode and operation.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import CITY_HOST

from .world import assert_nothing_moved, money_snapshot

MAX_EXAMPLES = int(os.environ.get("SECURITY_MAX_EXAMPLES", "20"))  # raise it for a deep run
BASE_URL = f"http://{CITY_HOST}"

# Who calls each operation (by path); everything else is a citizen's.
DEVICE_PATHS = ("/api/v1/counter/",)
STAFF_PATHS = ("/api/v1/rentals/",)
NOBODY_PATHS = ("/api/v1/auth/token", "/api/v1/payments/callback/")


def _operations_at_import() -> dict[str, dict]:
    """The operations, as ``METHOD /path``, from the same generator the schema view uses (the
    test then checks the served schema has exactly these)."""
    generated = SchemaGenerator(urlconf="jeonju_prepay.urls_city").get_schema(public=True)
    return {
        f"{method.upper()} {path}": operation
        for path, methods in generated["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def _negatable(operation: dict) -> bool:
    """Whether some input can break the schema: a body, a query parameter, a required header,
    or a path parameter that is not free text (free text in a path cannot be invalid)."""
    return "requestBody" in operation or any(
        p["in"] in ("query", "header") or p["schema"].get("type") != "string"
        for p in operation.get("parameters", [])
    )


_ALL = _operations_at_import()
OPERATIONS = sorted(_ALL)
CASES = [(label, "positive") for label in OPERATIONS] + [
    (label, "negative") for label in OPERATIONS if _negatable(_ALL[label])
]


@pytest.fixture
def served_schema(city, api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, without the end-of-request connection reset: the test's
    transaction (and the city's rolled-back data) lives on that connection. Django's test
    client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_served_schema_has_every_operation(served_schema):
    served = sorted(
        f"{method.upper()} {path}"
        for path, methods in served_schema["paths"].items()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    )
    assert served == OPERATIONS
    assert len(OPERATIONS) >= 19


def _auth(world, path: str) -> dict[str, str]:
    if path.startswith(NOBODY_PATHS):
        return {}
    if path.startswith(DEVICE_PATHS):
        return {"Authorization": world.tokens["device_x"]}
    if path.startswith(STAFF_PATHS):
        return {"Authorization": world.tokens["staff"]}
    return {"Authorization": world.tokens["citizen_a"]}


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_api_operation_survives_generated_input(world, served_schema, wsgi_app, label, mode):
    mode = schemathesis.GenerationMode(mode)
    method, path = label.split(" ", 1)
    schema = schemathesis.openapi.from_dict(served_schema)
    operation = schema[path][method]
    headers = _auth(world, path)
    checks = [*CHECKS, negative_data_rejection] if mode.is_negative else CHECKS

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        try:
            response = case.call(base_url=BASE_URL, app=wsgi_app, headers=headers)
        finally:
            connection.set_tenant(world.city)
        case.validate_response(response, checks=checks, headers=headers)

    before = money_snapshot()
    run()
    if method == "GET":
        assert_nothing_moved(before, label)
