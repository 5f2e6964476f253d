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
import statistics
import threading
import time

from _setup import (
    bench_city_drop,
    codes_issue,
    counter_analyze,
    counter_citizens,
    counter_city,
    counter_devices,
    counter_prepaid,
    django_setup,
    floor_tables,
    percentile,
    server_shape,
    server_start,
    server_stop,
)

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
SCHEMA = "bench_counter"
HOST = "bench-counter.localhost"


def prepare(users_needed: int, clients: int):
    """The bench city with a policy, a budget, funded citizens, shops and device tokens."""
    city, shops = counter_city(SCHEMA, "카운터벤치시")
    tokens = counter_devices(shops, clients)
    return city, counter_citizens(users_needed), tokens, shops


def start_server(port: int, workers: int | None, threads: int | None):
    return server_start(port, HOST, workers=workers, threads=threads, env={"CONN_MAX_AGE": "600"})


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
    counter_prepaid(
        redeem_users, [shops[((n % total) // args.ops) % len(shops)] for n in range(every)]
    )
    codes = codes_issue(pay_users)
    redeem_codes = codes_issue(redeem_users)
    floor_tables()
    counter_analyze()
    from vouchers.models import Payment

    payments_before = Payment.objects.count()
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
        server_stop(server)

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
