"""Counter payments (and prepaid redemptions) per second through the full HTTP stack.

Starts gunicorn on the bench city, then runs CLIENTS concurrent HTTP clients (threads, one
requests session each; sync workers close the connection after each response, so every request
connects anew) that each post OPS requests. Three runs, each against the same server:

  floor        POST /bench/floor: a minimal Django view that locks one row, updates a balance
               and inserts one row (tenancy middleware included, nothing else)
  payments     POST /api/v1/counter/payments with a device token, an Idempotency-Key and a
               fresh single-use customer code: token auth, code check, idempotency, limits,
               cashback from the sharded budget, ledger postings
  redemptions  POST /api/v1/counter/redemptions (prepaid balances), when the campaigns app is in

Prints throughput and p50/p95/p99 of each, the ratio to the floor (target >= 0.5) and whether
p99 is under 50 ms, then runs ledger_check on the bench city.

Runs --rounds rounds (floor, payments, redemptions, back to back) and reports the median of
the rounds' ratios: on a shared 2-core machine one run's figures vary by 15% either way.

    python bench/counter_bench.py [--fresh] [--clients 16] [--ops 150] [--rounds 3]
                                  [--workers N] [--threads N]

gunicorn runs with the project's gunicorn.conf.py, as the Dockerfile does (sync workers,
(2 x cores) + 1); --workers and --threads override it (threads > 1 means gthread workers).

On a Citus cluster (DATABASE_URL naming the coordinator) the bench city is placed on a worker
like any city. --move-city then moves it to another worker (``cities.scaleout.city_move``,
online) during the last round's payments, and reports how long the move took, the slowest
request while it ran, the errors, and whether every acknowledged payment is stored once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import threading
import time
import uuid

from _setup import ROOT, bench_city, bench_city_drop, django_setup, percentile

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
SCHEMA = "bench_counter"
HOST = "bench-counter.localhost"


def prepare(users_needed: int, clients: int):
    """The bench city with a policy, a budget, funded citizens, shops and device tokens."""
    from django.db import connection, transaction

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import role_grant
    from ledger.models import Account, Entry
    from ledger.services import Leg, account_get_or_create, business_date_today, entry_post
    from merchants import brn
    from merchants.models import Shop, ShopMember
    from merchants.services import device_register
    from vouchers.models import MonthlyUsage, Policy, Wallet
    from vouchers.services import budget_fund, policy_set

    city = bench_city(SCHEMA, "카운터벤치시")
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
    shops = list(Shop.objects.filter(status="approved").order_by("id")[:8])
    if len(shops) < 8:
        owner = User.objects.create_user(
            email=f"owner-{uuid.uuid4().hex[:8]}@bench.kr", password=None
        )
        role_grant(user=owner, role=Role.MERCHANT_OWNER)
        for i in range(8 - len(shops)):
            shop = Shop.objects.create(
                owner=owner,
                name=f"벤치 가게 {i}",
                business_number=brn.with_check_digit(f"7{uuid.uuid4().int % 10**8:08d}"),
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
    tokens = [
        device_register(shop=shops[i % len(shops)], by=None, name=f"bench {i}")[1]
        for i in range(clients)
    ]

    # Citizens: one code per payment, and a code is single-use and one live per citizen.
    run = uuid.uuid4().hex[:8]
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"c{run}-{i}@bench.kr", name="김벤치") for i in range(users_needed)]
        )
    # As after a citizen's first charge: wallet, both accounts, this month's usage row.
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
    for principal in principals:
        entry_post(
            kind=Entry.Kind.CHARGE,
            legs=[Leg(float_account.pk, -1_000_000), Leg(principal.pk, 1_000_000)],
            idempotency_key=f"bench-fund-{principal.pk}",
        )
    return city, users, tokens, shops


def prepare_prepaid(users, tokens_shops) -> None:
    """Each citizen holds a prepaid balance (a pledge paid by card) at the shop whose device
    will redeem it."""
    from campaigns.models import Campaign, CampaignShop, Phase, Pledge
    from ledger.models import Account, Entry
    from ledger.services import Leg, account_get_or_create, business_date_today, entry_post

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
    for user, shop in zip(users, tokens_shops, strict=True):
        CampaignShop.objects.get_or_create(campaign=campaign, shop=shop)
        pledge = Pledge.objects.create(
            campaign=campaign,
            phase=phase,
            user=user,
            shop=shop,
            amount=300_000,
            value=300_000,
            remaining=300_000,
            paid_with="card",
            status="active",
            business_date=today,
            valid_until=today.replace(year=today.year + 1),
        )
        prepaid = account_get_or_create(kind=Account.Kind.PREPAID, user=user, shop=shop)
        issued = account_get_or_create(kind=Account.Kind.PREPAID_ISSUED, shop=shop)
        pledge.entry = entry_post(
            kind=Entry.Kind.PLEDGE,
            legs=[Leg(prepaid.pk, 300_000), Leg(issued.pk, -300_000)],
            idempotency_key=f"bench-pledge-{pledge.pk}",
        )
        pledge.save(update_fields=["entry"])


def issue_codes(users) -> list[str]:
    from merchants.services import payment_code_issue

    return [payment_code_issue(user=u).number for u in users]


def server_shape(workers: int | None, threads: int | None) -> str:
    """What gunicorn will run: gunicorn.conf.py's workers unless overridden."""
    import runpy

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    workers = workers or conf["workers"]
    threads = threads or conf.get("threads", 1)
    kind = "gthread" if threads > 1 else conf["worker_class"]
    return f"{workers} {kind} workers" + (f" x {threads} threads" if threads > 1 else "")


