"""Shared setup for the bench scripts: Django settings, a bench city, timing helpers."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jeonju_prepay.settings.local")


def django_setup() -> None:
    import django

    django.setup()


def bench_host(schema: str) -> str:
    return schema.replace("_", "-") + ".localhost"  # host names take no underscores


def bench_city_drop(schema: str) -> None:
    """Drop the bench city ``schema`` (its schema, its city and domain rows), so that the next
    ``bench_city`` starts from an empty city. Only bench cities."""
    from django.db import connection, transaction

    if not schema.startswith("bench_"):
        raise ValueError(f"{schema} is not a bench city")
    connection.set_schema_to_public()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM cities_domain WHERE tenant_id IN"
            " (SELECT id FROM cities_city WHERE schema_name = %s)",
            [schema],
        )
        cursor.execute("DELETE FROM cities_city WHERE schema_name = %s", [schema])
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bench_city(schema: str, name: str = "벤치시"):
    """The bench city ``schema`` (host ``bench_host(schema)``), created and migrated if new."""
    from cities.models import City
    from cities.services import city_create

    city = City.objects.filter(schema_name=schema).first()
    if city is None:
        city = city_create(schema_name=schema, name=name, domain=bench_host(schema))
    return city


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(latencies_ms: list[float]) -> str:
    return (
        f"p50 {percentile(latencies_ms, 50):.2f} ms, p95 {percentile(latencies_ms, 95):.2f} ms, "
        f"p99 {percentile(latencies_ms, 99):.2f} ms, mean {statistics.fmean(latencies_ms):.2f} ms"
    )


# --- The counter benches' city: bench/counter_bench.py and bench/counter_wrk.py ----------------


def counter_city(schema: str, name: str, shops_wanted: int = 8):
    """The counter bench city: a policy (10% cashback), a large incentive budget and
    ``shops_wanted`` approved shops. Returns ``(city, shops)``; the connection is left on the
    city's schema."""
    import datetime as dt
    import uuid

    from django.db import connection

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import role_grant
    from merchants import brn
    from merchants.models import Shop, ShopMember
    from vouchers.models import Policy
    from vouchers.services import budget_fund, policy_set

    city = bench_city(schema, name)
    connection.set_tenant(city)
    if not Policy.objects.exists():
        policy_set(
            by=None,
            effective_from=dt.date(2020, 1, 1),
            cashback_bp=1000,
            monthly_charge_limit=10_000_000,
            monthly_cashback_cap=10_000_000,
        )
        budget_fund(
            by=None,
            name="bench",
            starts_on=dt.date(2020, 1, 1),
            ends_on=dt.date(2099, 1, 1),
            amount=10_000_000_000,
            idempotency_key="bench",
        )
    shops = list(Shop.objects.filter(status="approved").order_by("id")[:shops_wanted])
    if len(shops) < shops_wanted:
        owner = User.objects.create_user(
            email=f"owner-{uuid.uuid4().hex[:8]}@bench.kr", password=None
        )
        role_grant(user=owner, role=Role.MERCHANT_OWNER)
        for i in range(shops_wanted - len(shops)):
            shop = Shop.objects.create(
                owner=owner,
                name=f"벤치 가게 {i}",
                business_number=brn.with_check_digit(
                    f"7{uuid.uuid4().int % 100:02d}81{uuid.uuid4().int % 9999 + 1:04d}"
                ),
                category="restaurant",
                district="풍남동",
                address="-",
                phone="-",
                sales_bracket="under_300m",
                bank_name="전북은행",
                bank_account="1234567890",
                bank_holder="벤치",
                status="approved",
                public_code=uuid.uuid4().hex[:16],
            )
            ShopMember.objects.create(shop=shop, user=owner, role="owner")
            shops.append(shop)
    return city, shops


def counter_devices(shops, count: int) -> list[str]:
    """``count`` device tokens; token i belongs to ``shops[i % len(shops)]``."""
    from merchants.services import device_register

    return [
        device_register(shop=shops[i % len(shops)], by=None, name=f"bench {i}")[1]
        for i in range(count)
    ]


