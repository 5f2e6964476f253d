"""python manage.py bench_seed --schema bench --citizens N --shops M --payments P [--date D]

Creates (or extends) a city with realistic, balanced ledger data, fast: everything is generated
by PostgreSQL with ``INSERT ... SELECT`` over ``generate_series`` (nothing per row in Python).

- citizens (users with the citizen role, wallets, wallet_principal and wallet_incentive
  accounts) and shops (owners, approved shops, members, shop_payable accounts), up to the
  totals asked for (existing bench citizens and shops are kept);
- on business date D (default yesterday): P wallet payments, citizens and shops drawn at random
  (busy shops busier), 1,000 to 60,000 won; each a ``payment`` entry (wallet_principal →
  shop_payable) with its ``vouchers_payment`` row; about ``--cancel-permille`` of them
  cancelled the same day (a ``reversal`` entry); before them, one ``charge`` entry per paying
  citizen (float shard → wallet_principal) covering what they spend, with its charge row and
  monthly usage.

Entries and postings go into the ledger's own tables, so its rules hold: the statement trigger
adds each INSERT's postings to the accounts' balances, the CHECK refuses an overdraft, and the
deferred per-entry balance check runs at COMMIT. Payments are committed in chunks
(``--chunk``) so that the deferred checks of one commit stay a bounded queue. ``ledger_check``
runs at the end.
"""

from __future__ import annotations

import secrets
import time
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django_tenants.utils import schema_context
from tqdm import tqdm

from accounts.roles import Role
from cities.services import city_get_or_create
from jeonju_prepay.db import snapshot
from ledger.selectors import ledger_check
from ledger.services import business_date_today

CATEGORIES = ["restaurant", "cafe", "bakery", "grocery", "butcher", "greengrocer", "beauty",
              "pharmacy", "bookstore", "florist", "laundry", "clothing"]  # fmt: skip
DISTRICTS = ["풍남동", "노송동", "중앙동", "완산동", "서신동", "효자동", "삼천동", "평화동",
             "인후동", "우아동", "송천동", "덕진동"]  # fmt: skip
BANKS = ["전북은행", "농협은행", "국민은행", "신한은행", "우리은행", "하나은행"]

# Deterministic pseudo-random numbers in [0, 1) from a row number and a salt.
UNIT = "((hashint8(({n})::bigint * 1000003 + {salt})::bigint & 2147483647)::float8 / 2147483648.0)"


