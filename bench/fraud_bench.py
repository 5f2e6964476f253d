"""Cash-out detection measured on planted cases: precision and recall per kind, over seeds,
and the nightly step's time on a city of the dashboard's bench seeding.

The city (schema ``bench_fraud``, kept between runs; ``--fresh`` rebuilds it) is made by
``manage.py bench_seed``, the seeding of the dashboard bench: ``--citizens`` citizens,
``--shops`` shops and ``--payments`` wallet payments spread over the ``--days`` business dates
ending ``--date`` (each day's payers charge at 08:00 what they spend; payments 09:00-21:00; busy
shops busier; 1% cancelled). bench_seed approves every shop "now" and declares each the smallest
sales bracket, which no real city looks like, so the bench then ages the shops (approved 60 to
2,000 days before the month) and declares each shop's bracket as its wallet sales would make an
honest shop declare it: the year's wallet sales are 20% to 50% of its turnover (a share drawn per
shop), and the bracket is the one that turnover falls in. bench_seed's wallet policy lets a
citizen charge 5,000,000 won a month; the month gets the world's limit, 500,000 won, in a new
policy version (the thresholds read the limit in force).

For each seed, inside one transaction that is rolled back afterwards (the city stays as seeded):

- ``fraud.synthetic.world_build(ordinary=False)`` draws ``--rings`` planted cases of each kind
  and as many honest look-alikes of each, dated in the same month; their people, shops, wallets,
  charges (credited from the float, the incentive from the budget), payments and refunds are
  written into the city's tables with their ledger entries (``ledger_bulk_*``; each person's
  wallet is funded 40 days before the month with what they go on to spend), the look-alikes'
  "ordinary shops" being shops of the seeded city; the ledger's deferred checks are then run
  (``SET CONSTRAINTS ALL IMMEDIATE``);
- the nightly step (``fraud.nightly.step_fraud`` for ``--date``: the facts loaded from the
  tables, scored with the default thresholds, the cases recorded) is timed;
- the cases it opened are read back: recall per kind (planted cases with a case on one of their
  shops or citizens), precision per kind (cases on planted subjects against cases on the kind's
  look-alikes), and the cases on the seeded city's own citizens and shops (counted against the
  overall precision).

The thresholds are never tuned to a seed: the figures are over ``--seeds`` seeds. The last line
begins ``fraud:``. Targets: recall >= 0.9, precision >= 0.8, the step < 60 s.

``--in-memory`` scores worlds of facts instead (``fraud.bench.bench_run``: no database, the
ordinary city drawn by ``world_build`` too), in seconds.

    python bench/fraud_bench.py [--citizens 100000] [--shops 10000] [--payments 700000]
        [--days 30] [--date 2026-03-31] [--rings 10] [--seeds 5] [--fresh] [--in-memory]
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta

from _setup import django_setup

SCHEMA = "bench_fraud"
TARGET_RECALL, TARGET_PRECISION, TARGET_STEP_S = 0.9, 0.8, 60.0
FUNDED_DAYS_BEFORE = 40  # planted wallets are funded this long before the month (outside it)


# --- The seeded city ------------------------------------------------------------------------------


def city_ready(args) -> tuple[list[int], float | None]:
    """The seeded city (made when missing or with --fresh); returns its shops' ids in order (the
    world's ordinary shops 1..N map onto them) and the seeding time, None when it was kept."""
    from _setup import bench_city_drop
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [SCHEMA])
        exists = cursor.fetchone() is not None
    seeded = None
    if exists and not args.fresh:
        with schema_context(SCHEMA), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM vouchers_payment")
            have = cursor.fetchone()[0]
        if have < args.payments:
            exists = False
    if not exists or args.fresh:
        bench_city_drop(SCHEMA)
        started = time.monotonic()
        per_day, extra = divmod(args.payments, args.days)
        for i in range(args.days):
            day = args.date - timedelta(days=args.days - 1 - i)
            call_command(
                "bench_seed",
                schema=SCHEMA,
                citizens=args.citizens,
                shops=args.shops,
                payments=per_day + (1 if i < extra else 0),
                date=day.isoformat(),
                no_check=i < args.days - 1,
                stdout=_Quiet(),
            )
            print(f"  seeded {day} ({time.monotonic() - started:.0f} s)", flush=True)
        with schema_context(SCHEMA):
            city_shape(args)
        seeded = time.monotonic() - started
    with schema_context(SCHEMA):
        city_policy(args)
    with schema_context(SCHEMA), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM merchants_shop WHERE public_code LIKE 'bench-%%' ORDER BY id"
        )
        shops = [row[0] for row in cursor.fetchall()]
    return shops, seeded


