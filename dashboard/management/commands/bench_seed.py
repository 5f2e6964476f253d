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
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django_tenants.utils import schema_context

from accounts.roles import Role
from cities.services import city_get_or_create
from dashboard import synthetic
from jeonju_prepay.db import snapshot
from ledger.selectors import ledger_check
from ledger.services import business_date_today

CATEGORIES = ["restaurant", "cafe", "bakery", "grocery", "butcher", "greengrocer", "beauty",
              "pharmacy", "bookstore", "florist", "laundry", "clothing"]  # fmt: skip
DISTRICTS = ["풍남동", "노송동", "중앙동", "완산동", "서신동", "효자동", "삼천동", "평화동",
             "인후동", "우아동", "송천동", "덕진동"]  # fmt: skip
BANKS = ["전북은행", "농협은행", "국민은행", "신한은행", "우리은행", "하나은행"]


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
            timed(
                "staging",
                lambda: synthetic.stage(
                    day,
                    payments,
                    opts["cancel_permille"],
                    citizens_where="u.email LIKE 'bench-c-%%'",
                    shops_where="s.public_code LIKE 'bench-%%'",
                ),
            )
            timed("charges", lambda: synthetic.charges(day, batch, label="bench"))
            timed(
                "payments",
                lambda: synthetic.payments_write(
                    day, batch, payments, opts["chunk"], label="bench"
                ),
            )
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

    def _accounts_create(self, kind, owners_sql, params=None):
        """Accounts of ``kind`` for the owners ``owners_sql`` selects (three arrays: users, shops,
        shards), through ``ledger_accounts_create()``. The arrays are read first and passed as
        values: on Citus a function that writes the ledger cannot run inside a query over a
        city's table ("cannot execute a distributed query from a query on a shard")."""
        with connection.cursor() as cursor:
            cursor.execute(owners_sql, params or {})
            users, shops, shards = cursor.fetchone()
            if shards is None:  # no owner selected
                return
            cursor.execute(
                "SELECT ledger_accounts_create(%s, %s::bigint[], %s::bigint[], %s::integer[])",
                [kind, users, shops, shards],
            )

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
        self._accounts_create(
            "float",
            "SELECT array_agg(NULL::bigint), array_agg(NULL::bigint), array_agg(s)"
            " FROM generate_series(0, %(shards)s - 1) s",
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
                " SELECT u.id, %(group)s FROM accounts_user u"
                " WHERE u.email LIKE 'bench-c-%%' ON CONFLICT DO NOTHING",
                {"group": self._group_id(Role.CITIZEN)},
            )
            self._execute(
                "INSERT INTO vouchers_wallet (user_id, pin_hash, pin_failures, citizen_group,"
                " created_at) SELECT id, '', 0, 'general', now() FROM accounts_user"
                " WHERE email LIKE 'bench-c-%%' ON CONFLICT DO NOTHING"
            )
            for kind in ("wallet_principal", "wallet_incentive"):
                self._accounts_create(
                    kind,
                    "SELECT array_agg(u.id), array_agg(NULL::bigint), array_agg(0)"
                    " FROM accounts_user u WHERE u.email LIKE 'bench-c-%%'",
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
                " SELECT u.id, %(group)s FROM accounts_user u"
                " WHERE u.email LIKE 'bench-o-%%' ON CONFLICT DO NOTHING",
                {"group": self._group_id(Role.MERCHANT_OWNER)},
            )
            self._execute(
                "INSERT INTO merchants_shopmember (shop_id, user_id, role, created_at)"
                " SELECT s.id, s.owner_id, 'owner', now() FROM merchants_shop s"
                " WHERE s.public_code LIKE 'bench-%%' ON CONFLICT DO NOTHING"
            )
            self._accounts_create(
                "shop_payable",
                "SELECT array_agg(NULL::bigint), array_agg(s.id), array_agg(0)"
                " FROM merchants_shop s WHERE s.public_code LIKE 'bench-%%'",
            )

    def _analyze(self):
        self._execute("SELECT ledger_analyze()")
        self._execute("ANALYZE vouchers_payment")

    def _check(self):
        with snapshot():
            return ledger_check()

    def _group_id(self, role: str) -> int:
        """The role's group, looked up on its own: joined to the users with no join condition
        (a Cartesian product) the INSERT is refused by Citus."""
        from django.contrib.auth.models import Group

        return Group.objects.get(name=role).pk  # every city has its roles (accounts.roles_sync)

    def _count(self, sql) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, {})
            return int(cursor.fetchone()[0])
