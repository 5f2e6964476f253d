"""Settlement of one business date beside its floor, over the same data.

Seeds P payments across M shops on a fresh business date with ``manage.py bench_seed`` (in a
subprocess, so that this process's memory is the settlement's), then times

- the settlement: ``merchants.settlement.settlement_run`` (chunks of shops, a ledger entry per
  payout through ``ledger_post``, a statement per shop, the bank-transfer file);
- the floor: one ``INSERT ... SELECT ... GROUP BY`` of the same payments into a payouts table
  plus marking those payment rows settled, in one transaction;
- a repeat of the settlement (nothing left to do).

Prints both times, their ratio, the peak memory of this process and the repeat's time, against
the targets (within 2x the floor, under 500 MB, repeat under 1 s).

    python bench/settlement_bench.py [--payments 1000000] [--shops 10000] [--citizens 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta

from _setup import ROOT, bench_city, django_setup

TARGET_RATIO = 2.0
TARGET_MEMORY_MB = 500
TARGET_REPEAT_S = 1.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def fresh_date(cursor) -> date:
    """The day after the latest payments in the bench city (dates before it are settled)."""
    cursor.execute("SELECT max(business_date) FROM vouchers_payment")
    (latest,) = cursor.fetchone()
    return (latest + timedelta(days=1)) if latest else date(2025, 1, 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--schema", default="bench_settle")
    parser.add_argument("--chunk", type=int, default=None, help="shops per transaction")
    parser.add_argument("--no-check", action="store_true", help="skip ledger_check at the end")
    args = parser.parse_args()

    django_setup()
    from django.db import connection, transaction

    from jeonju_prepay.db import snapshot
    from ledger.selectors import ledger_check
    from merchants.settlement import CHUNK_SHOPS, settlement_run

    city = bench_city(args.schema)
    connection.set_tenant(city)
    with connection.cursor() as cursor:
        day = fresh_date(cursor)

    print(
        f"seeding {args.payments:,} payments, {args.shops:,} shops, {args.citizens:,} citizens "
        f"on {day} in schema {args.schema} ..."
    )
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "bench_seed",
            "--schema",
            args.schema,
            "--citizens",
            str(args.citizens),
            "--shops",
            str(args.shops),
            "--payments",
            str(args.payments),
            "--date",
            day.isoformat(),
            "--no-check",
        ],
        check=True,
        cwd=ROOT,
        env={**os.environ},
    )
    seed_s = time.perf_counter() - t0

    # The floor's tables: a copy of the day's payments with a "settled" flag, and payouts.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_payment, bench_floor_payout")
        cursor.execute(
            "CREATE TABLE bench_floor_payment AS SELECT id, shop_id, amount, business_date,"
            " false AS settled FROM vouchers_payment"
            " WHERE business_date = %s AND status = 'completed'",
            [day],
        )
        cursor.execute("CREATE INDEX ON bench_floor_payment (business_date, shop_id)")
        cursor.execute(
            "CREATE TABLE bench_floor_payout (shop_id bigint, business_date date, amount bigint,"
            " PRIMARY KEY (shop_id, business_date))"
        )
        cursor.execute("VACUUM ANALYZE bench_floor_payment")
        cursor.execute("CHECKPOINT")
        # Warm both: the same pages in memory for both runs.
        cursor.execute("SELECT count(*), sum(amount) FROM bench_floor_payment")
        cursor.execute(
            "SELECT count(*), sum(amount) FROM ledger_posting WHERE business_date = %s", [day]
        )

    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor_payout (shop_id, business_date, amount)"
            " SELECT shop_id, business_date, SUM(amount) FROM bench_floor_payment"
            " WHERE business_date = %s AND NOT settled GROUP BY shop_id, business_date",
            [day],
        )
        cursor.execute(
            "UPDATE bench_floor_payment SET settled = true WHERE business_date = %s AND NOT settled",
            [day],
        )
    floor_s = time.perf_counter() - t0

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    t0 = time.perf_counter()
    report = settlement_run(business_date=day, chunk_size=args.chunk)
    settle_s = time.perf_counter() - t0
    peak = peak_rss_mb()

    t0 = time.perf_counter()
    repeat = settlement_run(business_date=day, chunk_size=args.chunk)
    repeat_s = time.perf_counter() - t0

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM bench_floor_payout WHERE business_date = %(d)s),"
            " (SELECT COALESCE(sum(amount), 0) FROM bench_floor_payout WHERE business_date = %(d)s),"
            " (SELECT COALESCE(sum(net), 0) FROM merchants_statement WHERE business_date = %(d)s)",
            {"d": day},
        )
        floor_shops, floor_total, settled_net = (int(v) for v in cursor.fetchone())

    ratio = settle_s / floor_s if floor_s else float("inf")
    ok = {
        "ratio": ratio <= TARGET_RATIO,
        "memory": peak < TARGET_MEMORY_MB,
        "repeat": repeat_s < TARGET_REPEAT_S,
        "same money": floor_total == settled_net,
        "repeat pays nothing": repeat.statements == 0 and repeat.paid == 0,
    }
    print()
    print(f"business date {day}: {args.payments:,} payments, {report.shops_considered:,} shops")
    print(f"  seed (bench_seed, subprocess)   {seed_s:8.2f} s")
    print(
        f"  floor (INSERT..GROUP BY+UPDATE) {floor_s:8.2f} s  "
        f"{floor_shops:,} payouts, {floor_total:,} won"
    )
    print(
        f"  settlement                      {settle_s:8.2f} s  {report.statements:,} statements, "
        f"{report.payouts:,} payouts, {report.paid:,} won paid "
        f"(net sales {settled_net:,} won), {report.chunks} chunks of "
        f"{args.chunk or CHUNK_SHOPS} shops"
    )
    print(f"  ratio settlement / floor        {ratio:8.2f}   (target <= {TARGET_RATIO})")
    print(
        f"  peak memory (this process)      {peak:8.1f} MB (before the runs {rss_before:.1f} MB;"
        f" target < {TARGET_MEMORY_MB} MB)"
    )
    print(f"  repeat run                      {repeat_s:8.3f} s  (target < {TARGET_REPEAT_S} s)")
    if not args.no_check:
        t0 = time.perf_counter()
        with snapshot():
            check = ledger_check()
        print(f"  ledger_check                    {time.perf_counter() - t0:8.2f} s  ok={check.ok}")
        ok["ledger_check"] = check.ok
    print("  " + ", ".join(f"{k}: {'OK' if v else 'MISSED'}" for k, v in ok.items()))
    sys.exit(0 if all(ok.values()) else 1)


if __name__ == "__main__":
    main()
