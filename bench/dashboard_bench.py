"""The dashboard at city scale: the page's and the totals endpoint's server time, beside the same
figures summed straight from the ledger.

Seeds a city with ``manage.py bench_seed`` (by default 1,000,000 payments spread over 10 past
days, 100,000 citizens, 10,000 shops; in a subprocess), refreshes the dashboard's rollups of
those days as the nightly run does (timed) and vacuums the rollup tables (the steady state
autovacuum keeps; the bench rewrites ten days at once where a night rewrites one), then,
signed in as city staff:

- ``GET /dashboard/`` over the seeded days and today (today is read live), ``--requests`` times;
- ``GET /api/v1/dashboard/totals`` over the same range, ``--requests`` times;
- the floor it replaces: the rollups' own aggregate SQL run over the entries of the same days
  (what every page view would cost without the rollups), ``--raw-runs`` times.

Server time is measured around Django's test client in this process (no network, DEBUG off):
URL routing, middleware, the queries, the template. Prints p50/p95/p99 against the target
(page p95 under 150 ms) and the raw SQL's time.

    python bench/dashboard_bench.py [--payments 1000000] [--days 10] [--requests 60] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta

os.environ.setdefault("DEBUG", "false")

from _setup import ROOT, bench_city, bench_host, django_setup, percentile, summary

TARGET_P95_MS = 150.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=10, help="past days the payments cover")
    parser.add_argument("--schema", default="bench_dash")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--raw-runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded city")
    args = parser.parse_args()

    django_setup()
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_create
    from dashboard import rollups
    from ledger.services import business_date_today

    city = bench_city(args.schema)
    connection.set_tenant(city)
    today = business_date_today()
    days = [today - timedelta(days=n) for n in range(args.days, 0, -1)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vouchers_payment")
        (existing,) = cursor.fetchone()
    if not (args.reuse and existing >= args.payments):
        per_day = -(-args.payments // args.days)
        print(
            f"seeding {args.payments:,} payments over {args.days} days, {args.shops:,} shops, "
            f"{args.citizens:,} citizens in schema {args.schema} ..."
        )
        t0 = time.perf_counter()
        for day in days:
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "bench_seed", "--schema", args.schema,
                 "--citizens", str(args.citizens), "--shops", str(args.shops),
                 "--payments", str(per_day), "--date", day.isoformat(), "--no-check"],
                check=True,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
        print(f"  seeded in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vouchers_payment")
        (payments,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM ledger_posting")
        (postings,) = cursor.fetchone()
        cursor.execute("SELECT min(business_date) FROM ledger_entry WHERE kind = 'payment'")
        (first_day,) = cursor.fetchone()
    start = first_day or days[0]
    print(f"city {args.schema}: {payments:,} payments, {postings:,} postings since {start}")

    t0 = time.perf_counter()
    refreshed = rollups.rollups_refresh(
        [start + timedelta(days=n) for n in range((today - start).days)]
    )
    print(
        f"rollups refreshed for {refreshed.days} days in {time.perf_counter() - t0:.1f} s "
        f"({refreshed.shop_rows:,} shop rows, {refreshed.kind_rows} kind rows)"
    )

    # The refresh above rewrote every row of the seeded days at once (a nightly run rewrites
    # one day); measure the steady state autovacuum keeps, not a table half dead rows.
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("dashboard_shopday", "dashboard_kindday", "dashboard_campaignday"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"vacuum analyze of the rollup tables: {time.perf_counter() - t0:.1f} s")

    staff = User.objects.filter(email="bench-staff@bench.kr").first() or user_create(
        email="bench-staff@bench.kr", password=None, name="벤치 직원", roles=[Role.CITY_STAFF]
    )
    client = Client(HTTP_HOST=bench_host(args.schema))
    client.force_login(staff)
    query = f"start={start.isoformat()}&end={today.isoformat()}"

    def timed_get(url: str) -> list[float]:
        response = client.get(url)  # warm: templates, translations, connection
        assert response.status_code == 200, (url, response.status_code)
        latencies = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get(url)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        connection.set_tenant(city)
        return latencies

    page = timed_get(f"/dashboard/?{query}")
    api = timed_get(f"/api/v1/dashboard/totals?{query}")

    raw = []
    all_days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    for _ in range(args.raw_runs):
        t0 = time.perf_counter()
        rollups.kind_rows(all_days)
        rollups.shop_rows(all_days)
        rollups.campaign_rows(all_days)
        raw.append((time.perf_counter() - t0) * 1000)

    p95 = percentile(page, 95)
    print()
    print(f"dashboard page      {summary(page)}")
    print(f"totals endpoint     {summary(api)}")
    print(f"raw SQL over the entries of the same days: {summary(raw)}")
    print(
        f"page p95 {p95:.1f} ms against the target {TARGET_P95_MS:.0f} ms: "
        f"{'met' if p95 < TARGET_P95_MS else 'NOT met'}; the raw aggregate takes "
        f"{percentile(raw, 50) / percentile(page, 50):.0f}x the page's median"
    )


if __name__ == "__main__":
    main()
