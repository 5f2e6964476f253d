"""Cities on a Citus cluster: where each city lives, and the operations that place and move it.

With Citus's schema-based sharding (``citus.enable_schema_based_sharding = on`` in the
database) every new city schema becomes a *distributed schema*: all its tables are placed
together, whole, on one worker node, and every statement of a request, a task or a money
function touches that one node. Nothing here is needed on a single PostgreSQL: each function
checks ``citus_active()`` and does nothing without Citus. The operations, and why the ledger's
triggers stay correct through them, are in docs/scale-out.md.

- ``city_functions_custom_plans``: the city's functions that keep one plan per connection on
  a single PostgreSQL plan each call on Citus (it cannot plan their statements generically).
- ``city_functions_delegate``: the city's SQL functions (``wallet_pay()``, ``ledger_post()`` ...)
  are colocated with its tables, so a call made outside a transaction block runs on the
  worker in one round trip (Citus's function delegation). Done after every migrate of a city.
- ``public_tables_replicate``: the tenant registry (cities and their host names) becomes
  Citus reference tables, a copy on every node; the rest of the public schema stays on the
  coordinator.
- ``city_move``: a city moves to another worker while it serves (logical replication, then a
  short switch-over during which its writes wait).
- ``city_distribute``: a city created before Citus (a schema local to the coordinator) becomes a
  distributed schema, with its triggers held off during the copy and every table checked
  unchanged before the transaction commits.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _

from .exceptions import CityError

logger = logging.getLogger(__name__)

# The tenant registry: small, written by operators only, read by every request's routing.
REFERENCE_TABLES = ("cities_city", "cities_domain")

# A city's functions that must run on the coordinator, never delegated: they use an object
# Citus keeps there only. ``sales_ticket_issue()`` draws a ticket's number from its sale's own
# sequence (``CREATE SEQUENCE`` in a distributed schema makes it on the coordinator alone, and
# the worker answered 'relation "sales_sale_1_ticket_seq" does not exist'); called on the
# coordinator, nextval() runs there and the INSERT is routed to the worker.
COORDINATOR_FUNCTIONS = ("sales_ticket_issue",)


@dataclass(frozen=True)
class Node:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> Node:
        host, _sep, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise CityError(_("A node is host:port, e.g. 10.0.0.12:5432."))
        return cls(host, int(port))


def citus_active() -> bool:
    """Whether the database has the Citus extension (and so a cluster behind it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        return bool(cursor.fetchone()[0])


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def city_node(schema_name: str) -> Node | None:
    """The node holding the city's tables, or None when the schema is not distributed (a
    single PostgreSQL, or a city created before Citus: local to the coordinator)."""
    if not citus_active():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nodename, n.nodeport FROM pg_dist_schema s"
            "  JOIN pg_dist_partition p ON p.colocationid = s.colocationid"
            "  JOIN pg_dist_shard sh ON sh.logicalrelid = p.logicalrelid"
            "  JOIN pg_dist_placement pl ON pl.shardid = sh.shardid"
            "  JOIN pg_dist_node n ON n.groupid = pl.groupid"
            " WHERE s.schemaid = to_regnamespace(%s) LIMIT 1",
            [schema_name],
        )
        row = cursor.fetchone()
    return Node(row[0], int(row[1])) if row else None


