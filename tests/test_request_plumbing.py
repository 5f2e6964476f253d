"""The request plumbing's shortcuts keep what they shortcut: the database health check that
asks the socket first, the Content-Security-Policy built once, and content negotiation's common
case answered without parsing (docs/benchmarks.md, "Cuts in the request plumbing")."""

from __future__ import annotations

import select

import pytest
from csp.constants import HEADER, NONCE
from csp.utils import build_policy
from django.db import connection, connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from jeonju_prepay.middleware import CSPMiddleware

# --- The health check ------------------------------------------------------------------------


@pytest.fixture
def other_connection(db):
    """A second connection to the test database, outside the test's transaction."""
    other = connections.create_connection("default")
    other.ensure_connection()
    yield other
    other.close()


def _last_query(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_health_check_of_a_quiet_connection_sends_nothing_to_the_server(other_connection):
    with other_connection.cursor() as cursor:
        cursor.execute("SELECT 'plumbing marker'")
    pid = other_connection.connection.info.backend_pid

    assert other_connection.is_usable()

    # Django's own check would have sent SELECT 1; the backend's last statement is still ours.
    assert _last_query(pid) == "SELECT 'plumbing marker'"


def test_health_check_finds_a_connection_the_server_ended_and_a_new_one_is_opened(
    other_connection,
):
    old_pid = other_connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    # The server's last message reaches the socket (it is sent before the backend exits).
    readable, _, _ = select.select([other_connection.connection.fileno()], [], [], 5)
    assert readable

    assert not other_connection.is_usable()

    # What Django does at the start of a request that reuses the connection.
    other_connection.health_check_done = False
    other_connection.close_if_health_check_failed()
    with other_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != old_pid


def test_health_check_of_a_closed_connection_is_false(other_connection):
    other_connection.connection.close()

    assert not other_connection.is_usable()


# --- The Content-Security-Policy built once ---------------------------------------------------


def _served(request, response=None) -> HttpResponse:
    middleware = CSPMiddleware(lambda r: response or HttpResponse("ok"))
    middleware.process_request(request)
    return middleware.process_response(request, response or HttpResponse("ok"))


def test_csp_header_is_django_csps_own_policy():
    response = _served(RequestFactory().get("/"))

    assert response[HEADER] == build_policy()
    assert "frame-ancestors 'none'" in response[HEADER]


def test_csp_header_follows_a_change_of_the_setting():
    _served(RequestFactory().get("/"))  # built and kept
    policy = {"DIRECTIVES": {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}}

    with override_settings(CONTENT_SECURITY_POLICY=policy):
        changed = _served(RequestFactory().get("/"))

    assert "default-src 'none'" in changed[HEADER]
    assert _served(RequestFactory().get("/"))[HEADER] == build_policy()


def test_csp_of_a_view_that_changes_its_policy_is_built_for_it():
    response = HttpResponse("ok")
    response._csp_update = {"img-src": ["https://tiles.example"]}

    served = _served(RequestFactory().get("/"), response)

    assert "https://tiles.example" in served[HEADER]


def test_csp_of_a_page_that_used_a_nonce_carries_the_nonce():
    policy = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}
    request = RequestFactory().get("/")
    middleware = CSPMiddleware(lambda r: HttpResponse("ok"))

    with override_settings(CONTENT_SECURITY_POLICY=policy):
        middleware.process_request(request)
        nonce = str(request.csp_nonce)  # a template asked for it
        response = middleware.process_response(request, HttpResponse("ok"))

    assert f"'nonce-{nonce}'" in response[HEADER]


def test_csp_header_set_by_the_view_is_kept():
    response = HttpResponse("ok")
    response[HEADER] = "default-src 'none'"

    assert _served(RequestFactory().get("/"), response)[HEADER] == "default-src 'none'"


def test_pages_still_carry_the_policy(city_client):
    response = city_client.get("/")

    assert response[HEADER] == build_policy()


# --- Content negotiation --------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_api_answers_json_to_the_usual_accept_headers(city_client, accept):
    headers = {"Accept": accept} if accept else {}

    response = city_client.get("/api/v1/wallet", headers=headers)

    assert response.status_code in (401, 403)  # not signed in: refused, in JSON
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"]


def test_api_refuses_a_client_that_accepts_no_json_as_before(city_client):
    response = city_client.get("/api/v1/wallet", headers={"Accept": "text/html"})

    assert response.status_code == 406
