"""Paying N approved grants in one batch beside its floor, over the same data, then ledger_check.

Seeds a fresh bench city with N citizens and N approved applications of one programme (Jeonju
2020: 527,158 won each; the seeding is not timed), then times

- the floor: the same writes in plain SQL in one transaction, rolled back afterwards: the
  citizens' grant accounts (one INSERT ... SELECT), one ledger entry, its N + 1 postings (the
  ledger's own triggers update the balances and check the entry, as for the real batch), the
  applications marked paid;
- the batch: ``grants.services.grants_pay`` (the programme and applications locked, the accounts
  created through ``ledger_accounts_create``, one ``ledger_post`` of N + 1 legs, the
  applications marked paid);
- the batch again (nothing left to pay);
- ``ledger_check`` over the city.

Prints the times, their ratio against the target (within 2x the floor) and the check.

    python bench/grants_bench.py [--grants 50000]
"""

from __future__ import annotations

import argparse
import time

from _setup import bench_city, bench_city_drop, django_setup

TARGET_RATIO = 2.0
AMOUNT = 527_158


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grants", type=int, default=50_000)
    parser.add_argument("--schema", default="bench_grants")
    args = parser.parse_args()
    n = args.grants

    django_setup()
    import datetime as dt

    from django.db import connection, transaction

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import role_grant
    from grants.models import MEDIAN_INCOME_2020, Application, Programme
    from grants.services import GroupSpec, grants_pay, programme_create, programme_open
    from ledger.selectors import ledger_check

    bench_city_drop(args.schema)
    city = bench_city(args.schema)
    connection.set_tenant(city)

    started = time.perf_counter()
    staff = User.objects.create_user(email="grants-staff@bench.kr", password=None, name="직원")
    role_grant(user=staff, role=Role.CITY_STAFF)
    staff = User.objects.get(pk=staff.pk)  # permissions cache
    programme = programme_create(
        by=staff,
        name="벤치 재난기본소득",
        per="person",
        amount_rule="median_share",
        median_share_bp=3000,
        median_year=2020,
        median_table=MEDIAN_INCOME_2020,
        apply_from=dt.date(2020, 1, 1),
        apply_until=dt.date(2099, 12, 30),
        spend_until=dt.date(2099, 12, 31),
        budget=AMOUNT * n,
        groups=[GroupSpec("all", "모두")],
    )
    programme = programme_open(programme=programme, by=staff)
    group = programme.groups.get()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, last_login, is_superuser, is_staff, is_active,"
            " date_joined, email, name, phone, language)"
            " SELECT '!', NULL, false, false, true, now(),"
            " 'g' || i || '@bench.kr', '시민' || i, '', 'ko' FROM generate_series(1, %s) i",
            [n],
        )
        cursor.execute(
            "INSERT INTO grants_application (programme_id, applicant_id, entered_by_id,"
            " group_id, person_key, person_masked, household_key, household_size, amount,"
            " declaration_text, declaration_hash, consented_at, status, flags, reason,"
            " decided_by_id, decided_at, batch_id, created_at)"
            " SELECT %s, u.id, NULL, %s, md5('p' || u.id), '', md5('h' || u.id), 1, %s,"
            " 'bench', md5('d'), now(), 'approved', '{}', '', %s, now(), NULL, now()"
            " FROM accounts_user u WHERE u.email ~ '^g[0-9]+@bench[.]kr$'",
            [programme.pk, group.pk, AMOUNT, staff.pk],
        )
        Programme.objects.filter(pk=programme.pk).update(committed=AMOUNT * n)
        cursor.execute("ANALYZE accounts_user")
        cursor.execute("ANALYZE grants_application")
    print(f"seeded {n:,} approved applications in {time.perf_counter() - started:.1f} s")

    # The floor: the same writes in plain SQL, rolled back.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ledger_accounts WHERE kind = 'grant_budget' AND shard = %s",
                       [programme.pk])  # fmt: skip
        (budget_id,) = cursor.fetchone()
    floor_started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_account (kind, owner_user_id, owner_shop_id, shard, provider,"
                " balance, may_go_negative, created_at)"
                " SELECT 'wallet_grant', applicant_id, NULL, %s, '', 0, false, now()"
                " FROM grants_application WHERE programme_id = %s AND status = 'approved'",
                [programme.pk, programme.pk],
            )
            cursor.execute(
                "INSERT INTO ledger_entry (kind, business_date, actor_id, device_id, memo,"
                " reverses_id, idempotency_key, fingerprint, created_at)"
                " VALUES ('grant', CURRENT_DATE, %s, NULL, 'floor', NULL, 'floor', 'floor', now())"
                " RETURNING id",
                [staff.pk],
            )
            (entry_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
                " SELECT %s, %s, -%s, CURRENT_DATE UNION ALL"
                " SELECT %s, a.id, g.amount, CURRENT_DATE FROM grants_application g"
                " JOIN ledger_account a ON a.owner_user_id = g.applicant_id"
                "  AND a.kind = 'wallet_grant' AND a.shard = %s AND a.owner_shop_id IS NULL"
                " WHERE g.programme_id = %s AND g.status = 'approved'",
                [entry_id, budget_id, AMOUNT * n, entry_id, programme.pk, programme.pk],
            )
            cursor.execute(
                "INSERT INTO grants_paymentbatch (programme_id, paid, amount, entry_id,"
                " created_by_id, created_at) VALUES (%s, %s, %s, %s, %s, now()) RETURNING id",
                [programme.pk, n, AMOUNT * n, entry_id, staff.pk],
            )
            (batch_id,) = cursor.fetchone()
            cursor.execute(
                "UPDATE grants_application SET status = 'paid', batch_id = %s"
                " WHERE programme_id = %s AND status = 'approved'",
                [batch_id, programme.pk],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks, in the time
            floor = time.perf_counter() - floor_started
            raise _Rollback
    except _Rollback:
        pass

    batch_started = time.perf_counter()
    batch = grants_pay(programme=programme, by=staff)
    real = time.perf_counter() - batch_started
    again_started = time.perf_counter()
    again = grants_pay(programme=programme, by=staff)
    repeat = time.perf_counter() - again_started
    check_started = time.perf_counter()
    report = ledger_check()
    check = time.perf_counter() - check_started

    ratio = real / floor
    print(f"floor (plain SQL, same writes): {floor:.2f} s")
    print(f"batch (grants_pay): {real:.2f} s for {batch.paid:,} grants, {batch.amount:,} won")
    print(
        f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO}x) {'OK' if ratio <= TARGET_RATIO else 'OVER'}"
    )
    print(f"batch again: {repeat * 1000:.0f} ms, paid {again.paid}")
    print(
        f"ledger_check: {'OK' if report.ok else 'MISMATCH'} in {check:.2f} s"
        f" ({report.accounts:,} accounts, {report.entries:,} entries, {report.postings:,} postings)"
    )
    assert batch.paid == n
    assert again.paid == 0
    assert report.ok
    assert Application.objects.filter(programme=programme, status="paid").count() == n


class _Rollback(Exception):
    pass


if __name__ == "__main__":
    main()
