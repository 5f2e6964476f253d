"""Synthetic wallet activity written straight into the ledger's tables, set-based: charges and
payments (with their rows in ``vouchers``) of a chosen population of citizens and approved
shops on one business date. Used by ``bench_seed`` (millions of payments for the benchmarks)
and by the demo (three weeks of history). The ledger's own rules still hold: the statement
trigger applies the balances, the CHECK refuses an overdraft and the deferred per-entry check
runs at each COMMIT.

``citizens_where`` and ``shops_where`` are SQL conditions on ``u`` (accounts_user) and ``s``
(merchants_shop) written by the callers in this codebase, never from user input.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from tqdm import tqdm

# Deterministic pseudo-random numbers in [0, 1) from a row number and a salt.
UNIT = "((hashint8(({n})::bigint * 1000003 + {salt})::bigint & 2147483647)::float8 / 2147483648.0)"


def unit(n: str, salt: int) -> str:
    return UNIT.format(n=n, salt=salt)


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def _count(sql) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, {})
        return int(cursor.fetchone()[0])


def stage(day, payments, cancel_permille, *, citizens_where: str, shops_where: str):
    """One row per payment to make: who, where, how much, and its entry ids (drawn from
    the ledger's sequence, so the entries can be written with their postings)."""
    _execute("DROP TABLE IF EXISTS bench_stage")
    _execute(
        "CREATE TEMP TABLE bench_citizen AS"  # noqa: S608 - the condition comes from this codebase
        " SELECT row_number() OVER (ORDER BY u.id) - 1 AS rn, u.id AS user_id,"
        "        a.id AS principal_id"
        "   FROM accounts_user u"
        "   JOIN ledger_accounts a ON a.owner_user_id = u.id AND a.kind = 'wallet_principal'"
        "  WHERE " + citizens_where
    )
    _execute(
        "CREATE TEMP TABLE bench_shop AS"  # noqa: S608
        " SELECT row_number() OVER (ORDER BY s.id) - 1 AS rn, s.id AS shop_id,"
        "        a.id AS payable_id"
        "   FROM merchants_shop s"
        "   JOIN ledger_accounts a ON a.owner_shop_id = s.id AND a.kind = 'shop_payable'"
        "  WHERE s.status = 'approved' AND " + shops_where
    )
    _execute("CREATE UNIQUE INDEX ON bench_citizen (rn)")
    _execute("CREATE UNIQUE INDEX ON bench_shop (rn)")
    _execute("ANALYZE bench_citizen")
    _execute("ANALYZE bench_shop")
    n_citizens = _count("SELECT count(*) FROM bench_citizen")
    n_shops = _count("SELECT count(*) FROM bench_shop")
    salt = secrets.randbelow(1_000_000)
    # Busy shops are busier (u² skews toward the first shops); amounts 1,000..60,000 won
    # in steps of 100, most of them small; the time of day spread over 09:00-21:00.
    _execute(
        f"""
        CREATE TEMP TABLE bench_stage AS
        SELECT g AS n,
               c.user_id, c.principal_id, s.shop_id, s.payable_id,
               ((10 + floor(590 * power({unit("g", salt + 3)}, 2)))::bigint * 100) AS amount,
               ({unit("g", salt + 4)} * 1000 < %(cancel)s) AS cancelled,
               CASE WHEN {unit("g", salt + 4)} * 1000 < %(cancel)s THEN ledger_entry_id_next()
               END AS cancel_entry_id,
               (%(day)s::date + time '09:00'
                + ({unit("g", salt + 5)} * interval '12 hours')) AT TIME ZONE 'Asia/Seoul'
                   AS created_at,
               ledger_entry_id_next() AS entry_id
          FROM generate_series(1, %(payments)s) g
          JOIN bench_citizen c
            ON c.rn = floor({unit("g", salt + 1)} * %(n_citizens)s)::bigint
          JOIN bench_shop s
            ON s.rn = floor(power({unit("g", salt + 2)}, 2) * %(n_shops)s)::bigint
        """,  # noqa: S608 - the f-string parts are constants
        {
            "payments": payments,
            "cancel": cancel_permille,
            "day": day,
            "n_citizens": n_citizens,
            "n_shops": n_shops,
        },
    )
    _execute("CREATE INDEX ON bench_stage (n); ANALYZE bench_stage")
    _execute("DROP TABLE bench_citizen; DROP TABLE bench_shop")


def charges(day, batch, *, label: str):
    """One charge per paying citizen, before the payments, for what they spend (rounded up
    to 10,000 won, plus 10,000 left over). Credited from the float as if the card money had
    been paid out already, under the provider name ``synthetic`` (no payment provider keeps
    records of them, so the nightly reconciliation of providers leaves them alone)."""
    at_eight = datetime.combine(day, dt_time(8), tzinfo=ZoneInfo(settings.TIME_ZONE))
    shards = settings.INCENTIVE_BUDGET_SHARDS
    with transaction.atomic():
        _execute(
            f"""
            CREATE TEMP TABLE bench_charge AS
            SELECT t.user_id, t.principal_id, f.id AS float_id,
                   (div(t.spent + 9999, 10000) * 10000 + 10000)::bigint AS amount,
                   ledger_entry_id_next() AS entry_id
              FROM (SELECT user_id, principal_id, SUM(amount) AS spent
                      FROM bench_stage GROUP BY user_id, principal_id) t
              JOIN ledger_accounts f ON f.kind = 'float' AND f.owner_user_id IS NULL
                                   AND f.owner_shop_id IS NULL
                                   AND f.shard = t.user_id %% {int(shards)}
            """  # noqa: S608 - the f-string part is a setting (an integer)
        )
        _execute(
            "SELECT ledger_bulk_stage();"
            "INSERT INTO ledger_bulk_entries (id, kind, business_date, created_at, actor_id,"
            " memo, reverses_id, idempotency_key)"
            " SELECT entry_id, 'charge', %(day)s, %(at)s::timestamptz, user_id,"
            " %(label)s || ' charge', NULL, %(label)s || ':' || %(batch)s || ':charge:' || user_id"
            " FROM bench_charge",
            {"day": day, "batch": batch, "at": at_eight, "label": label},
        )
        _execute(
            "INSERT INTO ledger_bulk_postings (entry_id, account_id, amount, business_date)"
            " SELECT entry_id, float_id, -amount, %(day)s FROM bench_charge"
            " UNION ALL SELECT entry_id, principal_id, amount, %(day)s FROM bench_charge;"
            "SELECT ledger_bulk_load()",
            {"day": day},
        )
        _execute(
            "INSERT INTO vouchers_charge (user_id, amount, incentive, status, provider,"
            " order_id, provider_payment_key, failure_reason, purpose, created_at, paid_at,"
            " business_date, entry_id)"
            " SELECT user_id, amount, 0, 'paid', 'synthetic',"
            " %(label)s || '-' || %(batch)s || '-' || user_id, '', '', 'wallet', %(at)s::timestamptz,"
            " %(at)s::timestamptz, %(day)s, entry_id FROM bench_charge",
            {"day": day, "batch": batch, "at": at_eight, "label": label},
        )
        _execute(
            "INSERT INTO vouchers_monthlyusage (user_id, month, charged, incentive, cashback,"
            " carried_in) SELECT user_id, %(month)s, amount, 0, 0, 0 FROM bench_charge"
            " ON CONFLICT (user_id, month)"
            " DO UPDATE SET charged = vouchers_monthlyusage.charged + EXCLUDED.charged",
            {"month": day.replace(day=1)},
        )
        _execute("DROP TABLE bench_charge")


def payments_write(
    day, batch, payments, chunk, *, label: str, progress: bool = True, cashback_bp: int = 0
):
    """The payments (and the same-day cancellations), ``chunk`` per transaction.

    ``cashback_bp``: cashback at this rate, rounded down to the won, paid from the citizen's
    shard of the incentive budget into the wallet's incentive balance in the payment's own entry
    (as ``wallet_pay`` does) and reversed with a cancelled payment. The monthly cap is not
    applied (the demo's neighbours spend far below it); the month's usage row counts it."""
    bar = tqdm(
        total=payments,
        unit="payment",
        desc="  payments",
        leave=False,
        disable=None if progress else True,
    )
    params = {"day": day, "batch": batch, "label": label, "bp": cashback_bp}
    if cashback_bp:
        shards = int(settings.INCENTIVE_BUDGET_SHARDS)
        _execute(
            "CREATE TEMP TABLE bench_cashback AS"  # noqa: S608 - the shard count is a setting
            " SELECT DISTINCT st.user_id, i.id AS incentive_id, b.id AS budget_id"
            "   FROM bench_stage st"
            "   JOIN ledger_accounts i ON i.owner_user_id = st.user_id"
            "                        AND i.kind = 'wallet_incentive'"
            "   JOIN ledger_accounts b ON b.kind = 'incentive_budget' AND b.owner_user_id IS NULL"
            "                        AND b.owner_shop_id IS NULL"
            f"                       AND b.shard = st.user_id %% {shards}"
        )
        _execute("CREATE UNIQUE INDEX ON bench_cashback (user_id)")
    for first in range(1, payments + 1, chunk):
        params["first"], params["last"] = first, min(payments, first + chunk - 1)
        rows = "FROM bench_stage WHERE n BETWEEN %(first)s AND %(last)s"
        with transaction.atomic():
            _execute(
                "SELECT ledger_bulk_stage();"
                "INSERT INTO ledger_bulk_entries (id, kind, business_date, created_at, actor_id,"
                " memo, reverses_id, idempotency_key)"
                " SELECT entry_id, 'payment', %(day)s, created_at, user_id,"
                " %(label)s || ' payment', NULL::bigint, %(label)s || ':' || %(batch)s || ':pay:' || n "
                + rows
                + " UNION ALL"
                " SELECT cancel_entry_id, 'reversal', %(day)s,"
                " created_at + interval '10 minutes', user_id,"
                " 'reversal of #' || entry_id, entry_id,"
                " %(label)s || ':' || %(batch)s || ':cancel:' || n " + rows + " AND cancelled",
                params,
            )
            _execute(
                "INSERT INTO ledger_bulk_postings (entry_id, account_id, amount, business_date)"
                " SELECT entry_id, payable_id, amount, %(day)s " + rows + " UNION ALL"
                " SELECT entry_id, principal_id, -amount, %(day)s " + rows + " UNION ALL"
                " SELECT cancel_entry_id, payable_id, -amount, %(day)s "
                + rows
                + " AND cancelled UNION ALL"
                " SELECT cancel_entry_id, principal_id, amount, %(day)s " + rows + " AND cancelled",
                params,
            )
            if cashback_bp:
                cashback = (
                    " FROM (SELECT st.*, c.incentive_id, c.budget_id,"
                    " st.amount * %(bp)s / 10000 AS cashback FROM bench_stage st"
                    " JOIN bench_cashback c USING (user_id)"
                    " WHERE st.n BETWEEN %(first)s AND %(last)s) x WHERE cashback > 0"
                )
                _execute(
                    "INSERT INTO ledger_bulk_postings (entry_id, account_id, amount, business_date)"
                    " SELECT entry_id, incentive_id, cashback, %(day)s" + cashback + " UNION ALL"
                    " SELECT entry_id, budget_id, -cashback, %(day)s" + cashback + " UNION ALL"
                    " SELECT cancel_entry_id, incentive_id, -cashback, %(day)s"
                    + cashback
                    + " AND cancelled UNION ALL"
                    " SELECT cancel_entry_id, budget_id, cashback, %(day)s"
                    + cashback
                    + " AND cancelled",
                    params,
                )
            _execute("SELECT ledger_bulk_load()")
            _execute(
                "INSERT INTO vouchers_payment (user_id, shop_id, amount, from_principal,"
                " from_incentive, cashback, method, status, device_id, actor_id,"
                " business_date, created_at, entry_id, cashback_entry_id, cancelled_at)"
                " SELECT user_id, shop_id, amount, amount, 0, amount * %(bp)s / 10000, 'customer_code',"
                " CASE WHEN cancelled THEN 'cancelled' ELSE 'completed' END, NULL, NULL,"
                " %(day)s, created_at, entry_id, NULL,"
                " CASE WHEN cancelled THEN created_at + interval '10 minutes' END " + rows,
                params,
            )
        bar.update(params["last"] - first + 1)
    bar.close()
    if cashback_bp:
        _execute(
            "INSERT INTO vouchers_monthlyusage (user_id, month, charged, incentive, cashback,"
            " carried_in) SELECT user_id, %(month)s, 0, 0, SUM(amount * %(bp)s / 10000), 0"
            " FROM bench_stage WHERE NOT cancelled GROUP BY user_id"
            " ON CONFLICT (user_id, month)"
            " DO UPDATE SET cashback = vouchers_monthlyusage.cashback + EXCLUDED.cashback",
            {"month": day.replace(day=1), "bp": cashback_bp},
        )
        _execute("DROP TABLE bench_cashback")
