"""`make restore-drill`: back up, write payments, lose the database, restore it to a chosen moment
with pgBackRest, and prove that nothing acknowledged before that moment was lost.

It needs no Docker and touches nothing else: it starts a PostgreSQL of its own (``initdb`` and
``pg_ctl`` from ``PG_BIN``, data under ``.data/restore-drill``, port ``DRILL_PG_PORT``, 55100),
archives its WAL with pgBackRest into a repository next to it, and drives the app's own code
(migrations, services) against it. As root, PostgreSQL and pgBackRest run as the ``postgres``
user.

1. initdb with WAL archiving to pgBackRest; stanza-create and check.
2. The app's migrations (setup_platform), two cities with a wallet policy, an incentive budget,
   shops and citizens.
3. A full backup. Payments (charges through the sandbox provider, wallet payments) in both
   cities. An incremental backup. More payments. Every acknowledged one is recorded.
4. The restore point T: the database's clock after the last acknowledged payment. The balances of
   every account of every city at T are kept. Then more payments (after T: they must be gone
   after the restore), and their WAL is archived.
5. PostgreSQL is killed and its data directory deleted.
6. ``pgbackrest restore --type=time --target=T``, start, replay to T, promote.
7. Proof: ``ledger_check`` is clean in every city; every account's balance equals its balance at
   T; every payment and charge acknowledged before T is there with its ledger entry; none made
   after T is; a new payment works.

Prints the time of each phase; exits 0 only when everything holds (1 when a check fails, 2 when
the drill could not run).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STANZA = "drill"
DATABASE = "prepay_drill"
CITIES = [("drill_a", "복원시", "drill-a.localhost"), ("drill_b", "훈련군", "drill-b.localhost")]


class DrillFailed(Exception):
    """A check of the restored database did not hold."""


class DrillError(Exception):
    """The drill could not run (a tool missing, PostgreSQL would not start ...)."""


# --- Timings ---------------------------------------------------------------------------------


@dataclass
class Timings:
    rows: list[tuple[str, float, str]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str, note: str = ""):
        started = time.perf_counter()
        print(f"-- {name} ...", flush=True)
        holder = {"note": note}
        yield holder
        seconds = time.perf_counter() - started
        self.rows.append((name, seconds, holder["note"]))
        print(f"   {name}: {seconds:.1f} s {holder['note']}".rstrip(), flush=True)

    def report(self, total: float) -> str:
        width = max(len(name) for name, _s, _n in self.rows)
        lines = ["", "Restore drill timings"]
        lines += [f"  {name:<{width}}  {s:7.1f} s  {n}".rstrip() for name, s, n in self.rows]
        lines.append(f"  {'total':<{width}}  {total:7.1f} s")
        return "\n".join(lines)


# --- PostgreSQL and pgBackRest of the drill ---------------------------------------------------


class Cluster:
    def __init__(self, base: Path, port: int, pg_bin: Path):
        self.base = base
        self.port = port
        self.pg_bin = pg_bin
        self.pgdata = base / "pgdata"
        self.socket_dir = base / "run"
        self.repo = base / "repo"
        self.config = base / "pgbackrest.conf"
        self.log = base / "postgresql.log"
        self.as_root = os.geteuid() == 0

    def sh(self, *args: str, check: bool = True, env: dict | None = None) -> str:
        """Run a PostgreSQL or pgBackRest command (as ``postgres`` when we are root)."""
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            cwd="/",
            check=False,
        )
        if check and result.returncode != 0:
            raise DrillError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def pgbackrest(self, *args: str) -> str:
        return self.sh("pgbackrest", f"--config={self.config}", f"--stanza={STANZA}", *args)

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def prepare(self) -> None:
        if self.base.exists():
            self.stop(mode="immediate", quiet=True)
            shutil.rmtree(self.base)
        for path in (self.base, self.socket_dir, self.repo, self.base / "log", self.base / "lock"):
            path.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            "[global]\n"
            f"repo1-path={self.repo}\n"
            "repo1-retention-full=2\n"
            f"log-path={self.base / 'log'}\n"
            f"lock-path={self.base / 'lock'}\n"
            "log-level-console=warn\n"
            "log-level-file=info\n"
            "start-fast=y\n"
            "compress-type=zst\n"
            "process-max=2\n"
            f"\n[{STANZA}]\n"
            f"pg1-path={self.pgdata}\n"
            f"pg1-port={self.port}\n"
            f"pg1-socket-path={self.socket_dir}\n"
            "pg1-user=postgres\n"
        )
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
            for path in self.base.rglob("*"):
                shutil.chown(path, "postgres", "postgres")

    def initdb(self) -> None:
        self.sh(
            str(self.pg_bin / "initdb"),
            "-D",
            str(self.pgdata),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        archive = f"pgbackrest --config={self.config} --stanza={STANZA} archive-push %p"
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# restore drill\n"
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "wal_level = replica\n"
                "archive_mode = on\n"
                f"archive_command = '{archive}'\n"
                "max_connections = 40\n"
                "shared_buffers = 64MB\n"
            )

    def start(self) -> None:
        self.sh(
            str(self.pg_bin / "pg_ctl"),
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "300",
            "start",
        )

    def stop(self, *, mode: str = "fast", quiet: bool = False) -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        self.sh(
            str(self.pg_bin / "pg_ctl"),
            "-D",
            str(self.pgdata),
            "-m",
            mode,
            "-w",
            "stop",
            check=not quiet,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self.sh(
            str(self.pg_bin / "psql"),
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-AtX",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ).strip()

    def destroy(self) -> None:
        """The disk is lost: PostgreSQL dies without a checkpoint and its data is deleted."""
        self.stop(mode="immediate")
        shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(mode=0o700)
        if self.as_root:
            shutil.chown(self.pgdata, "postgres", "postgres")

    def restore_to(self, target: str) -> None:
        self.pgbackrest("--type=time", f"--target={target}", "--target-action=promote", "restore")

    def wait_promoted(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.psql("SELECT pg_is_in_recovery()") != "f":
            if time.monotonic() > deadline:
                raise DrillError("the restored PostgreSQL did not finish recovery in time")
            time.sleep(0.2)


# --- The app's side --------------------------------------------------------------------------


@dataclass
class Acknowledged:
    """What the app acknowledged, per city: payment id → amount, charge order → amount."""

    payments: dict[str, dict[int, int]] = field(default_factory=dict)
    charges: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(p) for p in self.payments.values()) + sum(
            len(c) for c in self.charges.values()
        )


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "jeonju_prepay.settings.local"
    os.environ["DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)  # tasks run in the process; no broker needed
    import django

    django.setup()


def build_cities(citizens: int, shops: int) -> dict[str, dict]:
    """Migrate, then two cities with a policy, a budget, approved shops and citizens."""
    import datetime as dt

    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from accounts.roles import Role
    from accounts.services import user_create
    from cities.services import city_create
    from merchants import brn
    from merchants.services import ShopDetails, shop_register, shop_review
    from vouchers.services import budget_fund, policy_set

    call_command("setup_platform", processes=2, verbosity=0)
    world = {}
    for n, (schema, name, domain) in enumerate(CITIES):
        city_create(schema_name=schema, name=name, domain=domain)
        with schema_context(schema):
            staff = user_create(
                email="staff@drill.kr", password=None, roles=(Role.CITY_STAFF,), name="담당자"
            )
            policy_set(
                by=staff,
                effective_from=dt.date(2020, 1, 1),
                cashback_bp=1000,
                charge_incentive_bp=500,
                monthly_charge_limit=1_000_000,
                monthly_cashback_cap=50_000,
            )
            budget_fund(
                by=staff,
                name="drill budget",
                starts_on=dt.date(2020, 1, 1),
                ends_on=dt.date(2040, 12, 31),
                amount=50_000_000,
                idempotency_key="drill",
            )
            shop_list = []
            for s in range(shops):
                owner = user_create(
                    email=f"owner{s}@drill.kr",
                    password=None,
                    roles=(Role.CITIZEN, Role.MERCHANT_OWNER),
                )
                shop = shop_register(
                    owner=owner,
                    details=ShopDetails(
                        name=f"훈련 가게 {s}",
                        business_number=brn.with_check_digit(f"7{n:02d}81{s + 1:04d}"),
                        category="restaurant",
                        district="풍남동",
                        address="전주시 완산구 태조로 1",
                        phone="063-123-4567",
                        sales_bracket="under_300m",
                        bank_name="전북은행",
                        bank_account="1013000012345",
                        bank_holder="홍길동",
                    ),
                )
                shop_list.append(shop_review(shop=shop, by=staff, action="approve"))
            people = [
                user_create(email=f"citizen{c}@drill.kr", password=None) for c in range(citizens)
            ]
        world[schema] = {"shops": shop_list, "citizens": people}
    return world


def make_payments(world: dict, ack: Acknowledged, *, phase: str, rounds: int) -> int:
    """Each citizen charges once through the sandbox provider and pays shops ``rounds`` times;
    every acknowledged payment and charge is recorded. Returns how many were acknowledged."""
    from django_tenants.utils import schema_context

    from ledger.services import Idem
    from vouchers.sandbox_views import sandbox_approve
    from vouchers.services import charge_create, wallet_pay

    done = 0
    for schema, things in world.items():
        with schema_context(schema):
            for i, citizen in enumerate(things["citizens"]):
                amount = 10_000 * (1 + (i + len(phase)) % 5)
                charge, _url = charge_create(user=citizen, amount=amount)
                outcome = sandbox_approve(charge.order_id)
                if outcome["status"] != "credited":
                    raise DrillError(f"a charge was not credited: {outcome}")
                ack.charges.setdefault(schema, {})[charge.order_id] = amount
                done += 1
                for r in range(rounds):
                    shop = things["shops"][(i + r) % len(things["shops"])]
                    pay = 1_000 + 137 * ((i * 7 + r * 3) % 23)
                    key = f"{phase}-{i}-{r}"
                    result = wallet_pay(
                        user=citizen,
                        shop=shop,
                        amount=pay,
                        method="shop_qr",
                        idem=Idem.of(f"user:{citizen.pk}", key, "drill", shop.pk, pay),
                    )
                    ack.payments.setdefault(schema, {})[result.body["payment_id"]] = pay
                    done += 1
    return done


def balances_now() -> dict[str, dict[int, tuple[str, int]]]:
    """Every account of every drill city: id → (kind, stored balance)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    found = {}
    for schema, _name, _domain in CITIES:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("SELECT id, kind, balance FROM ledger_accounts ORDER BY id")
            found[schema] = {row[0]: (row[1], int(row[2])) for row in cursor.fetchall()}
    return found


