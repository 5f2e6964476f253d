"""Entries per second through ledger/services.py, beside the floor of plain SQL.

The ledger run posts transfers between random pairs of funded wallet accounts with
``entry_post`` (idempotency key, fingerprint, sorted locks, overdraft check, deferred balance
check, balance triggers). The floor runs the same number of plain SQL transactions, each
updating one balance and inserting one row, from the same number of threads. Both use
psycopg2 through Django's connection, so the difference is what the ledger adds.

    python bench/ledger_bench.py [--entries 20000] [--clients 4] [--accounts 1000]
"""

from __future__ import annotations

import argparse
import random
import threading
import time

from _setup import bench_city, django_setup, summary

TARGET_RATIO = 0.5


def run_threads(clients: int, per_client: int, work, city) -> tuple[float, list[float]]:
    from django.db import connection, connections

    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def worker(i: int) -> None:
        connection.set_tenant(city)
        rng = random.Random(i)
        barrier.wait()
        lat = latencies[i]
        for n in range(per_client):
            t0 = time.perf_counter()
            work(i, n, rng)
            lat.append((time.perf_counter() - t0) * 1000)
        connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started, [x for lat in latencies for x in lat]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--schema", default="bench_ledger")
    args = parser.parse_args()

    django_setup()
    from django.db import connection, transaction

    from accounts.models import User
    from ledger.models import Account, Entry
    from ledger.selectors import ledger_check
    from ledger.services import Leg, entry_post

    city = bench_city(args.schema)
    connection.set_tenant(city)
    run_id = f"{int(time.time())}"

    # Funded wallets: one citizen each (the owner shape the database insists on).
    with transaction.atomic():
        existing = list(
            Account.objects.filter(kind=Account.Kind.WALLET_PRINCIPAL).values_list("pk", flat=True)
        )
        missing = args.accounts - len(existing)
        if missing > 0:
            users = User.objects.bulk_create(
                [User(email=f"bench{run_id}-{i}@bench.kr", name="벤치") for i in range(missing)]
            )
            Account.objects.bulk_create(
                [Account(kind=Account.Kind.WALLET_PRINCIPAL, owner_user=u) for u in users]
            )
    world = Account.objects.get_or_create(
        kind=Account.Kind.OUTSIDE_WORLD, shard=0, defaults={"may_go_negative": True}
    )[0]
    wallets = list(
        Account.objects.filter(kind=Account.Kind.WALLET_PRINCIPAL).values_list("pk", flat=True)
    )[: args.accounts]
    for pk in wallets:
        entry_post(
            kind=Entry.Kind.CHARGE,
            legs=[Leg(world.pk, -10_000_000), Leg(pk, 10_000_000)],
            idempotency_key=f"fund-{run_id}-{pk}",
        )

    per_client = args.entries // args.clients
    total = per_client * args.clients

    def ledger_work(i, n, rng):
        a, b = rng.sample(wallets, 2)
        amount = rng.randint(1, 5_000)
        entry_post(
            kind=Entry.Kind.PAYMENT,
            legs=[Leg(a, -amount), Leg(b, amount)],
            idempotency_key=f"bench-{run_id}-{i}-{n}",
        )

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_account (id bigint PRIMARY KEY,"
            " balance bigint NOT NULL DEFAULT 0)"
        )
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_row (id bigserial PRIMARY KEY,"
            " account_id bigint NOT NULL, amount bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_floor_account (id) SELECT g FROM generate_series(1, %s) g"
            " ON CONFLICT DO NOTHING",
            [args.accounts],
        )

    def floor_work(i, n, rng):
        account = rng.randint(1, args.accounts)
        amount = rng.randint(1, 5_000)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE bench_floor_account SET balance = balance + %s WHERE id = %s",
                [amount, account],
            )
            cursor.execute(
                "INSERT INTO bench_floor_row (account_id, amount) VALUES (%s, %s)",
                [account, amount],
            )

    print(f"ledger bench: {total:,} entries, {args.clients} clients, {len(wallets):,} accounts")
    floor_s, floor_lat = run_threads(args.clients, per_client, floor_work, city)
    ledger_s, ledger_lat = run_threads(args.clients, per_client, ledger_work, city)
    floor_rate = total / floor_s
    ledger_rate = total / ledger_s
    ratio = ledger_rate / floor_rate
    print(
        f"  floor  (UPDATE one balance + INSERT one row): {floor_rate:,.0f} tx/s; {summary(floor_lat)}"
    )
    print(
        f"  ledger (entry_post, 2 postings):              {ledger_rate:,.0f} entries/s; {summary(ledger_lat)}"
    )
    print(
        f"  ratio ledger/floor: {ratio:.2f} (target >= {TARGET_RATIO})  {'PASS' if ratio >= TARGET_RATIO else 'BELOW TARGET'}"
    )
    connection.set_tenant(city)
    report = ledger_check()
    print(
        f"  ledger_check after the run: {'OK' if report.ok else 'MISMATCH'} ({report.entries:,} entries)"
    )


if __name__ == "__main__":
    main()
