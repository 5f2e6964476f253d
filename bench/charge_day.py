"""Charge day: CITIZENS citizens arrive over SECONDS for a first-come tranche, against the
server as docker-compose ships it: gunicorn (gunicorn.conf.py) behind nginx (deploy/nginx.conf
inside the nginx image's main configuration, bench/_setup.py ``proxy_start``; Debian's
``nginx`` package), driven by bench/openloop.c (an open-loop C generator: request i is sent at
t0 + i / RATE on a connection of its own and its latency counted from that time). ``--direct``
leaves nginx out: gunicorn's sync workers then face the clients themselves, which
gunicorn.conf.py says they must not (docs/sales.md, "Charge day").

    python bench/charge_day.py [--citizens 180000] [--seconds 300] [--port 8107]
                               [--proxy-port 8108] [--direct] [--floor-seconds 20] [--fresh]

1. Seeds the bench city ``bench_sales`` with CITIZENS citizens, each with an API token (bulk
   inserts; kept between runs unless --fresh) and sets up a first-come sale for a third of them
   (100,000 won each), opening now.
2. The floor: POST /bench/floor (jeonju_prepay/bench_views.py: tenancy middleware, one
   transaction locking a row, updating it and inserting a row) at the same rate for
   --floor-seconds, same generator, same server.
3. The arrivals: POST /api/v1/sales/<id>/queue (token, Idempotency-Key, {"amount": 100000}) for
   every citizen at CITIZENS / SECONDS a second. Meanwhile the admission step runs in this
   process every half second (as ``manage.py sales_run`` would), admitting in arrival order.
4. Checks: every citizen has exactly one ticket, numbered 1..N; ``reserved + sold <= amount``
   in every chunk (0 won oversold); the largest arrival-order inversion among admissions.

Prints the arrival rate achieved, ticket latency p50/p99, errors, the time from opening until
the tranche was allocated to the last won, the floor's figures, and the generator's CPU share;
ends with one line beginning ``charge day:``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import subprocess
import threading
import time
from pathlib import Path

from _setup import (
    ROOT,
    bench_city,
    bench_city_drop,
    bench_host,
    django_setup,
    floor_tables,
    percentile,
    proxy_start,
    server_shape,
    server_start,
    server_stop,
)

SCHEMA = "bench_sales"
HOST = bench_host(SCHEMA)
WORK = ROOT / ".data" / "bench"
PER_PERSON = 100_000
UNUSABLE = "!"  # Django's mark of an unusable password: bench citizens use tokens


def openloop_binary() -> Path:
    source, binary = ROOT / "bench" / "openloop.c", WORK / "openloop"
    WORK.mkdir(parents=True, exist_ok=True)
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise SystemExit("openloop.c needs a C compiler: apt-get install gcc")
        subprocess.run([compiler, "-O2", "-Wall", "-o", str(binary), str(source)], check=True)
    return binary


def write_raw(path: Path, specs) -> None:
    with path.open("wb") as out:
        for target, auth, key, body in specs:
            head = [f"POST {target} HTTP/1.1", f"Host: {HOST}"]
            if auth:
                head.append(f"Authorization: {auth}")
            if key:
                head.append(f"Idempotency-Key: {key}")
            if body:
                head.append("Content-Type: application/json")
            raw_body = body.encode()
            head += [f"Content-Length: {len(raw_body)}", "Connection: close"]
            request = ("\r\n".join(head) + "\r\n\r\n").encode() + raw_body
            out.write(f"{len(request)}\n".encode() + request)


def run_open(specs, *, port: int, rate: float, tag: str):
    """Send ``specs`` open-loop at ``rate``; (latencies ms, errors, wall s, generator CPU s)."""
    raw, out = WORK / f"{tag}.raw", WORK / f"{tag}.out"
    write_raw(raw, specs)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(
        [str(openloop_binary()), "127.0.0.1", str(port), str(rate), str(raw), str(out), "30"],
        check=False,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    latencies, errors, last_sent = [], 0, 0
    by_minute: dict[int, list[float]] = {}
    for line in out.read_text().splitlines():
        _i, sched, sent, done, status, _row = (int(x) for x in line.split())
        last_sent = max(last_sent, sent)
        latency = (done - sched) / 1000 if status == 201 else math.inf
        errors += status != 201
        latencies.append(latency)
        by_minute.setdefault(sched // 60_000_000, []).append(latency)
    achieved = len(latencies) / (last_sent / 1e6) if last_sent else 0.0
    if len(by_minute) > 1:  # a collapse shows where it began; a warm-up shows in the first
        print(
            f"{tag} p99 by minute: "
            + ", ".join(f"{ms(values, 99)}" for _m, values in sorted(by_minute.items()))
            + " ms"
        )
    return latencies, errors, wall, cpu, achieved


def citizens_seed(count: int) -> list[str]:
    """``count`` citizens with API tokens in the current city (bulk; reused when present)."""
    import binascii

    from django.contrib.auth.models import Group
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from accounts.roles import Role

    have = list(
        Token.objects.filter(user__email__endswith="@charge.bench").values_list("key", flat=True)
    )
    if len(have) >= count:
        return have[:count]
    group = Group.objects.get(name=Role.CITIZEN)
    batch = 5_000
    for start in range(len(have), count, batch):
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(email=f"c{i}@charge.bench", name="김시민", password=UNUSABLE)
                    for i in range(start, min(count, start + batch))
                ]
            )
            User.groups.through.objects.bulk_create(
                [User.groups.through(user_id=u.pk, group_id=group.pk) for u in users]
            )
            Token.objects.bulk_create(
                [Token(key=binascii.hexlify(os.urandom(20)).decode(), user=u) for u in users]
            )
    return list(
        Token.objects.filter(user__email__endswith="@charge.bench").values_list("key", flat=True)
    )[:count]


def ms(values, pct) -> str:
    value = percentile(values, pct)
    return "inf" if math.isinf(value) else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=180_000)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--floor-seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--proxy-port", type=int, default=8108)
    parser.add_argument(
        "--direct", action="store_true", help="no nginx: the generator talks to gunicorn itself"
    )
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    django_setup()
    from django.db import connection
    from django.utils import timezone

    from sales.allocation import largest_inversion
    from sales.models import SaleChunk, Ticket
    from sales.selectors import sale_figures
    from sales.services import sale_create, sale_tick

    if args.fresh:
        bench_city_drop(SCHEMA)
    city = bench_city(SCHEMA, "충전의날벤치시")
    connection.set_tenant(city)
    floor_tables()
    t = time.monotonic()
    tokens = citizens_seed(args.citizens)
    print(f"seeded {len(tokens)} citizens with tokens in {time.monotonic() - t:.0f} s")
    # What autovacuum would have done (it is off on some machines): statistics for the
    # citizens just written, and the dead rows of earlier runs' tickets cleared.
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) accounts_user, accounts_user_groups, authtoken_token,"
            " sales_ticket, sales_salechunk, sales_sale"
        )
    rate = args.citizens / args.seconds
    buyers = max(1, args.citizens // 3)
    now = timezone.now()
    sale = sale_create(
        by=None,
        name=f"bench {now:%H%M%S}",
        amount=buyers * PER_PERSON,
        incentive_bp=1000,
        per_person_limit=PER_PERSON,
        opens_at=now,
        closes_at=now + timezone.timedelta(hours=2),
        mode="fcfs",
        max_in_flight=buyers,  # nobody pays in this bench: everyone admitted keeps a place
        batch_size=5_000,
    )
    connection.close()
    openloop_binary()
    print(f"server: gunicorn {server_shape()} on 127.0.0.1:{args.port}; {os.cpu_count()} cores")
    proc = server_start(args.port, HOST, env={"CONN_MAX_AGE": "600"})
    proxy, port = None, args.port
    if not args.direct:
        proxy, port = proxy_start(args.proxy_port, args.port), args.proxy_port
        print(f"behind nginx (deploy/nginx.conf, as docker-compose ships it) on 127.0.0.1:{port}")
    try:
        floor_n = int(rate * args.floor_seconds)
        floor_specs = [
            (f"/bench/floor?account={1 + (n * 7919) % 1000}", "", "", "") for n in range(floor_n)
        ]
        f_lat, f_err, _w, _cpu, f_rate = run_open(
            floor_specs, port=port, rate=rate, tag="charge-day-floor"
        )
        print(
            f"floor: {len(f_lat)} requests at {f_rate:.0f}/s, p50 {ms(f_lat, 50)} ms,"
            f" p99 {ms(f_lat, 99)} ms, {f_err} errors"
        )

        allocated_at: list[float] = []
        stop = threading.Event()
        opened = time.monotonic()

        def ticker() -> None:
            connection.set_tenant(city)
            while not stop.is_set():
                sale_tick(sale_id=sale.pk)
                if not allocated_at and sale_figures(sale_id=sale.pk).remaining == 0:
                    allocated_at.append(time.monotonic() - opened)
                stop.wait(0.5)
            connection.close()

        thread = threading.Thread(target=ticker, daemon=True)
        thread.start()
        specs = [
            (
                f"/api/v1/sales/{sale.pk}/queue",
                f"Token {token}",
                f"cd-{sale.pk}-{n}",
                f'{{"amount": {PER_PERSON}}}',
            )
            for n, token in enumerate(tokens)
        ]
        lat, errors, wall, gen_cpu, achieved = run_open(
            specs, port=port, rate=rate, tag="charge-day"
        )
        deadline = time.monotonic() + 60
        while not allocated_at and time.monotonic() < deadline:
            time.sleep(0.5)
        stop.set()
        thread.join(10)
    finally:
        if proxy is not None:
            server_stop(proxy)
        server_stop(proc)

    connection.set_tenant(city)
    figures = sale_figures(sale_id=sale.pk)
    numbers = list(Ticket.objects.filter(sale=sale).values_list("number", flat=True))
    oversold = sum(
        max(0, c.reserved + c.sold - c.amount) for c in SaleChunk.objects.filter(sale=sale)
    ) + max(0, figures.reserved + figures.sold - sale.amount)
    admitted = list(
        Ticket.objects.filter(sale=sale, admitted_at__isnull=False)
        .order_by("admitted_at", "order_key")
        .values_list("order_key", flat=True)
    )
    inversion = largest_inversion(admitted)
    one_each = len(numbers) == len(set(numbers)) == args.citizens
    gen_share = 100 * gen_cpu / wall / (os.cpu_count() or 1)
    allocation = f"{allocated_at[0]:.0f} s" if allocated_at else "not allocated"
    print(
        f"arrivals: {len(lat)} at {achieved:.0f}/s (target {rate:.0f}/s), ticket p50"
        f" {ms(lat, 50)} ms, p99 {ms(lat, 99)} ms, {errors} errors; tickets {len(numbers)}"
        f" (one each: {one_each}); admitted {len(admitted)}; reserved {figures.reserved:,}"
        f" of {sale.amount:,} won; generator CPU {gen_share:.1f}% of the machine"
    )
    print(
        f"charge day: arrivals {achieved:.0f}/s of {rate:.0f}/s target, tickets p50"
        f" {ms(lat, 50)} ms p99 {ms(lat, 99)} ms, errors {errors}, allocated in {allocation},"
        f" oversold {oversold} won, largest inversion {inversion}, floor p50 {ms(f_lat, 50)} ms"
        f" p99 {ms(f_lat, 99)} ms at {f_rate:.0f}/s ({f_err} errors),"
        f" generator CPU {gen_share:.1f}%"
    )


if __name__ == "__main__":
    main()