class _Quiet:
    def write(self, *_args, **_kwargs) -> None:
        pass

    def flush(self) -> None:
        pass


def city_shape(args) -> None:
    """Shops approved long ago, each declaring the bracket its turnover falls in (module doc)."""
    from django.db import connection

    from fraud.rules import BRACKET_TOP

    end = args.date + timedelta(days=1)
    start = end - timedelta(days=args.days)
    tops = sorted(BRACKET_TOP.items(), key=lambda kv: kv[1])
    bracket = (
        "CASE "
        + " ".join(f"WHEN t.turnover <= {int(top)} THEN '{name}'" for name, top in tops[:-1])
        + f" ELSE '{tops[-1][0]}' END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE merchants_shop SET approved_at = %(end)s::timestamptz"
            " - make_interval(days => 60 + abs(hashint4(id::int)) %% 1940)"
            " WHERE public_code LIKE 'bench-%%'",
            {"end": end},
        )
        cursor.execute(
            "UPDATE merchants_shop s SET sales_bracket = " + bracket + " FROM ("
            "  SELECT sh.id, COALESCE(SUM(p.amount), 0) * 365 / %(days)s * 10000"
            "         / (2000 + abs(hashint4(sh.id::int + 7)) %% 3001) AS turnover"
            "    FROM merchants_shop sh LEFT JOIN vouchers_payment p ON p.shop_id = sh.id"
            "     AND p.status = 'completed' AND p.business_date >= %(start)s"
            "     AND p.business_date < %(end)s"
            "   WHERE sh.public_code LIKE 'bench-%%' GROUP BY sh.id) t WHERE s.id = t.id",
            {"days": args.days, "start": start, "end": end},
        )
        cursor.execute("ANALYZE merchants_shop")


def city_policy(args) -> None:
    """The world's monthly charge limit in the city's wallet policy for the window.

    bench_seed's policy lets a citizen charge 5,000,000 won a month; the planted rings charge the
    world's limit (Jeonju's 500,000), and the thresholds read the limit from the policy in force.
    A new policy version from the window's start, made once (rows are never edited)."""
    from fraud.synthetic import MONTHLY_CHARGE_LIMIT
    from vouchers.models import Policy
    from vouchers.services import policy_set

    start = args.date - timedelta(days=args.days - 1)
    policy = (
        Policy.objects.filter(effective_from__lte=start).order_by("-effective_from", "-id").first()
    )
    if policy is None or policy.monthly_charge_limit == MONTHLY_CHARGE_LIMIT:
        return
    fields = {
        f.name: getattr(policy, f.name)
        for f in Policy._meta.concrete_fields
        if f.name not in ("id", "effective_from", "created_by", "created_at")
    }
    fields["monthly_charge_limit"] = MONTHLY_CHARGE_LIMIT
    policy_set(by=None, effective_from=start, **fields)


# --- A seed's planted cases, written into the city -----------------------------------------------