def start_server(port: int, workers: int | None, threads: int | None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "jeonju_prepay.settings.local"
        ),
        "DEBUG": "false",
        "BENCH_ENDPOINTS": "true",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "600",
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
        env=env,
        start_new_session=True,
    )
    import requests

    for _ in range(100):
        try:
            if requests.get(
                f"http://127.0.0.1:{port}/healthz", headers={"Host": HOST}, timeout=1
            ).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def run_clients(
    clients: int, ops: int, make_request, during=None
) -> tuple[float, list[float], int]:
    """Run the clients; ``during``, if given, is called in a thread of its own as they start."""
    import requests

    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def worker(i: int) -> None:
        session = requests.Session()
        barrier.wait()
        for n in range(ops):
            method, url, kwargs = make_request(i, n)
            t0 = time.perf_counter()
            response = session.request(method, url, timeout=60, **kwargs)
            latencies[i].append((time.perf_counter() - t0) * 1000)
            if response.status_code != 201:
                errors[i] += 1
                if errors[i] <= 2:
                    print(f"    client {i}: {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    if during is not None:
        threads.append(threading.Thread(target=during))
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started, [x for lat in latencies for x in lat], sum(errors)


def city_mover(city, report: dict):
    """A function that moves ``city`` to another Citus worker, 2 s after it is called, and
    notes in ``report`` when the move started and ended and where it went."""

    def move() -> None:
        from django.db import connection

        from cities.scaleout import city_move, city_node, workers

        time.sleep(2)
        connection.set_schema_to_public()
        source = city_node(city.schema_name)
        target = next(w for w in workers() if w != source)
        report["from"], report["to"] = str(source), str(target)
        report["started"] = time.perf_counter()
        city_move(schema_name=city.schema_name, to=target)
        report["ended"] = time.perf_counter()
        connection.close()

    return move


def pct_line(lat: list[float]) -> str:
    return (
        f"p50 {percentile(lat, 50):6.2f} ms   p95 {percentile(lat, 95):6.2f} ms   "
        f"p99 {percentile(lat, 99):6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--ops", type=int, default=150, help="requests per client per run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of floor, payments, redemptions, one after the other; the ratio reported"
        " is the median of the rounds' ratios",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="drop the bench city first: its tables grow with every run, and payments slow down"
        " as they do (docs/benchmarks.md)",
    )
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="default: gunicorn.conf.py's (1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--move-city",
        action="store_true",
        help="on Citus: move the bench city to another worker during the last round's payments",
    )
    args = parser.parse_args()

    django_setup()
    from django.db import connection

    if args.fresh:
        bench_city_drop(SCHEMA)
    total = args.clients * args.ops  # requests per kind per round
    every = total * args.rounds
    print(
        f"counter bench: {args.clients} clients x {args.ops} requests x {args.rounds} rounds,"
        f" gunicorn {server_shape(args.workers, args.threads)}"
    )
    city, users, tokens, shops = prepare(2 * every, args.clients)
    pay_users, redeem_users = users[:every], users[every:]
    # Client i redeems at the shop of its device (tokens[i] belongs to shops[i % len(shops)]).
    prepare_prepaid(
        redeem_users, [shops[((n % total) // args.ops) % len(shops)] for n in range(every)]
    )
    codes = issue_codes(pay_users)
    redeem_codes = issue_codes(redeem_users)
    from vouchers.models import Payment

    payments_before = Payment.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_account (id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)"
        )
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_row (id bigserial PRIMARY KEY, account_id bigint NOT NULL, amount bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_floor_account (id) SELECT g FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING"
        )
        # Thousands of rows were just written; give the planner their statistics, as
        # autovacuum would (it is off on some machines: this one's PostgreSQL has it off, and
        # without statistics the payment's account lookup scanned every wallet account).
        cursor.execute(
            "ANALYZE ledger_account, ledger_entry, ledger_posting, accounts_user, vouchers_wallet,"
            " vouchers_monthlyusage, merchants_paymentcode, merchants_device, campaigns_pledge,"
            " ledger_idempotencyrecord, vouchers_payment, bench_floor_account"
        )
    connection.close()

    server = start_server(args.port, args.workers, args.threads)
    base = f"http://127.0.0.1:{args.port}"

    def floor(i, n):
        return (
            "POST",
            f"{base}/bench/floor?account={1 + (i * 131 + n * 7) % 1000}",
            {"headers": {"Host": HOST}},
        )

    def counter(path: str, prefix: str, all_codes: list[str], offset: int):
        def request(i, n):
            code = all_codes[offset + i * args.ops + n]
            return (
                "POST",
                f"{base}/api/v1/counter/{path}",
                {
                    "headers": {
                        "Host": HOST,
                        "Authorization": f"Token {tokens[i]}",
                        "Idempotency-Key": f"{prefix}{code}",
                    },
                    "json": {"code": code, "amount": 1_000 + (n % 50) * 100},
                },
            )

        return request

    kinds = ("floor", "payments", "redemptions")
    move: dict = {}
    rates: dict[str, list[float]] = {kind: [] for kind in kinds}
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    errors = dict.fromkeys(kinds, 0)
    try:
        # Warm every worker's connections and caches.
        run_clients(args.clients, 5, floor)
        print()
        for r in range(args.rounds):
            plans = {
                "floor": floor,
                "payments": counter("payments", "bench-", codes, r * total),
                "redemptions": counter("redemptions", "bench-r-", redeem_codes, r * total),
            }
            line = []
            for kind in kinds:
                during = None
                if args.move_city and kind == "payments" and r == args.rounds - 1:
                    during = city_mover(city, move)
                seconds, lat, errs = run_clients(args.clients, args.ops, plans[kind], during)
                if during is not None:
                    move["latencies"] = lat
                rates[kind].append(total / seconds)
                latencies[kind] += lat
                errors[kind] += errs
                line.append(f"{kind} {total / seconds:5,.0f}/s p99 {percentile(lat, 99):5.1f} ms")
            print(f"  round {r + 1}: " + ";  ".join(line))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)

    print()
    print(f"  medians of {args.rounds} rounds; latencies over all rounds")
    for kind in kinds:
        print(
            f"  {kind:<12} {statistics.median(rates[kind]):8,.0f} req/s   "
            f"{pct_line(latencies[kind])}   errors {errors[kind]}"
        )
    for kind in kinds[1:]:
        ratios = [x / f for x, f in zip(rates[kind], rates["floor"], strict=True)]
        ratio = statistics.median(ratios)
        p99 = percentile(latencies[kind], 99)
        print(
            f"    {kind}/floor throughput ratio {ratio:.2f} (rounds: "
            f"{', '.join(f'{x:.2f}' for x in ratios)}; target >= {TARGET_RATIO}): "
            f"{'PASS' if ratio >= TARGET_RATIO else 'BELOW TARGET'}; p99 {p99:.1f} ms "
            f"(target < {TARGET_P99_MS:.0f} ms): {'PASS' if p99 < TARGET_P99_MS else 'OVER'}"
        )

    from ledger.selectors import ledger_check

    connection.set_tenant(city)
    if move:
        print(
            f"  moved {SCHEMA} {move['from']} -> {move['to']} during round {args.rounds}'s"
            f" payments in {move['ended'] - move['started']:.1f} s; slowest payment of that run"
            f" {max(move['latencies']):,.0f} ms"
        )
    acknowledged = sum(args.clients * args.ops for _ in range(args.rounds)) - errors["payments"]
    stored = Payment.objects.count() - payments_before
    print(
        f"  payments acknowledged {acknowledged:,}, stored {stored:,}: "
        + ("nothing lost" if stored == acknowledged else "MISMATCH")
    )
    check = ledger_check()
    print(
        f"  ledger_check on {SCHEMA}: {'OK' if check.ok else 'MISMATCH'} ({check.entries:,} entries)"
    )


if __name__ == "__main__":
    main()
