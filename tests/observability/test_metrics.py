"""The metrics page: who may read it, and the business figures of every city after some money
has moved, scraped in Prometheus's text format."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from merchants.services import payment_code_issue
from operations.metrics import COLLECTOR
from operations.models import JobRun
from tests.conftest import CITY_HOST
from tests.merchants.factories import device_for
from tests.vouchers.conftest import charge, pay

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture(autouse=True)
def _metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_CACHE_SECONDS = 0
    COLLECTOR.clear()
    yield
    COLLECTOR.clear()


def scrape(*, host="web:8000", **extra) -> dict[tuple, float]:
    """GET /metrics with the token; ``{(sample name, sorted labels): value}``."""
    response = Client().get(
        "/metrics", HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **extra
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- Who may read it -----------------------------------------------------------------------------


def test_metrics_refuse_an_address_outside_the_allowed_networks(db):
    response = Client().get("/metrics", HTTP_HOST="web:8000", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert b"jp_" not in response.content


def test_metrics_refuse_a_wrong_token_and_a_token_that_is_too_short(db, settings):
    wrong = Client().get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer not-the-token-at-all!"
    )
    assert wrong.status_code == 403
    settings.METRICS_TOKEN = "short"  # fewer than 16 characters is never accepted
    short = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer short")
    assert short.status_code == 403


def test_metrics_answer_an_allowed_address_without_a_token(db, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    from jeonju_prepay.metrics import _allowed_networks

    _allowed_networks.cache_clear()
    try:
        inside = Client().get("/metrics", HTTP_HOST="web:8000", REMOTE_ADDR="10.1.2.3")
        outside = Client().get("/metrics", HTTP_HOST="web:8000", REMOTE_ADDR="127.0.0.1")
    finally:
        _allowed_networks.cache_clear()
    assert inside.status_code == 200
    assert b"jp_metrics_database_up 1.0" in inside.content
    assert outside.status_code == 403


def test_metrics_answer_only_get(db):
    response = Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


# --- The business figures ----------------------------------------------------------------------


@pytest.fixture
def device_api(city, shop):
    class DeviceClient(APIClient):
        def request(self, **kwargs):
            try:
                return super().request(**kwargs)
            finally:
                connection.set_tenant(city)

    _device, token = device_for(shop)
    client = DeviceClient(HTTP_HOST=CITY_HOST)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.usefixtures("jeonju_policy")
def test_metrics_after_payments_show_each_citys_business_figures(
    city, citizen, shop, budget, device_api
):
    before = scrape()
    budget(1_000_000)
    charge(citizen, 100_000)  # no charging incentive in Jeonju's policy
    pay(citizen, shop, 12_345)  # cashback 1,234 (10%, down to the won)
    pay(citizen, shop, 20_000)  # cashback 2,000
    # A counter payment larger than what is left (100,000 - 32,345 + 3,234 = 70,889) is refused.
    code = payment_code_issue(user=citizen).number
    refused = device_api.post(
        "/api/v1/counter/payments",
        {"code": code, "amount": 90_000},
        format="json",
        headers={"Idempotency-Key": "too-much"},
    )
    assert refused.status_code == 400
    after = scrape()

    jeonju = {"city": "jeonju"}
    assert value(after, "jp_payments_total", **jeonju) == 2
    assert value(after, "jp_payments_won_total", **jeonju) == 32_345  # 12,345 + 20,000
    assert value(after, "jp_ledger_entries_total", kind="charge", **jeonju) == 1
    assert value(after, "jp_ledger_entries_won_total", kind="charge", **jeonju) == 100_000
    assert value(after, "jp_ledger_entries_total", kind="payment", **jeonju) == 2
    # The incentive budget: 1,000,000 funded less 1,234 + 2,000 of cashback.
    assert value(after, "jp_incentive_budget_left_won", **jeonju) == 996_766
    # The sandbox gateway owes the city the 100,000 charged until it pays out (counterpart
    # accounts are negative).
    assert value(after, "jp_system_balance_won", kind="provider_clearing", **jeonju) == -100_000
    assert value(after, "jp_metrics_city_up", **jeonju) == 1
    # The other city moved nothing.
    assert value(after, "jp_payments_total", city="wanju") == 0
    assert value(after, "jp_metrics_city_up", city="wanju") == 1
    # The refusal, by city and code (counted in the process: compare with before).
    refusal = {"city": "jeonju", "code": "insufficient_balance", "status": "400"}
    assert (
        value(after, "jp_refusals_total", **refusal) - value(before, "jp_refusals_total", **refusal)
        == 1
    )
    # Request latency by view: the refused payment was timed under its view's name.
    timed = {"view": "api:counter-payments", "method": "POST"}
    assert (
        value(after, "jp_http_request_duration_seconds_count", **timed)
        - value(before, "jp_http_request_duration_seconds_count", **timed)
        == 1
    )
    responses = {"view": "api:counter-payments", "method": "POST", "status": "400"}
    assert (
        value(after, "jp_http_responses_total", **responses)
        - value(before, "jp_http_responses_total", **responses)
        == 1
    )


def test_payments_counter_starts_at_midnight_and_says_so(city):
    samples = scrape()
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    assert value(samples, "jp_payments_created", city="jeonju") == midnight.timestamp()


def test_metrics_show_the_latest_nightly_run_of_each_step(city):
    day = dt.date(2021, 3, 1)
    finished = timezone.make_aware(dt.datetime(2021, 3, 2, 2, 0, 41))
    JobRun.objects.create(
        business_date=day,
        step="settlement",
        attempt=1,
        status="failed",
        duration=dt.timedelta(seconds=12),
        finished_at=finished,
    )
    JobRun.objects.create(
        business_date=day,
        step="settlement",
        attempt=2,
        status="succeeded",
        duration=dt.timedelta(seconds=3, milliseconds=240),
        finished_at=finished,
    )
    JobRun.objects.create(
        business_date=day,
        step="reconcile",
        attempt=1,
        status="failed",
        duration=dt.timedelta(seconds=2),
        finished_at=finished,
    )
    samples = scrape()
    settlement = {"city": "jeonju", "step": "settlement"}
    assert value(samples, "jp_nightly_step_duration_seconds", **settlement) == 3.24
    assert value(samples, "jp_nightly_step_ok", status="succeeded", **settlement) == 1
    assert (
        value(samples, "jp_nightly_step_ok", city="jeonju", step="reconcile", status="failed") == 0
    )
    start_of_day = timezone.make_aware(dt.datetime(2021, 3, 1)).timestamp()
    assert (
        value(samples, "jp_nightly_step_business_date_timestamp_seconds", **settlement)
        == start_of_day
    )
    assert (
        value(samples, "jp_nightly_step_finished_timestamp_seconds", **settlement)
        == finished.timestamp()
    )


def test_metrics_show_the_celery_queue_length(db, settings, redis_url):
    import redis

    queue = f"jp-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.rpush(queue, "a", "b", "c")
        client.rpush(f"{queue}\x06\x163", "d", "e")  # kombu's list for priority step 3
        samples = scrape()
    finally:
        client.delete(queue, f"{queue}\x06\x163")
    assert value(samples, "jp_celery_queue_length", queue=queue) == 5