def planted_write(world, *, args, seed: int, bench_shops: list[int]) -> tuple[dict, dict]:
    """Write the world's planted people, shops and money; return the maps from the world's ids
    to the rows' (users, shops). Ordinary shops (ids 1..N) are the seeded city's."""
    from django.conf import settings
    from django.db import connection

    from accounts.models import User
    from accounts.roles import Role
    from merchants.models import Shop

    facts = world.facts
    shop_map = {i + 1: pk for i, pk in enumerate(bench_shops[: args.shops])}
    # People: everyone the world names above the ordinary citizens (payers, chargers, owners).
    people = sorted(
        {p.user_id for p in facts.payments}
        | {c.user_id for c in facts.charges}
        | {r.user_id for r in facts.refunds}
        | {s.owner_id for sid, s in facts.shops.items() if sid not in shop_map}
    )
    made = User.objects.bulk_create(
        [
            User(email=f"fraud-{seed}-{wid}@bench.kr", name=f"벤치{wid}", password="!")  # noqa: S106
            for wid in people
        ]
    )
    user_map = {wid: u.pk for wid, u in zip(people, made, strict=True)}
    from django.contrib.auth.models import Group

    Group.objects.get(name=Role.CITIZEN).user_set.add(*made)
    planted_shops = sorted(sid for sid in facts.shops if sid not in shop_map)
    made_shops = Shop.objects.bulk_create(
        [
            Shop(
                owner_id=user_map[facts.shops[sid].owner_id],
                name=facts.shops[sid].name,
                business_number=f"{7_000_000_000 + seed * 100_000 + sid:010d}",
                category="restaurant",
                district="풍남동",
                address="전주시",
                phone="063-000-0000",
                sales_bracket=facts.shops[sid].sales_bracket,
                bank_name="전북은행",
                bank_account="1000000000000",
                bank_holder="벤치",
                status=Shop.Status.APPROVED,
                approved_at=facts.shops[sid].approved_at,
                public_code=f"fraud-{seed}-{sid}",
            )
            for sid in planted_shops
        ]
    )
    shop_map.update({sid: s.pk for sid, s in zip(planted_shops, made_shops, strict=True)})
    users = list(user_map.values())
    shards = int(settings.INCENTIVE_BUDGET_SHARDS)
    with connection.cursor() as cursor:
        for kind in ("wallet_principal", "wallet_incentive"):
            cursor.execute(
                "SELECT ledger_accounts_create(%s, %s::bigint[], %s::bigint[], %s::integer[])",
                [kind, users, [None] * len(users), [0] * len(users)],
            )
        shop_ids = [s.pk for s in made_shops]
        cursor.execute(
            "SELECT ledger_accounts_create('shop_payable', %s::bigint[], %s::bigint[],"
            " %s::integer[])",
            [[None] * len(shop_ids), shop_ids, [0] * len(shop_ids)],
        )
        cursor.execute(
            "SELECT kind, owner_user_id, owner_shop_id, shard, id FROM ledger_accounts"
            " WHERE (owner_user_id = ANY(%s) AND kind IN ('wallet_principal', 'wallet_incentive'))"
            "    OR (owner_shop_id = ANY(%s) AND kind = 'shop_payable')"
            "    OR (owner_user_id IS NULL AND owner_shop_id IS NULL"
            "        AND kind IN ('float', 'incentive_budget'))",
            [users, list(shop_map.values())],
        )
        accounts = {}
        for kind, user, shop, shard, pk in cursor.fetchall():
            accounts[(kind, user or shop or shard)] = pk

    entries: list[tuple] = []  # (kind, business_date, created_at, actor, key)
    postings: list[tuple] = []  # (entry index, account, amount)

    def entry(kind: str, at: datetime, actor: int, key: str, legs) -> int:
        entries.append((kind, at.date(), at, actor, f"fraud-bench:{seed}:{key}"))
        for account, amount in legs:
            postings.append((len(entries) - 1, account, amount))
        return len(entries) - 1

    def principal(uid: int) -> int:
        return accounts[("wallet_principal", uid)]

    def float_of(uid: int) -> int:
        return accounts[("float", uid % shards)]

    # Each person's wallet funded before the month with what they spend or ask back.
    outflow: dict[int, int] = {}
    for p in facts.payments:
        outflow[p.user_id] = outflow.get(p.user_id, 0) + p.amount
    for r in facts.refunds:
        outflow[r.user_id] = outflow.get(r.user_id, 0) + r.amount
    charges = []  # (user, amount, incentive, at, entry index)
    funded_at = facts.start - timedelta(days=FUNDED_DAYS_BEFORE)
    for wid, amount in sorted(outflow.items()):
        uid = user_map[wid]
        index = entry(
            "charge",
            funded_at,
            uid,
            f"fund:{wid}",
            [(float_of(uid), -amount), (principal(uid), amount)],
        )
        charges.append((uid, amount, 0, funded_at, index))
    for c in facts.charges:
        uid = user_map[c.user_id]
        legs = [(float_of(uid), -c.amount), (principal(uid), c.amount)]
        if c.incentive:
            legs += [
                (accounts[("incentive_budget", uid % shards)], -c.incentive),
                (accounts[("wallet_incentive", uid)], c.incentive),
            ]
        index = entry("charge", c.at, uid, f"charge:{c.id}", legs)
        charges.append((uid, c.amount, c.incentive, c.at, index))
    payments = []  # (user, shop, amount, at, entry index)
    for p in facts.payments:
        uid, sid = user_map[p.user_id], shop_map[p.shop_id]
        index = entry(
            "payment",
            p.at,
            uid,
            f"pay:{p.id}",
            [(principal(uid), -p.amount), (accounts[("shop_payable", sid)], p.amount)],
        )
        payments.append((uid, sid, p.amount, p.at, index))
    refunds = []
    for r in facts.refunds:
        uid = user_map[r.user_id]
        index = entry(
            "refund",
            r.at,
            uid,
            f"refund:{r.id}",
            [(principal(uid), -r.amount), (float_of(uid), r.amount)],
        )
        refunds.append((uid, r.amount, r.at, index))

    with connection.cursor() as cursor:
        cursor.execute("SELECT ledger_entry_id_next() FROM generate_series(1, %s)", [len(entries)])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT ledger_bulk_stage()")
        cursor.execute(
            "INSERT INTO ledger_bulk_entries (id, kind, business_date, created_at, actor_id, memo,"
            " reverses_id, idempotency_key)"
            " SELECT id, kind, day, at, actor, 'fraud bench', NULL, key FROM unnest("
            " %s::bigint[], %s::text[], %s::date[], %s::timestamptz[], %s::bigint[], %s::text[])"
            " AS t(id, kind, day, at, actor, key)",
            [ids, *map(list, zip(*entries, strict=True))],
        )
        cursor.execute(
            "INSERT INTO ledger_bulk_postings (entry_id, account_id, amount, business_date)"
            " SELECT entry_id, account_id, amount, day FROM unnest("
            " %s::bigint[], %s::bigint[], %s::bigint[], %s::date[])"
            " AS t(entry_id, account_id, amount, day)",
            [
                [ids[i] for i, _a, _m in postings],
                [a for _i, a, _m in postings],
                [m for _i, _a, m in postings],
                [entries[i][1] for i, _a, _m in postings],
            ],
        )
        cursor.execute("SELECT ledger_bulk_load()")
        cursor.execute(
            "INSERT INTO vouchers_charge (user_id, amount, incentive, status, provider, order_id,"
            " provider_payment_key, failure_reason, purpose, created_at, paid_at, business_date,"
            " entry_id)"
            " SELECT u, amount, incentive, 'paid', 'synthetic', 'fraud-bench-' || e, '', '',"
            " 'wallet', at, at, (at AT TIME ZONE 'Asia/Seoul')::date, e FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[],"
            " %s::timestamptz[], %s::bigint[]) AS t(u, amount, incentive, at, e)",
            _columns(charges, 5, ids),
        )
        cursor.execute(
            "INSERT INTO vouchers_payment (user_id, shop_id, amount, from_principal,"
            " from_incentive, cashback, method, status, device_id, actor_id, business_date,"
            " created_at, entry_id, cashback_entry_id, cancelled_at)"
            " SELECT u, s, amount, amount, 0, 0, 'customer_code', 'completed', NULL, NULL,"
            " (at AT TIME ZONE 'Asia/Seoul')::date, at, e, NULL, NULL FROM unnest("
            " %s::bigint[], %s::bigint[], %s::bigint[], %s::timestamptz[], %s::bigint[])"
            " AS t(u, s, amount, at, e)",
            _columns(payments, 5, ids),
        )
        cursor.execute(
            "INSERT INTO vouchers_refund (user_id, principal, incentive_returned, charged_base,"
            " used_ratio_bp, entry_id, created_at, reversal_reason)"
            " SELECT u, amount, 0, 0, 0, e, at, '' FROM unnest(%s::bigint[], %s::bigint[],"
            " %s::timestamptz[], %s::bigint[]) AS t(u, amount, at, e)",
            _columns(refunds, 4, ids),
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # every entry balances, now
    return user_map, shop_map


# --- One seed ---------------------------------------------------------------------------------------


class _RollBack(Exception):
    pass


def _columns(rows: list[tuple], width: int, ids: list[int]) -> list[list]:
    """Rows as the columns unnest() takes; the last is an entry's index, given as its id."""
    columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in range(width)]
    columns[-1] = [ids[i] for i in columns[-1]]
    return columns