def database_clock(*, earlier: float = 0.0) -> str:
    """The database's clock now (less ``earlier`` seconds), as recovery_target_time reads it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_char(clock_timestamp() - make_interval(secs => %s),"
            " 'YYYY-MM-DD HH24:MI:SS.USOF')",
            [earlier],
        )
        return cursor.fetchone()[0]


def local_time(target: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(target)
    return moment.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d %H:%M:%S.%f")


def verify(*, at_target: dict, kept: Acknowledged, lost: Acknowledged, world: dict) -> list[str]:
    """Every check of the restored database; returns what was proven (raises on a failure)."""
    from django.core.management import CommandError, call_command
    from django_tenants.utils import schema_context

    from ledger.services import Idem
    from vouchers.models import Charge, Payment
    from vouchers.services import wallet_pay

    proven = []
    try:
        call_command("ledger_check")
    except CommandError as exc:
        raise DrillFailed(f"ledger_check failed after the restore: {exc}") from exc
    proven.append("ledger_check is clean in every city")

    restored = balances_now()
    for schema, accounts in at_target.items():
        got = restored[schema]
        missing = sorted(set(accounts) - set(got))
        extra = sorted(set(got) - set(accounts))
        changed = [
            (account, accounts[account], got[account])
            for account in accounts
            if account in got and got[account] != accounts[account]
        ]
        if missing or extra or changed:
            raise DrillFailed(
                f"[{schema}] balances differ from the restore point: missing accounts {missing}, "
                f"new accounts {extra}, changed {changed[:10]}"
            )
        proven.append(f"[{schema}] all {len(accounts)} account balances equal their balance at T")

    for schema, _name, _domain in CITIES:
        with schema_context(schema):
            payments = dict(
                Payment.objects.filter(pk__in=kept.payments.get(schema, {})).values_list(
                    "pk", "amount"
                )
            )
            if payments != kept.payments.get(schema, {}):
                absent = set(kept.payments.get(schema, {})) - set(payments)
                raise DrillFailed(f"[{schema}] acknowledged payments lost: {sorted(absent)[:20]}")
            charges = dict(
                Charge.objects.filter(
                    order_id__in=kept.charges.get(schema, {}),
                    status=Charge.Status.PAID,
                    entry__isnull=False,
                ).values_list("order_id", "amount")
            )
            if charges != kept.charges.get(schema, {}):
                raise DrillFailed(f"[{schema}] acknowledged charges lost or not paid")
            after = Payment.objects.filter(pk__in=lost.payments.get(schema, {})).count()
            late_charges = Charge.objects.filter(order_id__in=lost.charges.get(schema, {})).count()
            if after or late_charges:
                raise DrillFailed(
                    f"[{schema}] {after} payments and {late_charges} charges made after T are"
                    " present: the restore did not stop at the chosen moment"
                )
            proven.append(
                f"[{schema}] {len(payments)} payments and {len(charges)} charges acknowledged "
                f"before T are back; the {len(lost.payments.get(schema, {}))} payments and "
                f"{len(lost.charges.get(schema, {}))} charges after T are not"
            )
            # The restored city takes money again.
            citizen = world[schema]["citizens"][0]
            shop = world[schema]["shops"][0]
            result = wallet_pay(
                user=citizen,
                shop=shop,
                amount=1_000,
                method="shop_qr",
                idem=Idem.of(f"user:{citizen.pk}", "after-restore", "drill", shop.pk, 1_000),
            )
            if result.status_code != 201 or result.replayed:
                raise DrillFailed(f"[{schema}] a payment after the restore failed: {result}")
    try:
        call_command("ledger_check")
    except CommandError as exc:
        raise DrillFailed(f"ledger_check failed after a new payment: {exc}") from exc
    proven.append("a new payment in each city after the restore; ledger_check clean again")
    return proven


# --- The drill ---------------------------------------------------------------------------------


def pg_bin_default() -> Path:
    configured = os.environ.get("PG_BIN")
    if configured:
        return Path(configured)
    for version in (17, 16, 15):
        path = Path(f"/usr/lib/postgresql/{version}/bin")
        if (path / "initdb").exists():
            return path
    raise DrillError("no PostgreSQL server binaries found; set PG_BIN")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("DRILL_PG_PORT", 55100)))
    parser.add_argument("--citizens", type=int, default=12, help="per city")
    parser.add_argument("--shops", type=int, default=4, help="per city")
    parser.add_argument("--rounds", type=int, default=3, help="payments per citizen per phase")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--target-earlier",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="check the drill itself: restore to this long before T, which loses acknowledged "
        "payments, so the drill must fail",
    )
    args = parser.parse_args()

    if not shutil.which("pgbackrest"):
        print("pgbackrest is not installed (apt install pgbackrest)", file=sys.stderr)
        return 2
    cluster = Cluster(ROOT / ".data" / "restore-drill", args.port, pg_bin_default())
    timings = Timings()
    started = time.perf_counter()
    print(
        f"Restore drill: PostgreSQL {cluster.pg_bin.parent.name} on port {args.port}, "
        f"pgBackRest {subprocess.run(['pgbackrest', 'version'], capture_output=True, text=True).stdout.split()[-1]}, "
        f"data in {cluster.base.relative_to(ROOT)}; load {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} CPUs ({platform.node()})",
        flush=True,
    )
    kept, lost = Acknowledged(), Acknowledged()
    try:
        with timings.phase("initdb and start PostgreSQL"):
            cluster.prepare()
            cluster.initdb()
            cluster.start()
            cluster.psql(f"CREATE DATABASE {DATABASE}")
        with timings.phase("pgBackRest stanza-create and check"):
            cluster.pgbackrest("stanza-create")
            cluster.pgbackrest("check")
        django_setup(cluster.url())
        with timings.phase("migrations (setup_platform) and two cities") as note:
            world = build_cities(args.citizens, args.shops)
            note["note"] = f"({args.citizens} citizens, {args.shops} shops each)"
        with timings.phase("full backup"):
            cluster.pgbackrest("--type=full", "backup")
        with timings.phase("payments, phase 1") as note:
            note["note"] = (
                f"({make_payments(world, kept, phase='one', rounds=args.rounds)} acknowledged)"
            )
        with timings.phase("incremental backup"):
            cluster.pgbackrest("--type=incr", "backup")
        with timings.phase("payments, phase 2") as note:
            note["note"] = (
                f"({make_payments(world, kept, phase='two', rounds=args.rounds)} acknowledged)"
            )
        target = database_clock(earlier=args.target_earlier)
        at_target = balances_now()
        print(
            f"   restore point T = {target} ({local_time(target)} Asia/Seoul); "
            f"{kept.count()} acknowledged before it",
            flush=True,
        )
        time.sleep(1.1)  # everything below commits strictly after T
        with timings.phase("payments after T (must not survive)") as note:
            note["note"] = (
                f"({make_payments(world, lost, phase='three', rounds=args.rounds)} acknowledged)"
            )
            cluster.pgbackrest("check")  # switches WAL and waits until it is archived
        from django.db import connections

        connections.close_all()
        with timings.phase("destroy (kill PostgreSQL, delete its data directory)"):
            cluster.destroy()
        with timings.phase("pgbackrest restore --type=time") as note:
            cluster.restore_to(target)
            note["note"] = f"(target {target})"
        with timings.phase("start, replay WAL to T, promote"):
            cluster.start()
            cluster.wait_promoted()
        with timings.phase("verify") as note:
            proven = verify(at_target=at_target, kept=kept, lost=lost, world=world)
        with timings.phase("backup after the restore (new timeline)"):
            cluster.pgbackrest("--type=full", "backup")
            backups = cluster.pgbackrest("info")
        # docker-compose's backup health check, against this real repository.
        health = cluster.sh(
            "sh",
            str(ROOT / "deploy" / "pgbackrest" / "backup-check.sh"),
            env={"PGBACKREST_CONFIG": str(cluster.config), "PGBACKREST_STANZA": STANZA},
        ).strip()
        proven.append(f"deploy/pgbackrest/backup-check.sh: {health}")
    except DrillFailed as exc:
        print(timings.report(time.perf_counter() - started))
        print(f"\nRESTORE DRILL FAILED: {exc}", file=sys.stderr)
        return 1
    except DrillError as exc:
        print(timings.report(time.perf_counter() - started) if timings.rows else "")
        print(f"\nThe restore drill could not run: {exc}", file=sys.stderr)
        if cluster.log.exists():
            print(cluster.log.read_text()[-3000:], file=sys.stderr)
        return 2
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        cluster.stop(quiet=True)
    print(timings.report(time.perf_counter() - started))
    print("\nProven:")
    for line in proven:
        print(f"  - {line}")
    print("\n" + backups.strip())
    if not args.keep:
        shutil.rmtree(cluster.base, ignore_errors=True)
    print("\nRESTORE DRILL PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