def cities_by_node() -> dict[str, Node | None]:
    """Every city schema and its node (None: local to the coordinator)."""
    from .models import City

    schemas = list(City.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    return {schema: city_node(schema) for schema in schemas}


def workers() -> list[Node]:
    """The active nodes that may hold cities (the coordinator does not)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nodename, nodeport FROM pg_dist_node"
            " WHERE isactive AND shouldhaveshards AND noderole = 'primary'"
            " ORDER BY nodename, nodeport"
        )
        return [Node(host, int(port)) for host, port in cursor.fetchall()]


def city_functions_delegate(schema_name: str) -> list[str]:
    """Colocate the city's SQL functions (all but trigger functions and
    ``COORDINATOR_FUNCTIONS``) with its tables, so that
    Citus runs a call made outside a transaction block on the city's worker, in one round
    trip. Returns the functions newly colocated; does nothing for a schema that is not
    distributed. Safe to run again (after every migrate of the city)."""
    if city_node(schema_name) is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " WHERE p.pronamespace = to_regnamespace(%s) AND p.prokind = 'f'"
            "   AND p.prorettype <> 'trigger'::regtype AND p.proname <> ALL(%s)"
            "   AND NOT EXISTS (SELECT 1 FROM pg_dist_object o"
            "                    WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid"
            "                      AND o.colocationid IS NOT NULL)"
            " ORDER BY 1",
            [schema_name, list(COORDINATOR_FUNCTIONS)],
        )
        functions = [row[0] for row in cursor.fetchall()]
        if not functions:
            return []
        # Any table of the city names its colocation group (they all share one).
        cursor.execute(
            "SELECT p.logicalrelid::regclass::text FROM pg_dist_schema s"
            "  JOIN pg_dist_partition p ON p.colocationid = s.colocationid"
            " WHERE s.schemaid = to_regnamespace(%s) ORDER BY 1 LIMIT 1",
            [schema_name],
        )
        table = cursor.fetchone()[0]
        for function in functions:
            cursor.execute(
                "SELECT create_distributed_function(%s, colocate_with := %s)", [function, table]
            )
    logger.info("[%s] %s functions run on the city's worker", schema_name, len(functions))
    return functions


def city_functions_custom_plans(schema_name: str) -> list[str]:
    """On a Citus cluster, the city's functions plan their statements for each call again:
    those that say ``plan_cache_mode = force_generic_plan`` (the counter's, docs/architecture.md)
    lose it. A generic plan keeps the function's variables as parameters, and Citus cannot
    plan a statement on a city's table that holds them (``ledger_post()``'s INSERT ... SELECT:
    "could not create distributed plan ... parameters"); a custom plan has them as values.
    Returns the functions changed; does nothing without Citus. Safe to run again (after every
    migrate of the city, before its functions are delegated)."""
    if not citus_active():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " WHERE p.pronamespace = to_regnamespace(%s)"
            "   AND 'plan_cache_mode=force_generic_plan' = ANY(p.proconfig) ORDER BY 1",
            [schema_name],
        )
        functions = [row[0] for row in cursor.fetchall()]
        for function in functions:
            cursor.execute(f"ALTER FUNCTION {function} RESET plan_cache_mode")
    if functions:
        logger.info("[%s] %s functions plan each call on Citus", schema_name, len(functions))
    return functions


def public_tables_replicate() -> list[str]:
    """Make the tenant registry (``REFERENCE_TABLES``) Citus reference tables: a copy on every
    node, written on all of them in one distributed transaction (so a city or a host name can
    only be added while every node is up), read from the coordinator's own copy. Returns the
    tables converted now. The rest of the public schema stays local to the coordinator."""
    if not citus_active():
        return []
    converted = []
    with connection.cursor() as cursor:
        for table in REFERENCE_TABLES:
            cursor.execute(
                "SELECT COALESCE((SELECT partmethod = 'n' AND repmodel = 't'"
                " FROM pg_dist_partition WHERE logicalrelid = %s::regclass), false)",
                [f"public.{table}"],
            )
            if cursor.fetchone()[0]:
                continue
            cursor.execute("SELECT create_reference_table(%s)", [f"public.{table}"])
            converted.append(table)
        # A table that references one being converted (domains -> cities) is first made a
        # Citus local table, and that conversion starts its id sequence again at 1: the next
        # insert would collide with the rows it already has. Bring every sequence past its ids.
        for table in REFERENCE_TABLES:
            cursor.execute(
                "SELECT setval(s.seq, s.top) FROM (SELECT pg_get_serial_sequence(%s, 'id') AS seq,"  # noqa: S608 - a name of REFERENCE_TABLES
                f" (SELECT max(id) FROM public.{_quote(table)}) AS top) s"
                " WHERE s.top > COALESCE(pg_sequence_last_value(s.seq), 0)",
                [f"public.{table}"],
            )
    return converted


def city_move(*, schema_name: str, to: Node, mode: str = "auto") -> None:
    """Move the city's tables, together, to the worker ``to``.

    ``mode`` is Citus's shard transfer mode: ``auto`` (the default) and ``force_logical`` copy
    the tables while the city keeps serving, catch up by logical replication, then switch over
    in a pause of about a second during which the city's writes wait (they are not refused);
    ``block_writes`` holds the city's writes for the whole copy. Raises ``CityError`` when the
    city is not distributed or ``to`` is not an active worker. The data copy creates each
    table without its triggers, loads it, then adds indexes and triggers, and replicated
    changes are applied without firing triggers: a move changes no balance.
    """
    if mode not in ("auto", "force_logical", "block_writes"):
        raise CityError(_("Unknown transfer mode."))
    current = city_node(schema_name)
    if current is None:
        raise CityError(
            _("The city %(schema)s is not on a worker; distribute it first.")
            % {"schema": schema_name}
        )
    if to not in workers():
        raise CityError(_("%(node)s is not an active worker.") % {"node": to})
    if to == current:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT citus_schema_move(%s::regnamespace, %s, %s,"
            " shard_transfer_mode := %s::citus.shard_transfer_mode)",
            [schema_name, to.host, to.port, mode],
        )
    logger.info("[%s] moved from %s to %s", schema_name, current, to)


def _tables_with_triggers(cursor, schema_name: str) -> list[str]:
    cursor.execute(
        "SELECT format('%%I.%%I', %s, c.relname) FROM pg_class c"
        " WHERE c.relnamespace = to_regnamespace(%s) AND c.relkind = 'r'"
        "   AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)"
        " ORDER BY 1",
        [schema_name, schema_name],
    )
    return [row[0] for row in cursor.fetchall()]


def _tables_fingerprint(cursor, schema_name: str) -> dict[str, tuple[int, int]]:
    """Per table of the schema: its row count and the sum of a 64-bit hash of each row's text.
    Equal before and after a copy means no row was lost, added or changed (balances too). The
    text of a row depends on settings (time zone, date style): they are fixed for this
    transaction on every node that computes it."""
    cursor.execute("SET LOCAL citus.propagate_set_commands TO 'local'")
    for setting, value in (
        ("TimeZone", "UTC"),
        ("DateStyle", "ISO, YMD"),
        ("IntervalStyle", "postgres"),
        ("extra_float_digits", "1"),
    ):
        cursor.execute(f"SET LOCAL {setting} TO '{value}'")
    cursor.execute(
        "SELECT c.relname FROM pg_class c"
        " WHERE c.relnamespace = to_regnamespace(%s) AND c.relkind = 'r' ORDER BY 1",
        [schema_name],
    )
    tables = [row[0] for row in cursor.fetchall()]
    prints = {}
    for table in tables:
        name = f"{_quote(schema_name)}.{_quote(table)}"
        cursor.execute(
            "SELECT count(*), COALESCE(sum(hashtextextended(t::text, 0)::numeric), 0)"  # noqa: S608
            f" FROM {name} t"
        )
        count, total = cursor.fetchone()
        prints[table] = (int(count), int(total))
    return prints


@dataclass(frozen=True)
class DistributeReport:
    schema_name: str
    node: Node
    tables: int
    rows: int
    functions: int


def city_distribute(*, schema_name: str, attempts: int = 10) -> DistributeReport:
    """Make a city created before Citus (a schema local to the coordinator) a distributed
    schema on a worker, in one transaction that cannot change its data.

    ``citus_schema_distribute`` creates each table's shard with its triggers and then copies
    the rows in: the ledger's statement trigger would add every posting to its account's
    balance a second time, and the deferred balance checks would queue up and stop the
    conversion ("pending trigger events"). So, in one transaction:

    1. every table of the city is locked (``ACCESS EXCLUSIVE``, all of them before anything
       else, so that no request of the city holds one lock while it waits for another): from
       here to the commit the city's requests wait, they are not refused;
    2. its user triggers are disabled and every table's rows fingerprinted;
    3. the schema is distributed (the shards copy the disabled state, so the copy fires
       nothing), the local copies are emptied, the triggers enabled again (on the shards too);
    4. every table is fingerprinted again on its worker: any difference raises ``CityError``
       and rolls the whole operation back.

    Taking the locks may meet a request in a deadlock or wait too long: the attempt is then
    rolled back and made again (``attempts`` times). Then the city's functions are colocated
    with it. Raises ``CityError`` without Citus, for an unknown schema, or for a city that is
    on a worker already.
    """
    if not citus_active():
        raise CityError(_("This database has no Citus cluster."))
    if city_node(schema_name) is not None:
        raise CityError(_("The city %(schema)s is on a worker already.") % {"schema": schema_name})
    for attempt in range(1, attempts + 1):
        try:
            before = _distribute_once(schema_name)
            break
        except OperationalError as exc:
            code = getattr(exc.__cause__, "pgcode", None)
            if code not in LOCK_RETRY_PGCODES or attempt == attempts:
                raise
            logger.info("[%s] distribute: %s, trying again (%s)", schema_name, code, attempt)
            time.sleep(0.2 * attempt)
    node = city_node(schema_name)
    city_functions_custom_plans(schema_name)
    functions = city_functions_delegate(schema_name)
    logger.info("[%s] distributed to %s", schema_name, node)
    return DistributeReport(
        schema_name=schema_name,
        node=node,
        tables=len(before),
        rows=sum(count for count, _total in before.values()),
        functions=len(functions),
    )


# deadlock_detected, lock_not_available (lock_timeout)
LOCK_RETRY_PGCODES = {"40P01", "55P03"}


def _distribute_once(schema_name: str) -> dict[str, tuple[int, int]]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('%%I.%%I', %s, c.relname) FROM pg_class c"
            " WHERE c.relnamespace = to_regnamespace(%s) AND c.relkind = 'r' ORDER BY 1",
            [schema_name, schema_name],
        )
        tables = [row[0] for row in cursor.fetchall()]
        if not tables:
            raise CityError(_("No schema %(schema)s.") % {"schema": schema_name})
        cursor.execute("SET LOCAL lock_timeout TO '10s'")
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SET LOCAL lock_timeout TO 0")
        triggered = _tables_with_triggers(cursor, schema_name)
        for table in triggered:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        before = _tables_fingerprint(cursor, schema_name)
        cursor.execute("SELECT citus_schema_distribute(%s::regnamespace)", [schema_name])
        for table in tables:
            cursor.execute("SELECT truncate_local_data_after_distributing_table(%s)", [table])
        for table in triggered:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        after = _tables_fingerprint(cursor, schema_name)
        changed = sorted(t for t in before if before[t] != after.get(t))
        if changed:
            raise CityError(
                _("Distributing %(schema)s would change %(tables)s; nothing was done.")
                % {"schema": schema_name, "tables": ", ".join(changed)}
            )
    return before