def seed_run(args, seed: int, bench_shops: list[int], result) -> None:
    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from fraud.models import Case
    from fraud.nightly import step_fraud
    from fraud.rules import Thresholds
    from fraud.selectors import window_of
    from fraud.synthetic import world_build

    start, _end = window_of(args.date, Thresholds())
    world = world_build(
        seed=seed,
        citizens=args.citizens,
        shops=args.shops,
        rings=args.rings,
        days=args.days,
        start=start,
        ordinary=False,
    )
    with schema_context(SCHEMA):
        try:
            with transaction.atomic():
                t0 = time.monotonic()
                user_map, shop_map = planted_write(
                    world, args=args, seed=seed, bench_shops=bench_shops
                )
                written = time.monotonic() - t0
                t0 = time.monotonic()
                step = step_fraud(business_date=args.date, progress=None)
                step_seconds = time.monotonic() - t0
                back_user = {pk: wid for wid, pk in user_map.items()}
                back_shop = {pk: wid for wid, pk in shop_map.items() if wid > args.shops}
                cases: set[tuple[str, int]] = set()
                for subject, shop_id, user_id in Case.objects.values_list(
                    "subject", "shop_id", "user_id"
                ):
                    if subject == "shop":
                        cases.add(("shop", back_shop.get(shop_id, -shop_id)))
                    else:
                        cases.add(("citizen", back_user.get(user_id, -user_id)))
                raise _RollBack
        except _RollBack:
            pass
    # Ordinary shops the look-alikes paid at are the city's own: a case on one of them is a
    # case on the ordinary city (its world id, 1..N, names no planted or look-alike subject).
    background = result.add(world, cases, seed)
    result.payments = max(result.payments, step.counts["payments"])
    result.step_seconds.append(step_seconds)
    print(
        f"  seed {seed}: {len(world.facts.payments):,} planted and look-alike payments written"
        f" in {written:.1f} s; step {step_seconds:.1f} s over {step.counts['payments']:,}"
        f" payments: {len(cases)} cases ({background} on the seeded city's own)"
        f" [{timezone.now():%H:%M:%S}]",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--payments", type=int, default=700_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--rings", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="seed the city again")
    parser.add_argument("--in-memory", action="store_true", help="facts only, no database")
    args = parser.parse_args()
    django_setup()
    from fraud.bench import BenchResult, bench_run
    from fraud.synthetic import KINDS

    seeds = range(1, args.seeds + 1)
    if args.in_memory:
        result = bench_run(citizens=args.citizens, shops=args.shops, rings=args.rings, seeds=seeds)
    else:
        print(
            f"fraud bench: {args.citizens:,} citizens, {args.shops:,} shops, {args.payments:,}"
            f" payments over the {args.days} days to {args.date} (bench_seed, schema {SCHEMA})",
            flush=True,
        )
        bench_shops, seeded = city_ready(args)
        print(
            (f"  city seeded in {seeded:.0f} s" if seeded is not None else "  city kept")
            + f"; {len(bench_shops):,} shops",
            flush=True,
        )
        result = BenchResult(per_kind={kind: [0, 0, 0, 0] for kind in KINDS})
        for seed in seeds:
            seed_run(args, seed, bench_shops, result)
    for line in result.lines():
        print(line, flush=True)
    print(
        f"  targets: recall >= {TARGET_RECALL}, precision >= {TARGET_PRECISION},"
        f" step < {TARGET_STEP_S:.0f} s",
        flush=True,
    )
    print(result.summary_line())


if __name__ == "__main__":
    main()
