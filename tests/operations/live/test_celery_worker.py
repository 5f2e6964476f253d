"""A real Celery worker (a subprocess) against Redis runs a city's nightly run in the city's
schema: the public dispatcher fans out through the broker to the per-city task, whose headers
carry the schema (tenant-schemas-celery). Required under CI=true (see the ``redis_url``
fixture); the worker reads the pytest test database."""

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import time_machine
from django.db import connection
from django_tenants.utils import schema_context

from merchants.models import Statement
from operations.models import JobRun
from tests.accounts.factories import CitizenFactory
from tests.dashboard.scenario import at, paid_out
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, jeonju_rules_and_budget, pay

ROOT = Path(__file__).resolve().parents[3]
D = dt.date(2026, 3, 10)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def broker_url_for_tests(redis_url: str) -> str:
    """The same Redis server, database 5 (kept apart from anyone else's work)."""
    parts = urlsplit(redis_url)
    return urlunsplit((parts.scheme, parts.netloc, "/5", parts.query, parts.fragment))


def pytest_database_url() -> str:
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or "127.0.0.1"
    if host.startswith("/"):  # a unix socket
        return f"postgres://{auth}/{s['NAME']}?host={quote(host, safe='')}"
    return f"postgres://{auth}{host}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def worker(redis_url, live_city):
    broker = broker_url_for_tests(redis_url)
    queue = f"test-nightly-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        # Base settings: not the test settings, which force tasks to run eagerly.
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.local",
        "DATABASE_URL": pytest_database_url(),
        "REDIS_URL": broker,
        "CELERY_QUEUE": queue,
        "DEBUG": "false",
    }
    log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
    output = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "jeonju_prepay",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        yield broker, queue, process, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        import redis

        redis.Redis.from_url(broker).delete(queue)
        output.close()
        log.unlink(missing_ok=True)


def test_a_real_worker_runs_the_citys_nightly_run_in_the_citys_schema(live_city, worker):
    broker, queue, process, log = worker
    jeonju_rules_and_budget()
    citizen, shop = CitizenFactory(), ShopFactory()
    with time_machine.travel(at(D, 10)):
        charge(citizen, 100_000)
        pay(citizen, shop, 23_000)

    from jeonju_prepay.celery import app

    with schema_context("public"), app.connection_for_write(broker) as conn:
        app.send_task(
            "operations.tasks.nightly_dispatch",
            kwargs={"business_date": D.isoformat(), "schemas": [live_city.schema_name]},
            queue=queue,
            connection=conn,
            headers={"_schema_name": "public"},
        )

    connection.set_tenant(live_city)
    deadline = time.monotonic() + 120
    finished = []
    while time.monotonic() < deadline:
        finished = list(
            JobRun.objects.filter(business_date=D)
            .exclude(status="running")
            .values_list("step", "status", "trigger")
        )
        if len(finished) == 8 or process.poll() is not None:
            break
        time.sleep(0.5)
    output = log.read_text(errors="replace")
    assert len(finished) == 8, f"the worker did not finish the run:\n{output[-4000:]}"
    assert sorted(finished) == [
        ("caps", "succeeded", "schedule"),
        ("fraud", "nothing_to_do", "schedule"),
        ("grants", "nothing_to_do", "schedule"),
        ("prepaid", "nothing_to_do", "schedule"),
        ("reconcile", "succeeded", "schedule"),
        ("rollups", "succeeded", "schedule"),
        ("settlement", "succeeded", "schedule"),
        ("solidarity", "nothing_to_do", "schedule"),
    ]
    assert Statement.objects.get(shop=shop, business_date=D).payout_amount == 23_000
    assert paid_out(shop) == 23_000
    assert "operations.tasks.nightly_dispatch" in output
    assert "operations.tasks.nightly_run_city" in output  # through the broker, not inline
    # Nothing ran anywhere else.
    with schema_context("jeonju"):
        assert not JobRun.objects.exists(), list(
            JobRun.objects.values_list("business_date", "step", "trigger", "started_at")
        )