def unit(n: str, salt: int) -> str:
    return UNIT.format(n=n, salt=salt)


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser):
        parser.add_argument("--schema", default="bench")
        parser.add_argument("--citizens", type=int, default=1_000)
        parser.add_argument("--shops", type=int, default=100)
        parser.add_argument("--payments", type=int, default=10_000)
        parser.add_argument("--date", help="business date YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--cancel-permille", type=int, default=10)
        parser.add_argument("--chunk", type=int, default=100_000, help="payments per commit")
        parser.add_argument("--no-check", action="store_true", help="skip ledger_check")

    def handle(self, *args, **opts):
        schema = opts["schema"]
        citizens, shops, payments = opts["citizens"], opts["shops"], opts["payments"]
        if citizens < 1 or shops < 1 or payments < 0:
            raise CommandError("--citizens and --shops must be at least 1, --payments at least 0.")
        if not 0 <= opts["cancel_permille"] <= 1000 or opts["chunk"] < 1:
            raise CommandError("--cancel-permille is 0..1000 and --chunk at least 1.")
        try:
            day = (
                date.fromisoformat(opts["date"])
                if opts["date"]
                else business_date_today() - timedelta(days=1)
            )
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD.") from exc
        started = time.monotonic()
        host = schema.replace("_", "-") + ".localhost"
        _city, created = city_get_or_create(schema_name=schema, name=f"벤치 {schema}", domain=host)
        self.stdout.write(f"[{schema}] {'created' if created else 'extending'} ({host})")
        with schema_context(schema):
            self._run(day, citizens, shops, payments, opts)
        self.stdout.write(
            self.style.SUCCESS(f"[{schema}] done in {time.monotonic() - started:.1f} s")
        )

    # --- steps ------------------------------------------------------------------------------

    def _run(self, day, citizens, shops, payments, opts):
        timings = {}

        def timed(name, func, *args):
            t0 = time.monotonic()
            result = func(*args)
            timings[name] = time.monotonic() - t0
            self.stdout.write(f"  {name:<22} {timings[name]:7.1f} s")
            return result

        timed("policy and budget", self._policy_and_system_accounts)
        timed("citizens", self._citizens, citizens)
        timed("shops", self._shops, shops)
        if payments:
            batch = f"{day:%Y%m%d}-{secrets.token_hex(3)}"
            timed("staging", self._stage, day, citizens, shops, payments, opts["cancel_permille"])
            timed("charges", self._charges, day, batch)
            timed("payments", self._payments, day, batch, payments, opts["chunk"])
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_stage")
        timed("analyze", self._analyze)
        if not opts["no_check"]:
            report = timed("ledger_check", self._check)
            if not report.ok:
                raise CommandError(f"ledger_check failed: {report.as_dict()}")
            self.stdout.write(
                f"  ledger balanced: {report.accounts:,} accounts, {report.entries:,} entries, "
                f"{report.postings:,} postings"
            )

    def _execute(self, sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params or {})
            return cursor.rowcount

    def _policy_and_system_accounts(self):
        from vouchers.models import Policy
        from vouchers.services import budget_fund, budget_shard_ids, policy_set

        if not Policy.objects.exists():
            policy_set(
                by=None,
                effective_from=date(2020, 1, 1),
                cashback_bp=0,
                monthly_charge_limit=5_000_000,
                monthly_cashback_cap=50_000,
            )
        budget_shard_ids()
        budget_fund(
            by=None,
            name="bench budget",
            starts_on=date(2020, 1, 1),
            ends_on=date(2030, 12, 31),
            amount=1_000_000_000,
            idempotency_key="bench-budget",
        )
        self._execute(
            "INSERT INTO ledger_account (kind, owner_user_id, owner_shop_id, shard, balance,"
            " may_go_negative, created_at)"
            " SELECT 'float', NULL, NULL, s, 0, true, now()"
            " FROM generate_series(0, %(shards)s - 1) s ON CONFLICT DO NOTHING",
            {"shards": settings.INCENTIVE_BUDGET_SHARDS},
        )

    def _citizens(self, total):
        with transaction.atomic():
            existing = self._count(
                "SELECT count(*) FROM accounts_user WHERE email LIKE 'bench-c-%%'"
            )
            self._execute(
                "INSERT INTO accounts_user (password, last_login, is_superuser, is_staff,"
                " is_active, date_joined, email, name, phone)"
                " SELECT '!', NULL, false, false, true, now(), 'bench-c-' || g || '@bench.kr',"
                " '벤치시민' || g, '' FROM generate_series(%(first)s, %(last)s) g"
                " ON CONFLICT DO NOTHING",
                {"first": existing + 1, "last": total},
            )
            self._execute(
                "INSERT INTO accounts_user_groups (user_id, group_id)"
                " SELECT u.id, g.id FROM accounts_user u, auth_group g"
                " WHERE u.email LIKE 'bench-c-%%' AND g.name = %(role)s ON CONFLICT DO NOTHING",
                {"role": Role.CITIZEN},
            )
            self._execute(
                "INSERT INTO vouchers_wallet (user_id, pin_hash, pin_failures, citizen_group,"
                " created_at) SELECT id, '', 0, 'general', now() FROM accounts_user"
                " WHERE email LIKE 'bench-c-%%' ON CONFLICT DO NOTHING"
            )
            self._execute(
                "INSERT INTO ledger_account (kind, owner_user_id, owner_shop_id, shard, balance,"
                " may_go_negative, created_at)"
                " SELECT k.kind, u.id, NULL, 0, 0, false, now()"
                " FROM accounts_user u"
                " CROSS JOIN (VALUES ('wallet_principal'), ('wallet_incentive')) k(kind)"
                " WHERE u.email LIKE 'bench-c-%%' ON CONFLICT DO NOTHING"
            )

    def _shops(self, total):
        with transaction.atomic():
            existing = self._count(
                "SELECT count(*) FROM merchants_shop WHERE public_code LIKE 'bench-%%'"
            )
            params = {
                "first": existing + 1,
                "last": total,
                "categories": CATEGORIES,
                "districts": DISTRICTS,
                "banks": BANKS,
            }
            self._execute(
                "INSERT INTO accounts_user (password, last_login, is_superuser, is_staff,"
                " is_active, date_joined, email, name, phone)"
                " SELECT '!', NULL, false, false, true, now(), 'bench-o-' || g || '@bench.kr',"
                " '벤치사장' || g, '' FROM generate_series(%(first)s, %(last)s) g"
                " ON CONFLICT DO NOTHING",
                params,
            )
            self._execute(
                "INSERT INTO merchants_shop (owner_id, name, business_number, category, district,"
                " address, phone, sales_bracket, bank_name, bank_account, bank_holder, status,"
                " status_reason, approved_at, public_code, created_at, updated_at)"
                " SELECT u.id, '벤치 가게 ' || g,"
                " lpad((9000000000 + g)::text, 10, '0'),"
                " (%(categories)s::text[])[1 + g %% cardinality(%(categories)s::text[])],"
                " (%(districts)s::text[])[1 + g %% cardinality(%(districts)s::text[])],"
                " '전주시 ' || g || '번지', '063-000-0000', 'under_300m',"
                " (%(banks)s::text[])[1 + g %% cardinality(%(banks)s::text[])],"
                " lpad((1000000000000 + g * 7919)::text, 13, '0'), '벤치사장' || g,"
                " 'approved', '', now(), 'bench-' || g, now(), now()"
                " FROM generate_series(%(first)s, %(last)s) g"
                " JOIN accounts_user u ON u.email = 'bench-o-' || g || '@bench.kr'",
                params,
            )
            self._execute(
                "INSERT INTO accounts_user_groups (user_id, group_id)"
                " SELECT u.id, g.id FROM accounts_user u, auth_group g"
                " WHERE u.email LIKE 'bench-o-%%' AND g.name = %(role)s ON CONFLICT DO NOTHING",
                {"role": Role.MERCHANT_OWNER},
            )
            self._execute(
                "INSERT INTO merchants_shopmember (shop_id, user_id, role, created_at)"
                " SELECT s.id, s.owner_id, 'owner', now() FROM merchants_shop s"
                " WHERE s.public_code LIKE 'bench-%%' ON CONFLICT DO NOTHING"
            )
            self._execute(
                "INSERT INTO ledger_account (kind, owner_user_id, owner_shop_id, shard, balance,"
                " may_go_negative, created_at)"
                " SELECT 'shop_payable', NULL, s.id, 0, 0, true, now() FROM merchants_shop s"
                " WHERE s.public_code LIKE 'bench-%%' ON CONFLICT DO NOTHING"
            )

    def _stage(self, day, citizens, shops, payments, cancel_permille):
        """One row per payment to make: who, where, how much, and its entry ids (drawn from
        the ledger's sequence, so the entries can be written with their postings)."""
        self._execute("DROP TABLE IF EXISTS bench_stage")
        self._execute(
            "CREATE TEMP TABLE bench_citizen AS"
            " SELECT row_number() OVER (ORDER BY u.id) - 1 AS rn, u.id AS user_id,"
            "        a.id AS principal_id"
            "   FROM accounts_user u"
            "   JOIN ledger_account a ON a.owner_user_id = u.id AND a.kind = 'wallet_principal'"
            "  WHERE u.email LIKE 'bench-c-%%'"
        )
        self._execute(
            "CREATE TEMP TABLE bench_shop AS"
            " SELECT row_number() OVER (ORDER BY s.id) - 1 AS rn, s.id AS shop_id,"
            "        a.id AS payable_id"
            "   FROM merchants_shop s"
            "   JOIN ledger_account a ON a.owner_shop_id = s.id AND a.kind = 'shop_payable'"
            "  WHERE s.public_code LIKE 'bench-%%'"
        )
        self._execute("CREATE UNIQUE INDEX ON bench_citizen (rn)")
        self._execute("CREATE UNIQUE INDEX ON bench_shop (rn)")
        self._execute("ANALYZE bench_citizen")
        self._execute("ANALYZE bench_shop")
        n_citizens = self._count("SELECT count(*) FROM bench_citizen")
        n_shops = self._count("SELECT count(*) FROM bench_shop")
        salt = secrets.randbelow(1_000_000)
        seq = "pg_get_serial_sequence('ledger_entry', 'id')"
        # Busy shops are busier (u² skews toward the first shops); amounts 1,000..60,000 won
        # in steps of 100, most of them small; the time of day spread over 09:00-21:00.
        self._execute(
            f"""
            CREATE TEMP TABLE bench_stage AS
            SELECT g AS n,
                   c.user_id, c.principal_id, s.shop_id, s.payable_id,
                   ((10 + floor(590 * power({unit("g", salt + 3)}, 2)))::bigint * 100) AS amount,
                   ({unit("g", salt + 4)} * 1000 < %(cancel)s) AS cancelled,
                   CASE WHEN {unit("g", salt + 4)} * 1000 < %(cancel)s THEN nextval({seq})
                   END AS cancel_entry_id,
                   (%(day)s::date + time '09:00'
                    + ({unit("g", salt + 5)} * interval '12 hours')) AT TIME ZONE 'Asia/Seoul'
                       AS created_at,
                   nextval({seq}) AS entry_id
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
        self._execute("CREATE INDEX ON bench_stage (n); ANALYZE bench_stage")
        self._execute("DROP TABLE bench_citizen; DROP TABLE bench_shop")

    def _charges(self, day, batch):
        """One charge per paying citizen, before the payments, for what they spend (rounded up
        to 10,000 won, plus 10,000 left over)."""
        at_eight = datetime.combine(day, dt_time(8), tzinfo=ZoneInfo(settings.TIME_ZONE))
        shards = settings.INCENTIVE_BUDGET_SHARDS
        with transaction.atomic():
            self._execute(
                f"""
                CREATE TEMP TABLE bench_charge AS
                SELECT t.user_id, t.principal_id, f.id AS float_id,
                       ((t.spent + 9999) / 10000 * 10000 + 10000)::bigint AS amount,
                       nextval(pg_get_serial_sequence('ledger_entry', 'id')) AS entry_id
                  FROM (SELECT user_id, principal_id, SUM(amount) AS spent
                          FROM bench_stage GROUP BY user_id, principal_id) t
                  JOIN ledger_account f ON f.kind = 'float' AND f.owner_user_id IS NULL
                                       AND f.owner_shop_id IS NULL
                                       AND f.shard = t.user_id %% {int(shards)}
                """  # noqa: S608 - the f-string part is a setting (an integer)
            )
            self._execute(
                "INSERT INTO ledger_entry (id, kind, business_date, created_at, actor_id,"
                " device_id, memo, reverses_id, idempotency_key, fingerprint)"
                " SELECT entry_id, 'charge', %(day)s, %(at)s::timestamptz, user_id, NULL,"
                " 'bench charge', NULL, 'bench:' || %(batch)s || ':charge:' || user_id, 'bench'"
                " FROM bench_charge",
                {"day": day, "batch": batch, "at": at_eight},
            )
            self._execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
                " SELECT entry_id, float_id, -amount, %(day)s FROM bench_charge"
                " UNION ALL SELECT entry_id, principal_id, amount, %(day)s FROM bench_charge",
                {"day": day},
            )
            self._execute(
                "INSERT INTO vouchers_charge (user_id, amount, incentive, status, provider,"
                " order_id, provider_payment_key, failure_reason, purpose, created_at, paid_at,"
                " business_date, entry_id)"
                " SELECT user_id, amount, 0, 'paid', 'sandbox',"
                " 'bench-' || %(batch)s || '-' || user_id, '', '', 'wallet', %(at)s::timestamptz,"
                " %(at)s::timestamptz, %(day)s, entry_id FROM bench_charge",
                {"day": day, "batch": batch, "at": at_eight},
            )
            self._execute(
                "INSERT INTO vouchers_monthlyusage (user_id, month, charged, incentive, cashback,"
                " carried_in) SELECT user_id, %(month)s, amount, 0, 0, 0 FROM bench_charge"
                " ON CONFLICT (user_id, month)"
                " DO UPDATE SET charged = vouchers_monthlyusage.charged + EXCLUDED.charged",
                {"month": day.replace(day=1)},
            )
            self._execute("DROP TABLE bench_charge")

    def _payments(self, day, batch, payments, chunk):
        """The payments (and the same-day cancellations), ``chunk`` per transaction."""
        bar = tqdm(total=payments, unit="payment", desc="  payments", leave=False)
        params = {"day": day, "batch": batch}
        for first in range(1, payments + 1, chunk):
            params["first"], params["last"] = first, min(payments, first + chunk - 1)
            rows = "FROM bench_stage WHERE n BETWEEN %(first)s AND %(last)s"
            with transaction.atomic():
                self._execute(
                    "INSERT INTO ledger_entry (id, kind, business_date, created_at, actor_id,"
                    " device_id, memo, reverses_id, idempotency_key, fingerprint)"
                    " SELECT entry_id, 'payment', %(day)s, created_at, user_id, NULL::bigint,"
                    " 'bench payment', NULL::bigint, 'bench:' || %(batch)s || ':pay:' || n,"
                    " 'bench' " + rows + " UNION ALL"
                    " SELECT cancel_entry_id, 'reversal', %(day)s,"
                    " created_at + interval '10 minutes', user_id, NULL::bigint,"
                    " 'reversal of #' || entry_id, entry_id,"
                    " 'bench:' || %(batch)s || ':cancel:' || n, 'bench' " + rows + " AND cancelled",
                    params,
                )
                self._execute(
                    "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
                    " SELECT entry_id, payable_id, amount, %(day)s " + rows + " UNION ALL"
                    " SELECT entry_id, principal_id, -amount, %(day)s " + rows + " UNION ALL"
                    " SELECT cancel_entry_id, payable_id, -amount, %(day)s "
                    + rows
                    + " AND cancelled UNION ALL"
                    " SELECT cancel_entry_id, principal_id, amount, %(day)s "
                    + rows
                    + " AND cancelled",
                    params,
                )
                self._execute(
                    "INSERT INTO vouchers_payment (user_id, shop_id, amount, from_principal,"
                    " from_incentive, cashback, method, status, device_id, actor_id,"
                    " business_date, created_at, entry_id, cashback_entry_id, cancelled_at)"
                    " SELECT user_id, shop_id, amount, amount, 0, 0, 'customer_code',"
                    " CASE WHEN cancelled THEN 'cancelled' ELSE 'completed' END, NULL, NULL,"
                    " %(day)s, created_at, entry_id, NULL,"
                    " CASE WHEN cancelled THEN created_at + interval '10 minutes' END " + rows,
                    params,
                )
            bar.update(params["last"] - first + 1)
        bar.close()

    def _analyze(self):
        for table in ("ledger_entry", "ledger_posting", "ledger_account", "vouchers_payment"):
            self._execute(f"ANALYZE {table}")

    def _check(self):
        with snapshot():
            return ledger_check()

    def _count(self, sql) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, {})
            return int(cursor.fetchone()[0])
