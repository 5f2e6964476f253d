"""Add a worker to the Citus cluster and rebalance the cities onto it, then drain it again,
checking that no won moved (docs/scale-out.md, "Add a worker").

Runs against the cluster of `make citus-up` (scripts/citus.sh; coordinator on CITUS_PORT,
default 9700) in a database `citus_rebalance` made fresh on every node:

 1. the platform and CITIES cities, each with citizens, shops and a day of payments
    (bench_seed), land on the two workers;
 2. every city's balances are fingerprinted and its ledger checked;
 3. worker 3 (port CITUS_PORT + 3) is started and added, and Citus's rebalancer moves whole
    cities to it (``citus_rebalance_start``, online moves) until the workers hold about as
    many each;
 4. every city is checked again (same balances, ledger_check clean) and takes a new payment;
 5. worker 3 is drained (its cities moved back) and removed, and every city checked again.

    python bench/citus_rebalance.py [--cities 4]

Prints where each city was at each step and how long each step took; exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from _setup import ROOT

CITUS_PORT = int(os.environ.get("CITUS_PORT", "9700"))
DATABASE = "citus_rebalance"
NEW_WORKER = 3


def citus(*args: str) -> None:
    subprocess.run([str(ROOT / "scripts/citus.sh"), *args], check=True)


def setup() -> None:
    citus("up")
    citus("createdb", DATABASE)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{CITUS_PORT}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jeonju_prepay.settings.local")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("setup_platform", verbosity=0)


def seed(schemas: list[str]) -> None:
    from django.core.management import call_command

    for schema in schemas:
        call_command(
            "bench_seed",
            schema=schema,
            citizens=50,
            shops=5,
            payments=300,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )


def placements(schemas: list[str]) -> dict[str, str]:
    from django.db import connection

    from cities.scaleout import city_node

    connection.set_schema_to_public()
    return {schema: str(city_node(schema)) for schema in schemas}


def fingerprint(schemas: list[str]) -> dict[str, tuple]:
    """Per city: every account's balance, and whether its ledger checks out."""
    from django_tenants.utils import schema_context

    from jeonju_prepay.db import snapshot
    from ledger.models import Account
    from ledger.selectors import ledger_check

    prints = {}
    for schema in schemas:
        with schema_context(schema), snapshot():
            balances = tuple(Account.objects.order_by("id").values_list("id", "balance"))
            prints[schema] = (balances, ledger_check().ok)
    return prints


def pay_once(schemas: list[str], tag: str) -> None:
    """A wallet payment in each city, through the service (a city that moved still pays)."""
    from django_tenants.utils import schema_context

    from accounts.models import User
    from ledger.services import Idem
    from merchants.models import Shop
    from vouchers.services import wallet_pay

    for schema in schemas:
        with schema_context(schema):
            user = User.objects.filter(email__startswith="bench-c-").order_by("id").first()
            shop = Shop.objects.filter(status="approved").order_by("id").first()
            wallet_pay(
                user=user,
                shop=shop,
                amount=1_000,
                method="shop_qr",
                idem=Idem.of(f"user:{user.pk}", f"rebalance-{tag}", 1_000),
            )


def show(title: str, where: dict[str, str], seconds: float | None = None) -> None:
    took = f" ({seconds:.1f} s)" if seconds is not None else ""
    print(f"  {title}{took}:")
    for node in sorted(set(where.values())):
        cities = sorted(s for s, n in where.items() if n == node)
        print(f"    {node}: {', '.join(cities)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cities", type=int, default=4)
    args = parser.parse_args()
    problems: list[str] = []
    started = time.monotonic()
    setup()
    from django.db import connection

    schemas = [f"bench_rebalance_{n}" for n in range(1, args.cities + 1)]
    seed(schemas)
    print(f"citus rebalance: {args.cities} cities seeded in {time.monotonic() - started:.0f} s")
    before = placements(schemas)
    show("placed", before)
    prints = fingerprint(schemas)
    if not all(ok for _b, ok in prints.values()):
        problems.append("a ledger does not check out before the rebalance")

    t0 = time.monotonic()
    connection.close()
    citus("add-worker", str(NEW_WORKER), DATABASE)
    new_node = f"127.0.0.1:{CITUS_PORT + NEW_WORKER}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT citus_rebalance_start(shard_transfer_mode := 'auto')")
        cursor.execute("SELECT citus_rebalance_wait()")
    after = placements(schemas)
    show(f"after adding {new_node} and rebalancing", after, time.monotonic() - t0)
    if new_node not in after.values():
        problems.append(f"the rebalancer moved no city to {new_node}")
    if fingerprint(schemas) != prints:
        problems.append("balances changed, or a ledger fails, after the rebalance")
    pay_once(schemas, "after-rebalance")
    prints = fingerprint(schemas)
    if not all(ok for _b, ok in prints.values()):
        problems.append("a ledger does not check out after paying on the new placement")

    t0 = time.monotonic()
    connection.close()
    citus("remove-worker", str(NEW_WORKER), DATABASE)
    drained = placements(schemas)
    show(f"after draining and removing {new_node}", drained, time.monotonic() - t0)
    if new_node in drained.values():
        problems.append(f"a city is still on {new_node} after the drain")
    if fingerprint(schemas) != prints:
        problems.append("balances changed, or a ledger fails, after the drain")
    pay_once(schemas, "after-drain")

    print(f"  problems: {len(problems)}")
    for problem in problems:
        print(f"    {problem}")
    print(f"  done in {time.monotonic() - started:.0f} s")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