def counter_citizens(count: int, *, balance: int = 1_000_000, batch: int = 500):
    """``count`` citizens as after a first charge of ``balance`` won: wallet, both accounts, this
    month's usage row, and a charge entry each (posted ``batch`` entries a round trip)."""
    import uuid

    from django.db import transaction

    from accounts.models import User
    from ledger.models import Account, Entry
    from ledger.services import (
        EntrySpec,
        Leg,
        account_get_or_create,
        business_date_today,
        entries_post,
    )
    from vouchers.models import MonthlyUsage, Wallet

    run = uuid.uuid4().hex[:8]
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"c{run}-{i}@bench.kr", name="김벤치") for i in range(count)]
        )
    float_account = account_get_or_create(kind=Account.Kind.FLOAT, shard=0)
    month = business_date_today().replace(day=1)
    Wallet.objects.bulk_create([Wallet(user=u) for u in users])
    MonthlyUsage.objects.bulk_create([MonthlyUsage(user=u, month=month) for u in users])
    Account.objects.bulk_create(
        [Account(kind=Account.Kind.WALLET_INCENTIVE, owner_user=u) for u in users]
    )
    principals = Account.objects.bulk_create(
        [Account(kind=Account.Kind.WALLET_PRINCIPAL, owner_user=u) for u in users]
    )
    for start in range(0, len(principals), batch):
        entries_post(
            [
                EntrySpec(
                    Entry.Kind.CHARGE,
                    [Leg(float_account.pk, -balance), Leg(principal.pk, balance)],
                    f"bench-fund-{principal.pk}",
                )
                for principal in principals[start : start + batch]
            ]
        )
    return users


def counter_prepaid(users, shops, *, amount: int = 300_000, batch: int = 500) -> None:
    """``users[n]`` holds a prepaid balance of ``amount`` at ``shops[n]``: a pledge paid by card
    in a campaign the shop takes part in, and its ledger entry."""
    from campaigns.models import Campaign, CampaignShop, Phase, Pledge
    from ledger.models import Account, Entry
    from ledger.services import (
        EntrySpec,
        Leg,
        account_ids_get_or_create,
        business_date_today,
        entries_post,
    )

    today = business_date_today()
    campaign = Campaign.objects.filter(name="bench").first()
    if campaign is None:
        campaign = Campaign.objects.create(
            name="bench",
            starts_on=today.replace(year=today.year - 1),
            ends_on=today.replace(year=today.year + 1),
        )
        Phase.objects.create(
            campaign=campaign,
            number=1,
            name="all",
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
        )
    phase = campaign.phases.get()
    for shop in {s.pk: s for s in shops}.values():
        CampaignShop.objects.get_or_create(campaign=campaign, shop=shop)
    for start in range(0, len(users), batch):
        pairs = list(zip(users[start : start + batch], shops[start : start + batch], strict=True))
        pledges = Pledge.objects.bulk_create(
            [
                Pledge(
                    campaign=campaign,
                    phase=phase,
                    user=user,
                    shop=shop,
                    amount=amount,
                    value=amount,
                    remaining=amount,
                    paid_with="card",
                    status="active",
                    business_date=today,
                    valid_until=today.replace(year=today.year + 1),
                )
                for user, shop in pairs
            ]
        )
        accounts = account_ids_get_or_create(
            [
                spec
                for user, shop in pairs
                for spec in (
                    (Account.Kind.PREPAID, user.pk, shop.pk, 0),
                    (Account.Kind.PREPAID_ISSUED, None, shop.pk, 0),
                )
            ]
        )
        entries = entries_post(
            [
                EntrySpec(
                    Entry.Kind.PLEDGE,
                    [Leg(accounts[2 * i], amount), Leg(accounts[2 * i + 1], -amount)],
                    f"bench-pledge-{pledge.pk}",
                )
                for i, pledge in enumerate(pledges)
            ]
        )
        for pledge, entry in zip(pledges, entries, strict=True):
            pledge.entry = entry
        Pledge.objects.bulk_update(pledges, ["entry"])


def codes_issue(users) -> list[str]:
    """A payment code for each of ``users`` through the service (one round trip or two each)."""
    from merchants.services import payment_code_issue

    return [payment_code_issue(user=u).number for u in users]


