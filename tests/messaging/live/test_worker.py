"""A real Celery worker (a subprocess) against Redis sends every message that exists today:
each service's ``on_commit`` line queues the task through the broker, the worker runs it in the
city's schema (tenant-schemas-celery) and the sandbox provider records one delivery per message.
A provider outage is retried by the worker with backoff and the message still goes once.
Required under CI=true (see the ``redis_url`` fixture); the worker reads the test database."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.services import otp_request, user_create_assisted
from campaigns.models import Pledge
from ledger.services import Idem
from messaging.models import Message, SandboxDelivery
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.merchants.factories import ShopFactory
from tests.operations.live.test_celery_worker import pytest_database_url
from tests.vouchers.conftest import charge, jeonju_rules_and_budget, pay
from vouchers.services import pin_set, wallet_refund

from ..factories import SandboxFaultFactory

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


@pytest.fixture
def worker(redis_url, live_city):
    """A worker on a queue of its own, and this process sending to it (not eagerly)."""
    from jeonju_prepay.celery import app

    queue = f"test-messages-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        # Base settings: not the test settings, which force tasks to run eagerly.
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.local",
        "DATABASE_URL": pytest_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "DEBUG": "false",
        "MESSAGING_SMS_PROVIDER": "sandbox",
        "MESSAGING_EMAIL_PROVIDER": "sandbox",
        "MESSAGING_RETRY_BASE_SECONDS": "1",
        "MESSAGING_RETRY_MAX_SECONDS": "4",
    }
    log = Path(tempfile.mkstemp(prefix="celery-messages-", suffix=".log")[1])
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
    saved = {
        key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")
    }
    app.conf.update(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    try:
        yield process, log
    finally:
        app.conf.update(saved)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        import redis

        redis.Redis.from_url(redis_url).delete(queue)
        output.close()
        log.unlink(missing_ok=True)


def _wait_for(process, log, done, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done() or process.poll() is not None:
            break
        time.sleep(0.5)
    return log.read_text(errors="replace")


def test_a_real_worker_sends_every_message_once_and_retries_an_outage(live_city, worker):
    process, log = worker
    jeonju_rules_and_budget()
    staff = StaffFactory()
    citizen = CitizenFactory(phone="01030000001")
    pin_set(user=citizen, pin="123456", password="test-pass-1234")
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    shop = ShopFactory(name="전주비빔밥")
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)

    # A charge's result, a pledge's receipt, a refund: each from its service's on_commit line.
    created = charge(citizen, 200_000)
    pledged = pledge(citizen, campaign, shop, 100_000)
    pay(citizen, shop, 50_000)
    wallet_refund(user=citizen, idem=Idem.of(f"user:{citizen.pk}", "refund-live", "r"))
    # A prepaid balance ending within 7 days: the daily run, dispatched from the public schema.
    Pledge.objects.filter(pk=pledged["pledge_id"]).update(
        valid_until=timezone.localdate() + dt.timedelta(days=3)
    )
    from messaging.tasks import reminders_dispatch

    with schema_context("public"):
        reminders_dispatch.apply_async(kwargs={"schemas": [live_city.schema_name]})
    connection.set_tenant(live_city)
    # A sign-in code for a citizen without email, through an outage of the SMS provider.
    grandma = user_create_assisted(created_by=staff, phone="010-3000-0002", name="김할매")
    SandboxFaultFactory(to=grandma.phone, failures=2, transient=True)
    otp_request(phone=grandma.phone, client_ip="203.0.113.9")

    expected = {
        "vouchers.charge_result": 2,  # email and KakaoTalk
        "campaigns.pledge_receipt": 2,
        "vouchers.refund_done": 2,
        "campaigns.prepaid_expiring": 2,
        "messaging.sign_in_code": 1,  # text message only
    }

    def done():
        sent = Counter(Message.objects.filter(status="sent").values_list("kind", flat=True))
        return all(sent[kind] >= n for kind, n in expected.items())

    output = _wait_for(process, log, done)
    sent = Counter(Message.objects.filter(status="sent").values_list("kind", flat=True))
    assert dict(sent) == expected, (
        list(Message.objects.values_list("kind", "channel", "status", "attempts", "last_error")),
        output[-4000:],
    )
    # Once each: one sandbox delivery per message, and nothing left unsent.
    references = Counter(SandboxDelivery.objects.values_list("reference", flat=True))
    assert len(references) == sum(expected.values())
    assert set(references.values()) == {1}
    assert not Message.objects.exclude(status="sent").exists()
    # The outage: two failed tries, then sent, by the worker's retries.
    code_message = Message.objects.get(kind="messaging.sign_in_code")
    assert code_message.attempts == 3
    assert code_message.to == "01030000002"
    assert "retry in" in output  # retried by the worker with a countdown, not inline
    assert f"vouchers.charge_result:{created.order_id}:paid:email" in references
    # Through the broker: the worker ran the tasks (this process did not run them eagerly).
    assert "messaging.tasks.message_prepare" in output
    assert "messaging.tasks.message_deliver" in output
    assert "messaging.tasks.reminders_run_city" in output
    # Nothing ran in another city.
    with schema_context("jeonju"):
        assert not Message.objects.exists()
