"""The bank test (after Jepsen's "bank" workload): money is conserved under load and faults.

N clients talk HTTP to gunicorn for T seconds doing random charges (through the sandbox payment
provider), counter payments, pledges (from the wallet and by card), redemptions, refunds and
cancellations, each with an idempotency key; some requests are resent 2-5 times (some of those
concurrently), 1% reuse a key with a new amount (which must be refused), and balance reads are
interleaved. Operations that cross programmes are mixed in: a charge cancelled after a refund
(and a refund after a cancel), the shop owner cancelling payments (a pledge's payment must be
refused), owners cancelling redemptions, and a charge cancelled while the counter spends it at
the same moment. Each client keeps its own record of what it sent and what was acknowledged.
At the end the database is checked:

  * every acknowledged (2xx) operation is in the ledger, exactly once;
  * nothing else moved: every ledger entry of the test comes from a request a client sent;
  * a key reused with new parameters moved nothing;
  * postings sum to zero, no protected balance is below zero, every stored balance equals its
    postings (ledger_check);
  * the incentive budget was never overspent (granted <= funded, no shard below zero);
  * no pledge is active whose payment was cancelled, and no cancelled pledge left its payment;
  * the payment provider's books agree with the ledger to the won: once the outbox has sent
    what it owes the provider, every order's state at the sandbox gateway matches its charge,
    and what the provider owes the city by its records equals its clearing accounts.

With --chaos, faults are injected while the clients run: a gunicorn worker is killed with
SIGKILL every 10-30 s, PostgreSQL is stopped with `-m immediate` and started again every 2
minutes, and (with REDIS_URL) the Celery worker is killed in the middle of a nightly run.
Clients retry with the same keys. The sandbox gateway fails a fifth of the cancels
the outbox sends it (``SANDBOX_PG_FAIL_RATE``), which the outbox must retry. The test runs on its own PostgreSQL (pgserver, under
.data/bank-pg) so the faults touch nothing else.

With --citus it runs against the Citus cluster of `make citus-up` instead (scripts/citus.sh,
coordinator on CITUS_PORT, default 9700), in a database `bank` made fresh on every node; the
bank city is placed on a worker like any city. The chaos then stops, in turn, the PostgreSQL of
the worker that holds the bank city and the coordinator's (`-m immediate`, started again 3 s
later).

    python bench/bank_test.py --clients 64 --seconds 600 --chaos
    python bench/bank_test.py --clients 16 --seconds 60 --chaos --pg-every 25 --worker-every 10   (CI)
    python bench/bank_test.py --citus --clients 16 --seconds 60 --chaos --pg-every 30   (make bank-test-citus)

Prints the operations done, the violations found (must be 0), throughput, p95 and the faults
injected; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from _setup import ROOT, percentile

HOST = "bank.localhost"
SCHEMA = "bank"
PG_DIR = Path(os.environ.get("BANK_PG_DIR", ROOT / ".data" / "bank-pg"))
BUDGET = 50_000_000
PASSWORD = "bank-pass-2021!"  # test accounts on a throw-away database
PIN = "123456"


# --- The database under test ---------------------------------------------------------------


def pg_start() -> str:
    import pgserver

    PG_DIR.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(PG_DIR, cleanup_mode=None)
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'bank';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE bank;")
    return f"postgres://postgres@/bank?host={server.get_postmaster_info().socket_dir}"


def pg_stop_immediate() -> None:
    from pgserver._commands import pg_ctl

    pg_ctl(
        ["-w", "-m", "immediate", "stop"],
        pgdata=PG_DIR,
        user="pgserver" if os.geteuid() == 0 else None,
    )


def pg_stop() -> None:
    """Stop the test's PostgreSQL (it is started detached, so it outlives this process)."""
    from pgserver._commands import pg_ctl

    try:
        pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=PG_DIR,
            user="pgserver" if os.geteuid() == 0 else None,
        )
    except Exception as exc:  # already stopped, or never started: nothing to do
        print(f"  (stopping the test's PostgreSQL: {exc})")


def pg_restart() -> None:
    """Start the stopped server again in a child process (pgserver keeps per-process state).

    pgserver waits 10 s for ``pg_ctl start``; crash recovery on a loaded machine can take
    longer, and the server then comes up all the same: try again until it answers."""
    for attempt in range(6):
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sys; sys.path.insert(0, 'bench'); import bank_test; bank_test.pg_start()",
                ],
                cwd=ROOT,
                check=True,
                timeout=120,
            )
            return
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            if attempt == 5:
                raise
            time.sleep(5)


CITUS_PORT = int(os.environ.get("CITUS_PORT", "9700"))
CITUS_DATABASE = "bank"


