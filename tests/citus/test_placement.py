"""Where a city lives on a Citus cluster, and what the public schema holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from cities import scaleout
from ledger.selectors import ledger_check
from ledger.services import Idem
from sales.services import ticket_issue
from tests.accounts.factories import CitizenFactory
from tests.merchants.factories import ShopFactory
from tests.sales.conftest import wallet_rules_set
from tests.sales.factories import make_sale
from tests.vouchers.conftest import charge, jeonju_rules_and_budget
from vouchers.services import wallet_pay

pytestmark = [pytest.mark.citus, pytest.mark.slow]


def _rows(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_a_new_city_lands_whole_on_one_worker(citus, live_city):
    node = scaleout.city_node(live_city.schema_name)
    assert node in citus
    # Every table of the city is a single-shard table of the city's distributed schema, and
    # all its shards are on that one worker: a request touches one node.
    placed = _rows(
        "SELECT s.citus_table_type, count(*), array_agg(DISTINCT s.nodeport)"
        "  FROM citus_shards s JOIN pg_class c ON c.oid = s.table_name"
        " WHERE c.relnamespace = to_regnamespace(%s) GROUP BY 1",
        [live_city.schema_name],
    )
    tables = _rows("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [live_city.schema_name])[
        0
    ][0]
    assert placed == [("schema", tables, [node.port])]


def test_the_tenant_registry_is_on_every_node_and_the_rest_of_public_on_the_coordinator(
    citus, committed_db
):
    connection.set_schema_to_public()
    nodes = len(citus) + 1  # the workers and the coordinator
    reference = _rows(
        "SELECT table_name::text, count(*) FROM citus_shards"
        " WHERE citus_table_type = 'reference' GROUP BY 1 ORDER BY 1"
    )
    assert reference == [("cities_city", nodes), ("cities_domain", nodes)]
    distributed_public = _rows(
        "SELECT logicalrelid::regclass::text FROM pg_dist_partition p"
        "  JOIN pg_class c ON c.oid = p.logicalrelid"
        " WHERE c.relnamespace = 'public'::regnamespace AND p.repmodel <> 't'"
    )
    assert distributed_public == []  # operators, their sessions, the beat schedule: local


def test_a_citys_money_functions_run_on_its_worker_in_one_call(citus, live_city):
    colocated = dict(
        _rows(
            "SELECT p.proname, o.colocationid = s.colocationid FROM pg_dist_object o"
            "  JOIN pg_proc p ON p.oid = o.objid"
            "  JOIN pg_dist_schema s ON s.schemaid = p.pronamespace"
            " WHERE o.classid = 'pg_proc'::regclass AND p.pronamespace = to_regnamespace(%s)",
            [live_city.schema_name],
        )
    )
    for function in ("ledger_post", "wallet_pay", "prepaid_redeem", "settlement_chunk"):
        assert colocated.get(function) is True, colocated
    # Trigger functions stay where their triggers fire (on the shards), not delegated.
    assert "ledger_apply_postings" not in colocated or colocated["ledger_apply_postings"] is None
    # The ticket function uses its sale's sequence, kept on the coordinator: not delegated.
    assert colocated.get("sales_ticket_issue") is not True, colocated

    jeonju_rules_and_budget()
    citizen, shop = CitizenFactory(), ShopFactory()
    charge(citizen, 20_000)
    connection.ensure_connection()
    notices = connection.connection.notices
    with connection.cursor() as cursor:
        cursor.execute("SET client_min_messages TO debug1")
    try:
        del notices[:]
        # Outside a transaction block, as the counter calls it: Citus sends the whole call to
        # the worker.
        body = wallet_pay(
            user=citizen, shop=shop, amount=10_000, method="shop_qr", idem=Idem.of("t", "k", 1)
        ).body
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET client_min_messages")
    assert any("pushing down the function call" in n for n in notices), notices
    # 10% cashback on 10,000 won: 1,000 won; 20,000 - 10,000 = 10,000 won of principal left.
    assert (body["cashback"], body["wallet_balance"]["principal"]) == (1_000, 10_000)
    assert ledger_check().ok


def test_the_registry_id_sequences_are_brought_past_their_rows(citus, committed_db):
    # Converting cities_city to a reference table first makes cities_domain (which references
    # it) a Citus local table, and Citus starts that table's id sequence again at 1. Here the
    # sequence is put back the same way; the next migrate's replication step must repair it.
    from cities.models import City, Domain

    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('public.cities_domain', 'id'), 1)")
    scaleout.public_tables_replicate()
    domain = Domain.objects.create(
        domain="sequence-check.localhost",
        tenant=City.objects.get(schema_name="jeonju"),
        is_primary=False,
    )
    try:
        assert domain.pk > 1
    finally:
        domain.delete()


def test_charge_day_tickets_are_numbered_from_the_sale_sequence_on_the_coordinator(
    citus, live_city
):
    """A sale's sequence exists on the coordinator only; a ticket issued outside a transaction
    block (as the charge-day API issues it) must draw from it there, not on the worker."""
    wallet_rules_set()
    now = timezone.now()
    sale = make_sale(opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=1))
    people = [CitizenFactory() for _ in range(3)]
    numbers = [ticket_issue(sale_id=sale.pk, user=p, amount=10_000)[0].number for p in people]
    again, created = ticket_issue(sale_id=sale.pk, user=people[1], amount=10_000)
    assert numbers == [1, 2, 3]
    assert (again.number, created) == (2, False)  # a retry draws no number: no gap
    assert _rows(f"SELECT last_value FROM {sale.sequence_name}") == [(3,)]