def codes_mint(user_ids: list[int]) -> list[str]:
    """A fresh payment code (its 16 digits) for each of ``user_ids``, in one transaction: as
    ``payment_code_issue`` does for each (earlier unused codes stop working, only hashes are
    stored, valid ``PAYMENT_CODE_TTL``), in bulk, so that a bench can mint thousands of codes
    in the seconds before it uses them (a code lives 3 minutes)."""
    from django.db import transaction
    from django.utils import timezone

    from merchants import codes
    from merchants.models import PaymentCode
    from merchants.services import PAYMENT_CODE_TTL

    now = timezone.now()
    numbers = [codes.new_number() for _ in user_ids]
    if len(set(numbers)) != len(numbers):  # 1 in 10^16 a pair: draw again
        return codes_mint(user_ids)
    with transaction.atomic():
        PaymentCode.objects.filter(
            user_id__in=user_ids, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        PaymentCode.objects.bulk_create(
            [
                PaymentCode(
                    user_id=user_id,
                    number_hash=codes.number_hash(number),
                    token_hash=codes.qr_hash(codes.new_qr_secret()),
                    expires_at=now + PAYMENT_CODE_TTL,
                )
                for user_id, number in zip(user_ids, numbers, strict=True)
            ],
            batch_size=2000,
        )
    return numbers


def floor_tables() -> None:
    """The floor view's tables (jeonju_prepay/bench_views.py) in the current schema."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_account"
            " (id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)"
        )
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_row"
            " (id bigserial PRIMARY KEY, account_id bigint NOT NULL, amount bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_floor_account (id) SELECT g FROM generate_series(1, 1000) g"
            " ON CONFLICT DO NOTHING"
        )


def counter_analyze() -> None:
    """Statistics for what a bench just wrote, as autovacuum would give them (it is off on some
    machines; without them the payment's account lookup scanned every wallet account)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE ledger_account, ledger_entry, ledger_posting, accounts_user, vouchers_wallet,"
            " vouchers_monthlyusage, merchants_paymentcode, merchants_device, campaigns_pledge,"
            " ledger_idempotencyrecord, vouchers_payment, bench_floor_account"
        )


def server_shape(workers: int | None = None, threads: int | None = None) -> str:
    """What gunicorn will run: gunicorn.conf.py's workers unless overridden."""
    import runpy

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    workers = workers or conf["workers"]
    threads = threads or conf.get("threads", 1)
    kind = "gthread" if threads > 1 else conf["worker_class"]
    return f"{workers} {kind} workers" + (f" x {threads} threads" if threads > 1 else "")


def server_start(
    port: int,
    host: str,
    *,
    workers: int | None = None,
    threads: int | None = None,
    env: dict | None = None,
):
    """gunicorn with the project's gunicorn.conf.py on 127.0.0.1:``port`` (its own process
    group), the floor view on, once ``/healthz`` answers on ``host``."""
    import subprocess
    import time
    import urllib.request

    environment = {
        **os.environ,
        "DEBUG": "false",
        "BENCH_ENDPOINTS": "true",
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            *(["--workers", str(workers)] if workers else []),
            *(["--threads", str(threads)] if threads else []),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
    )
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    for _ in range(150):
        try:
            with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    server_stop(proc)
    raise SystemExit("gunicorn did not start")


def server_stop(proc) -> None:
    import signal
    import subprocess

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


# The main configuration of the nginx image docker-compose runs (nginx:1.27's own
# /etc/nginx/nginx.conf, paths made local); deploy/nginx.conf is included as its server.
_NGINX_MAIN = """\
worker_processes auto;
error_log {work}/error.log notice;
pid {work}/nginx.pid;
events {{
    worker_connections {connections};
}}
http {{
    include {mime};
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/default.conf;
}}
"""


def proxy_start(port: int, upstream: int, *, connections: int = 1024):
    """nginx on 127.0.0.1:``port`` in front of gunicorn on ``upstream``, as docker-compose ships
    it: deploy/nginx.conf as the server (its upstream and listen port made local, its access
    log kept under .data/bench/nginx) inside the image's main configuration. Returns the process
    (its own process group), once ``nginx -t`` has accepted the configuration."""
    import re
    import shutil
    import subprocess

    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("this bench runs behind nginx as shipped: apt-get install nginx")
    work = ROOT / ".data" / "bench" / "nginx"
    work.mkdir(parents=True, exist_ok=True)
    server = (ROOT / "deploy" / "nginx.conf").read_text()
    server, upstreams = re.subn(r"server web:8000;", f"server 127.0.0.1:{upstream};", server)
    server, listens = re.subn(r"listen 80 default_server;", f"listen 127.0.0.1:{port};", server)
    server = server.replace("/var/log/nginx/access.log", str(work / "access.log"))
    if (upstreams, listens) != (1, 1):
        raise SystemExit("deploy/nginx.conf changed shape: update bench/_setup.py proxy_start")
    (work / "default.conf").write_text(server)
    mime = "/etc/nginx/mime.types" if Path("/etc/nginx/mime.types").exists() else "/dev/null"
    main = work / "nginx.conf"
    main.write_text(_NGINX_MAIN.format(work=work, mime=mime, connections=connections))
    command = [binary, "-p", str(work), "-e", str(work / "error.log"), "-c", str(main)]
    subprocess.run([*command, "-t", "-q"], check=True)
    return subprocess.Popen([*command, "-g", "daemon off;"], start_new_session=True)