def citus_start() -> str:
    """A fresh ``bank`` database on every node of the running cluster (make citus-up)."""
    subprocess.run([str(ROOT / "scripts/citus.sh"), "up"], check=True)
    subprocess.run([str(ROOT / "scripts/citus.sh"), "createdb", CITUS_DATABASE], check=True)
    return f"postgres://postgres@127.0.0.1:{CITUS_PORT}/{CITUS_DATABASE}"


def citus_node_of_bank_city() -> str:
    """The scripts/citus.sh name of the worker that holds the bank city (worker1, ...)."""
    from cities.scaleout import city_node

    node = city_node(SCHEMA)
    if node is None:
        raise SystemExit("the bank city is not on a Citus worker")
    return f"worker{node.port - CITUS_PORT}"


def citus_stop_immediate(node: str) -> None:
    subprocess.run([str(ROOT / "scripts/citus.sh"), "stop", node, "immediate"], check=True)


def citus_restart(node: str) -> None:
    subprocess.run([str(ROOT / "scripts/citus.sh"), "start", node], check=True, timeout=120)


def prepare(database_url: str, clients: int) -> dict:
    """A fresh bank city: policy, budget, shops with devices, citizens with tokens and PINs, a
    campaign. Runs in a subprocess-free Django setup against ``database_url``."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jeonju_prepay.settings.local")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.roles import Role
    from accounts.services import user_create
    from campaigns.services import campaign_create, campaign_shop_join, phase_add
    from cities.models import City, Domain
    from cities.services import city_create
    from merchants import brn
    from merchants.services import ShopDetails, device_register, shop_register, shop_review
    from vouchers.services import budget_fund, pin_set, policy_set

    call_command("setup_platform", verbosity=0)
    old = City.objects.filter(schema_name=SCHEMA).first()
    if old is not None:  # each run starts from a fresh city
        Domain.objects.filter(tenant=old).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        old.delete(force_drop=False)
    city = city_create(schema_name=SCHEMA, name="은행시험시", domain=HOST)
    connection.set_tenant(city)
    staff = user_create(
        email="staff@bank.kr", password=PASSWORD, name="직원", roles=[Role.CITY_STAFF]
    )
    from django.utils import timezone

    today = timezone.localdate()
    policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=500,
        cashback_bp=1000,
        monthly_charge_limit=2_000_000,
        monthly_cashback_cap=100_000,
    )
    budget_fund(
        by=staff,
        name="bank",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2099, 1, 1),
        amount=BUDGET,
        idempotency_key="bank",
    )
    shops, devices, owners = [], [], []
    for n in range(8):
        owner = user_create(
            email=f"owner{n}@bank.kr", password=PASSWORD, name="대표", roles=[Role.MERCHANT_OWNER]
        )
        shop = shop_register(
            owner=owner,
            details=ShopDetails(
                name=f"가게 {n}",
                business_number=brn.with_check_digit(f"6{n:02d}1234567"[:9]),
                category="restaurant",
                district="풍남동",
                address="-",
                phone="-",
                sales_bracket="under_300m",
                bank_name="전북은행",
                bank_account="1013000000",
                bank_holder="대표",
            ),
        )
        shop_review(shop=shop, by=staff, action="approve")
        shops.append(shop.pk)
        devices.append(device_register(shop=shop, by=None, name="bank")[1])
        owners.append(Token.objects.create(user=owner).key)
    campaign = campaign_create(
        by=staff,
        name="bank",
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=30),
        min_pledge=10_000,
        max_pledge=50_000,
        max_per_citizen=10_000_000,
    )
    phase_add(
        by=staff,
        campaign=campaign,
        number=1,
        name="all",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    from merchants.models import Shop

    for shop in Shop.objects.filter(pk__in=shops):
        campaign_shop_join(shop=shop, by=shop.owner, campaign=campaign, bonus_bp=500)
    citizens = []
    for n in range(clients * 2):
        user = user_create(email=f"citizen{n}@bank.kr", password=PASSWORD, name="시민")
        pin_set(user=user, pin=PIN, password=PASSWORD)
        citizens.append(Token.objects.create(user=user).key)
    return {
        "shops": shops,
        "devices": devices,
        "owners": owners,
        "citizens": citizens,
        "campaign": campaign.pk,
    }


# --- The nightly run under a Celery worker that gets killed --------------------------------------


class Worker:
    """A Celery worker on its own queue against the bank database (REDIS_URL must be set)."""

    def __init__(self, database_url: str):
        self.queue = f"bank-{os.getpid()}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.local",
            "CELERY_QUEUE": self.queue,
            "CELERY_VISIBILITY_TIMEOUT": "10",
            "LOG_LEVEL": "WARNING",
        }
        self.proc = None

    def start(self):
        log = open(ROOT / ".data" / "bank-celery.log", "a")  # noqa: SIM115 - lives with the worker
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "jeonju_prepay",
                "worker",
                "-Q",
                self.queue,
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=log,
            stderr=log,
        )

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)


def seed_yesterday(payments: int) -> str:
    """Yesterday's payments for the nightly run to settle (bench_seed extends the bank city)."""
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    day = timezone.localdate() - dt.timedelta(days=1)
    call_command(
        "bench_seed",
        schema=SCHEMA,
        citizens=2_000,
        shops=200,
        payments=payments,
        date=day.isoformat(),
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    return day.isoformat()


def _query(fn, default=None):
    """Run a read for this process; PostgreSQL may be down for a moment (the chaos)."""
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        return fn()
    except DatabaseError:
        connection.close()
        return default


def nightly_with_a_kill(worker: Worker, day: str, faults: collections.Counter) -> list[str]:
    """Send the city's nightly run to the worker, kill the worker while settlement runs, start
    it again, and wait for the run to finish. Returns problems found (empty: all good)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from operations.models import JobRun
    from operations.nightly import STEP_ORDER
    from operations.tasks import nightly_run_city

    with schema_context(SCHEMA):
        nightly_run_city.apply_async(
            kwargs={"business_date": day, "trigger": "bank-test"}, queue=worker.queue
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            running = JobRun.objects.filter(business_date=day, step="settlement", status="running")
            if _query(running.exists, False):
                break
            time.sleep(0.05)
        else:
            return ["the nightly run never started on the worker"]
        worker.kill()
        faults["Celery worker SIGKILL mid-run"] += 1
        time.sleep(2)
        worker.start()
        faults["Celery worker start"] += 1
        deadline = time.time() + 180
        while time.time() < deadline:
            connection.close()
            finished = JobRun.objects.filter(
                business_date=day, status__in=["succeeded", "nothing_to_do"]
            )
            done = set(_query(lambda q=finished: list(q.values_list("step", flat=True)), []))
            if set(STEP_ORDER) <= done:
                return []
            time.sleep(1)
        return ["the nightly run did not finish after the worker was killed and started again"]


def check_settlement(day: str) -> list[str]:
    from django.db import connection
    from django_tenants.utils import schema_context

    from ledger.models import Entry
    from merchants.models import Statement

    problems = []
    with schema_context(SCHEMA):
        connection.close()
        statements = Statement.objects.filter(business_date=day)
        paid = statements.filter(payout_amount__gt=0).count()
        entries = Entry.objects.filter(
            kind="settlement", idempotency_key__endswith=f":{day}"
        ).count()
        if entries != paid:
            problems.append(f"{paid} shops to pay for {day} but {entries} settlement entries")
        if not statements.exists():
            problems.append(f"no statements for {day}")
    return problems


# --- The web tier ---------------------------------------------------------------------------


class Server:
    def __init__(self, database_url: str, port: int, workers: int | None):
        self.port = port
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.local",
            "DEBUG": "false",
            "LOG_LEVEL": "ERROR",
            "REQUEST_LOG_LEVEL": "ERROR",
            "CONN_MAX_AGE": "0",
            "SANDBOX_PG_FAIL_RATE": os.environ.get("SANDBOX_PG_FAIL_RATE", "0"),
        }
        log = open(ROOT / ".data" / "bank-gunicorn.log", "a")  # noqa: SIM115 - lives with the server
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--config",  # the shipped shape: sync workers, (2 x cores) + 1
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                *(["--workers", str(workers)] if workers else []),
                "--timeout",
                "60",
                "--log-level",
                "error",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=log,
        )

    def wait(self):
        import requests

        for _ in range(300):
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited ({self.proc.returncode}); see .data/bank-gunicorn.log"
                )
            try:
                if requests.get(
                    f"http://127.0.0.1:{self.port}/healthz", headers={"Host": HOST}, timeout=2
                ).status_code in (200, 503):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not start")

    def kill_a_worker(self) -> bool:
        import psutil

        children = psutil.Process(self.proc.pid).children()
        if not children:
            return False
        random.choice(children).kill()
        return True

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(20)


# --- The clients ------------------------------------------------------------------------------


@dataclass
class Record:
    """What one client sent and what came back (sent keys are what may have moved money)."""

    sent: dict = field(default_factory=lambda: collections.defaultdict(set))  # kind -> keys
    acked: dict = field(
        default_factory=lambda: collections.defaultdict(dict)
    )  # kind -> key -> body
    conflicts: list = field(default_factory=list)  # keys reused with new parameters
    latencies: list = field(default_factory=list)
    counts: collections.Counter = field(default_factory=collections.Counter)
    errors: list = field(default_factory=list)


class Client:
    def __init__(self, n: int, base: str, env: dict, record: Record, deadline: float):
        import requests

        self.n, self.base, self.env, self.rec, self.deadline = n, base, env, record, deadline
        self.rng = random.Random(n)
        self.session = requests.Session()
        self.token = env["citizens"][n]
        self.device = env["devices"][n % len(env["devices"])]
        self.shop = env["shops"][n % len(env["shops"])]
        self.orders: list[str] = []
        self.pledges: list[int] = []
        # (shop id, payment id, whether it paid for a pledge) for the owner to cancel.
        self.payments: list[tuple[int, int, bool]] = []
        self.redemptions: list[tuple[int, int]] = []  # (shop id, redemption id)
        self.owner_of = dict(zip(env["shops"], env["owners"], strict=True))

    def call(self, method, path, *, token=None, key=None, body=None, tries=30):
        """Send, and resend the same request (same key) until a definite answer."""
        import requests

        headers = {"Host": HOST, "Authorization": f"Token {token or self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        for attempt in range(tries):
            started = time.perf_counter()
            try:
                r = self.session.request(
                    method, self.base + path, headers=headers, json=body, timeout=20
                )
            except requests.RequestException:
                time.sleep(min(2.0, 0.1 * (attempt + 1)))
                continue
            self.rec.latencies.append((time.perf_counter() - started) * 1000)
            if r.status_code >= 500 or (r.status_code == 409 and "in_flight" in r.text):
                time.sleep(min(2.0, 0.1 * (attempt + 1)))
                continue
            try:
                return r.status_code, r.json()
            except ValueError:
                return r.status_code, {}
        return None, {}

    def money(self, kind, path, body, *, token=None):
        key = f"c{self.n}-{uuid.uuid4().hex[:12]}"
        self.rec.sent[kind].add(key)
        status, reply = self.call("POST", path, token=token, key=key, body=body)
        resends = self.rng.choice([0, 0, 0, 2, 3, 5])
        if resends:  # the same request again, some at the same time
            threads = [
                threading.Thread(
                    target=self.call,
                    args=("POST", path),
                    kwargs={"token": token, "key": key, "body": body},
                )
                for _ in range(resends // 2)
            ]
            for t in threads:
                t.start()
            for _ in range(resends - len(threads)):
                again_status, again = self.call("POST", path, token=token, key=key, body=body)
                if status and 200 <= status < 300 and again_status and again != reply:
                    self.rec.errors.append(f"{kind} {key}: a resend answered differently")
            for t in threads:
                t.join()
        if self.rng.random() < 0.01 and body and "amount" in body:  # reuse the key, new amount
            changed = dict(body, amount=body["amount"] + 1)
            c_status, _ = self.call("POST", path, token=token, key=key, body=changed)
            if c_status is not None and 200 <= c_status < 300 and status and 200 <= status < 300:
                self.rec.errors.append(f"{kind} {key}: a reused key with a new amount was accepted")
            self.rec.conflicts.append(key)
        self.rec.counts[f"{kind} {status}"] += 1
        if status and 200 <= status < 300:
            self.rec.acked[kind][key] = reply
        return status, reply

    def code(self):
        status, body = self.call("POST", "/api/v1/wallet/payment-code")
        return body.get("code") if status == 201 else None

    def run(self):
        ops = (
            [self.charge] * 3
            + [self.pay] * 4
            + [self.pledge] * 2
            + [self.card_pledge]
            + [self.redeem] * 2
            + [self.read] * 3
            + [self.refund, self.cancel, self.owner_cancel, self.cancel_race]
        )
        while time.time() < self.deadline:
            self.rng.choice(ops)()

    def charge(self, amount=None):
        status, body = self.call(
            "POST",
            "/api/v1/wallet/charges",
            body={"amount": amount or self.rng.choice([10_000, 30_000, 50_000])},
        )
        self.rec.counts[f"charge-create {status}"] += 1
        if status != 201:
            return None
        order = body["order_id"]
        self.rec.sent["charge"].add(order)
        # The gateway may report more than once; the first report that got through credits the
        # charge and the later ones answer "ignored", so a charge is acknowledged when any
        # report answered "credited" (keeping only the last answer missed half of them).
        answers = [
            self.call("POST", f"/sandbox-pg/api/approve/{order}")[1]
            for _ in range(self.rng.choice([1, 1, 2, 3]))
        ]
        approved = next((a for a in answers if a.get("status") == "credited"), answers[-1])
        self.rec.counts[f"charge {approved.get('status')}"] += 1
        if approved.get("status") == "credited":
            self.rec.acked["charge"][order] = approved
            self.orders.append(order)
            return order
        return None

    def pay(self):
        code = self.code()
        if code:
            status, body = self.money(
                "payment",
                "/api/v1/counter/payments",
                {"code": code, "amount": self.rng.randint(1, 30) * 500},
                token=self.device,
            )
            if status == 201:
                self.payments.append((body["shop"]["id"], body["payment_id"], False))

    def pledge(self):
        status, body = self.money(
            "pledge",
            "/api/v1/pledges",
            {
                "campaign": self.env["campaign"],
                "shop": self.shop,
                "amount": 10_000 * self.rng.randint(1, 3),
                "pay_with": "wallet",
                "pin": PIN,
            },
        )
        if status == 201:
            self.pledges.append(body["pledge_id"])
            self.payments.append((self.shop, body["payment"]["payment_id"], True))

    def card_pledge(self):
        """A pledge paid by card through the sandbox gateway (not from the wallet)."""
        key = f"c{self.n}-{uuid.uuid4().hex[:12]}"
        status, body = self.call(
            "POST",
            "/api/v1/pledges",
            key=key,
            body={
                "campaign": self.env["campaign"],
                "shop": self.shop,
                "amount": 10_000 * self.rng.randint(1, 3),
                "pay_with": "card",
            },
        )
        self.rec.counts[f"card-pledge-create {status}"] += 1
        if status != 201:
            return
        order = body["order_id"]
        self.rec.sent["charge"].add(order)
        answer = self.call("POST", f"/sandbox-pg/api/approve/{order}")[1]
        self.rec.counts[f"card-pledge {answer.get('status')}"] += 1
        if answer.get("status") == "credited":
            self.rec.acked["card_pledge"][order] = body
            self.pledges.append(body["pledge_id"])

    def redeem(self):
        code = self.code()
        if code:
            status, body = self.money(
                "redemption",
                "/api/v1/counter/redemptions",
                {"code": code, "amount": self.rng.randint(1, 10) * 1_000},
                token=self.device,
            )
            if status == 201:
                self.redemptions.append((body["shop"]["id"], body["redemption_id"]))

    def owner_cancel(self):
        """The shop's owner cancels a payment (a pledge's must be refused) or a redemption."""
        if self.redemptions and self.rng.random() < 0.3:
            shop, redemption = self.redemptions.pop()
            status, _ = self.call(
                "POST",
                f"/api/v1/shops/{shop}/redemptions/{redemption}/cancel",
                token=self.owner_of[shop],
            )
            self.rec.counts[f"owner-redemption-cancel {status}"] += 1
            return
        if not self.payments:
            return
        shop, payment, for_pledge = self.payments.pop(self.rng.randrange(len(self.payments)))
        status, _ = self.call(
            "POST", f"/api/v1/shops/{shop}/payments/{payment}/cancel", token=self.owner_of[shop]
        )
        kind = "pledge-payment" if for_pledge else "payment"
        self.rec.counts[f"owner-{kind}-cancel {status}"] += 1
        if for_pledge and status == 200:
            self.rec.errors.append(f"the owner cancelled payment {payment} behind a pledge")

    def cancel_race(self):
        """A fresh charge of 10,000 cancelled while the counter spends it at the same moment."""
        order = self.charge(10_000)
        code = self.code() if order else None
        if not code:
            return
        self.orders.remove(order)
        answers = {}

        def cancel():
            answers["cancel"] = self.call("POST", f"/api/v1/wallet/charges/{order}/cancel")[0]

        def pay():
            answers["pay"] = self.money(
                "payment",
                "/api/v1/counter/payments",
                {"code": code, "amount": 10_000},
                token=self.device,
            )[0]

        threads = [threading.Thread(target=cancel), threading.Thread(target=pay)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.rec.counts[f"race cancel {answers.get('cancel')} pay {answers.get('pay')}"] += 1

    def refund(self):
        self.money("refund", "/api/v1/wallet/refund", None)

    def cancel(self):
        if self.pledges and self.rng.random() < 0.5:
            status, _ = self.call("POST", f"/api/v1/pledges/{self.pledges.pop()}/cancel")
            self.rec.counts[f"pledge-cancel {status}"] += 1
        elif self.orders:
            status, _ = self.call("POST", f"/api/v1/wallet/charges/{self.orders.pop()}/cancel")
            self.rec.counts[f"charge-cancel {status}"] += 1

    def read(self):
        status, body = self.call("GET", "/api/v1/wallet")
        self.rec.counts[f"read {status}"] += 1
        if status == 200 and body["balance"] != body["principal"] + body["incentive"]:
            self.rec.errors.append("a balance read did not add up")


# --- Checks -------------------------------------------------------------------------------------


def check(records: list[Record]) -> list[str]:
    from django.db import connection

    from campaigns.models import Pledge, Redemption
    from cities.models import City
    from ledger.models import Account, Entry, IdempotencyRecord
    from ledger.selectors import ledger_check
    from vouchers.models import Charge, Payment, Refund

    connection.close()
    connection.set_tenant(City.objects.get(schema_name=SCHEMA))
    violations = [e for r in records for e in r.errors]
    sent = collections.defaultdict(set)
    acked = collections.defaultdict(dict)
    conflicts = set()
    for r in records:
        for kind, keys in r.sent.items():
            sent[kind] |= keys
        for kind, replies in r.acked.items():
            acked[kind].update(replies)
        conflicts.update(r.conflicts)

    def keys_in_ledger(prefix_kind):
        return set(
            IdempotencyRecord.objects.filter(
                status_code=201, key__in=sent[prefix_kind]
            ).values_list("key", flat=True)
        )

    # Every acknowledged operation is in the ledger exactly once.
    for kind, model in (("payment", Payment), ("redemption", Redemption), ("refund", Refund)):
        id_field = {"payment": "payment_id", "redemption": "redemption_id", "refund": "refund_id"}[
            kind
        ]
        ids = [body[id_field] for body in acked[kind].values()]
        found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for key, body in acked[kind].items():
            if body[id_field] not in found:
                violations.append(f"acknowledged {kind} {key} is not in the database")
        stored = keys_in_ledger(kind)
        for key in acked[kind]:
            if key not in stored:
                violations.append(f"acknowledged {kind} {key} has no stored answer")
    pledge_ids = [body["pledge_id"] for body in acked["pledge"].values()]
    if Pledge.objects.filter(pk__in=pledge_ids).count() != len(set(pledge_ids)):
        violations.append("an acknowledged pledge is missing")
    for order in acked["charge"]:
        charge = Charge.objects.filter(order_id=order).first()
        if charge is None or charge.status not in ("paid", "cancelled") or charge.entry_id is None:
            violations.append(f"acknowledged charge {order} was not credited")
    # Exactly once: one entry per key, whatever the resends.
    for kind, entry_kind in (
        ("payment", "payment"),
        ("redemption", "redemption"),
        ("refund", "refund"),
    ):
        for key in sent[kind]:
            matches = Entry.objects.filter(
                kind=entry_kind, idempotency_key__endswith=f":{key}"
            ).count()
            if matches > 1:
                violations.append(f"{kind} {key} was applied {matches} times")
    # Nothing else moved: every money entry comes from a key or an order a client sent.
    sent_keys = set().union(*sent.values()) if sent else set()
    for entry_key in Entry.objects.filter(
        kind__in=["payment", "redemption", "refund", "charge", "pledge"]
    ).values_list("idempotency_key", flat=True):
        parts = entry_key.split(":")
        if parts[0] == "bench":
            continue  # yesterday's data for the nightly run, made by bench_seed
        # charge:<order>, or <scope>:<id>:<key>[:suffix] for everything a client keyed itself
        origin = parts[1] if parts[0] == "charge" else (parts[2] if len(parts) >= 3 else None)
        if origin not in sent_keys:
            violations.append(f"entry {entry_key} comes from no request")
    # A key reused with new parameters moved nothing more.
    for key in conflicts:
        if Payment.objects.filter(entry__idempotency_key__endswith=f":{key}").count() > 1:
            violations.append(f"reused key {key} moved money twice")
    violations += check_pledges_and_payments()
    violations += check_provider()
    report = ledger_check()
    if not report.ok:
        violations.append(f"ledger_check: {report.as_dict()}")
    # The budget only shrinks by grants and grows by returns, so it was never overspent if no
    # shard is below zero; and what it lost is exactly what the grant entries took out of it.
    shards = list(Account.objects.filter(kind="incentive_budget").values_list("balance", flat=True))
    if any(b < 0 for b in shards):
        violations.append("an incentive budget shard is below zero")
    if BUDGET - sum(shards) > BUDGET:
        violations.append("the incentive budget was overspent")
    return violations


def check_pledges_and_payments() -> list[str]:
    """A pledge and what paid for it are reversed together or not at all."""
    from campaigns.models import Pledge

    violations = []
    for pledge in Pledge.objects.filter(
        status__in=["active", "used"], payment__isnull=False
    ).filter(payment__status="cancelled"):
        violations.append(f"pledge {pledge.pk} is {pledge.status} but its payment was cancelled")
    for pledge in Pledge.objects.filter(status="cancelled", paid_with="wallet").exclude(
        payment__status="cancelled"
    ):
        violations.append(f"pledge {pledge.pk} was cancelled but its payment stands")
    for pledge in Pledge.objects.filter(status="cancelled", paid_with="card").exclude(
        charge__status="cancelled"
    ):
        violations.append(f"card pledge {pledge.pk} was cancelled but its charge stands")
    return violations


def check_provider() -> list[str]:
    """The sandbox gateway's books against the ledger, to the won. First the outbox sends what
    is still owed to the gateway (the chaos may have killed a worker between a commit and its
    call, and the gateway failed some calls on purpose); then every order must agree, and what
    the gateway is owed by its records must equal the clearing accounts."""
    from django.utils import timezone

    from vouchers.models import Charge, ProviderCall
    from vouchers.models_sandbox import SandboxPayment
    from vouchers.services import provider_calls_deliver_due, provider_reconcile

    violations = []
    for _round in range(5):
        ProviderCall.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        provider_calls_deliver_due()
        if not ProviderCall.objects.filter(status="pending").exists():
            break
    pending = ProviderCall.objects.filter(status="pending").count()
    if pending:
        violations.append(f"{pending} provider calls were never delivered")
    # Approvals whose callback a killed worker lost are applied by the reconciliation first.
    report = provider_reconcile(provider_name="sandbox", business_date=timezone.localdate())
    if report.applied:
        print(f"  reconciliation applied {len(report.applied)} provider records the ledger lacked")
    for difference in report.differences:
        violations.append(f"provider reconciliation: {difference}")
    if report.provider_owes - report.pending_cancels != report.clearing_owes:
        violations.append(
            f"the gateway is owed {report.provider_owes:,} by its records, "
            f"{report.clearing_owes:,} by the ledger"
        )
    charges = {c.order_id: c for c in Charge.objects.filter(provider="sandbox")}
    for payment in SandboxPayment.objects.all():
        charge = charges.get(payment.order_id)
        if charge is None:
            violations.append(f"the gateway has order {payment.order_id} that we do not")
            continue
        expected = {
            "approved": {"paid"},
            "cancelled": {"cancelled", "failed"},
            "failed": {"failed", "cancelled"},
            "ready": {"created"},
        }.get(payment.status, set())
        if charge.status not in expected:
            violations.append(
                f"order {payment.order_id}: {payment.status} at the gateway, {charge.status} here"
            )
    print(
        f"  provider books: {report.orders_compared:,} orders, owed by the gateway's records "
        f"{report.provider_owes:,} won, by the ledger {report.clearing_owes:,} won"
    )
    return violations


# --- Faults ------------------------------------------------------------------------------------


class Chaos(threading.Thread):
    """Kills gunicorn workers and stops PostgreSQL. ``citus_nodes``: the cluster's nodes to
    stop in turn (the bank city's worker, the coordinator) instead of the test's own server."""

    def __init__(
        self,
        server: Server,
        deadline: float,
        worker_every: tuple[int, int],
        pg_every: int,
        citus_nodes: list[str] | None = None,
    ):
        super().__init__(daemon=True)
        self.server, self.deadline = server, deadline
        self.worker_every, self.pg_every = worker_every, pg_every
        self.citus_nodes = citus_nodes
        self.faults = collections.Counter()

    def run(self):
        next_worker = time.time() + random.randint(*self.worker_every)
        next_pg = time.time() + self.pg_every
        while time.time() < self.deadline - 5:
            now = time.time()
            if now >= next_worker:
                if self.server.kill_a_worker():
                    self.faults["gunicorn worker SIGKILL"] += 1
                next_worker = now + random.randint(*self.worker_every)
            if now >= next_pg:
                if self.citus_nodes:
                    node = self.citus_nodes[0]
                    self.citus_nodes.append(self.citus_nodes.pop(0))
                    citus_stop_immediate(node)
                    self.faults[f"Citus {node} PostgreSQL stop -m immediate"] += 1
                    time.sleep(3)
                    citus_restart(node)
                    self.faults[f"Citus {node} PostgreSQL start"] += 1
                else:
                    pg_stop_immediate()
                    self.faults["PostgreSQL stop -m immediate"] += 1
                    time.sleep(3)
                    pg_restart()
                    self.faults["PostgreSQL start"] += 1
                next_pg = time.time() + self.pg_every
            time.sleep(0.5)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def did_something(records: list[Record]) -> list[str]:
    """A run in which nothing succeeded proves nothing: every kind of money operation must have
    been acknowledged at least once."""
    acked = collections.Counter()
    for r in records:
        for kind, replies in r.acked.items():
            acked[kind] += len(replies)
    return [
        f"no {kind} was acknowledged: the workload did not run"
        for kind in ("charge", "payment", "pledge", "card_pledge", "redemption")
        if acked[kind] == 0
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--chaos", action="store_true")
    parser.add_argument(
        "--worker-every", type=int, nargs=2, default=(10, 30), metavar=("MIN", "MAX")
    )
    parser.add_argument("--pg-every", type=int, default=120)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument(
        "--keep-pg", action="store_true", help="leave the test's PostgreSQL running at the end"
    )
    parser.add_argument(
        "--citus",
        action="store_true",
        help="run against the Citus cluster of make citus-up (the chaos stops its nodes)",
    )
    parser.add_argument(
        "--nightly-payments",
        type=int,
        default=50_000,
        help="yesterday's payments for the nightly run (chaos with REDIS_URL)",
    )
    args = parser.parse_args()

    print(
        f"bank test: {args.clients} clients, {args.seconds} s, chaos={'on' if args.chaos else 'off'}"
        + (f", Citus (coordinator 127.0.0.1:{CITUS_PORT})" if args.citus else "")
    )
    database_url = citus_start() if args.citus else pg_start()
    if not args.keep_pg and not args.citus:
        import atexit

        atexit.register(pg_stop)  # registered first, so it runs after the servers are killed
    started = time.time()
    env = prepare(database_url, args.clients)
    if args.chaos:
        # The gateway fails a fifth of the cancels the outbox sends it; the server reads this
        # (this process's settings are loaded already, so its final check sends reliably).
        os.environ.setdefault("SANDBOX_PG_FAIL_RATE", "0.2")
    celery_chaos = args.chaos and bool(os.environ.get("REDIS_URL"))
    day = seed_yesterday(args.nightly_payments) if celery_chaos else None
    citus_nodes = [citus_node_of_bank_city(), "coordinator"] if args.citus else None
    print(
        f"  prepared a fresh city in {time.time() - started:.0f} s"
        + (f" (on Citus {citus_nodes[0]})" if citus_nodes else "")
    )
    from django.db import connection

    connection.close()
    worker = Worker(database_url) if celery_chaos else None
    if worker:
        worker.start()
    port = args.port or free_port()
    server = Server(database_url, port, args.workers)
    import atexit

    atexit.register(
        lambda: server.proc.poll() is None and os.killpg(server.proc.pid, signal.SIGKILL)
    )
    if worker:
        atexit.register(
            lambda: (
                worker.proc
                and worker.proc.poll() is None
                and os.killpg(worker.proc.pid, signal.SIGKILL)
            )
        )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    server.wait()
    deadline = time.time() + args.seconds
    records = [Record() for _ in range(args.clients)]
    clients = [
        Client(n, f"http://127.0.0.1:{port}", env, records[n], deadline)
        for n in range(args.clients)
    ]
    chaos = (
        Chaos(server, deadline, tuple(args.worker_every), args.pg_every, citus_nodes)
        if args.chaos
        else None
    )
    threads = [threading.Thread(target=c.run) for c in clients]
    t0 = time.time()
    for t in threads:
        t.start()
    if chaos:
        chaos.start()
    nightly_problems: list[str] = []

    def nightly():
        time.sleep(min(10, args.seconds / 4))
        nightly_problems.extend(nightly_with_a_kill(worker, day, chaos.faults))

    nightly_thread = threading.Thread(target=nightly) if worker else None
    if nightly_thread:
        nightly_thread.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    if nightly_thread:
        nightly_thread.join(300)
    if chaos:
        chaos.join(60)
    server.stop()
    if worker:
        worker.stop()

    violations = (
        did_something(records)
        + check(records)
        + nightly_problems
        + (check_settlement(day) if day else [])
    )
    counts = collections.Counter()
    for r in records:
        counts.update(r.counts)
    operations = sum(counts.values())
    latencies = [x for r in records for x in r.latencies]
    print(
        f"  operations: {operations:,} in {elapsed:.0f} s ({operations / elapsed:,.0f}/s); requests {len(latencies):,}, p95 {percentile(latencies, 95):.1f} ms"
    )
    for name, n in sorted(counts.items()):
        print(f"    {name:<28} {n:>7,}")
    if chaos:
        print(
            "  faults injected: "
            + (", ".join(f"{k} x{v}" for k, v in chaos.faults.items()) or "none")
        )
    print(f"  violations: {len(violations)}")
    for v in violations[:50]:
        print(f"    {v}")
    result = {
        "operations": operations,
        "seconds": round(elapsed),
        "violations": len(violations),
        "p95_ms": round(percentile(latencies, 95), 1),
        "faults": dict(chaos.faults) if chaos else {},
    }
    print("  " + json.dumps(result))
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
