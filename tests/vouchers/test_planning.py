"""The counter's money functions keep one plan per statement for a connection's life (it saved
~0.2 ms of PostgreSQL a call in each: vouchers/sql/wallet_pay.sql says how it was measured).
A plan kept that long is made once, maybe while the city's tables are nearly empty, so it must
find rows by key, never by reading a whole table (the charge-day collapse of
sales_ticket_issue()). Checked on a new city, whose tables hold a handful of rows: the case in
which the planner would otherwise pick sequential scans."""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.db import connection

from cities import scaleout
from tests.vouchers.conftest import charge, pay

pytestmark = pytest.mark.usefixtures("jeonju_policy")

# The counter's three, and the entry every money path posts through (the settlement's 10,000
# payouts a night among them).
COUNTER_FUNCTIONS = ("wallet_pay", "prepaid_redeem", "payment_code_find", "ledger_post")


def _plans(run) -> list[str]:
    """auto_explain's plans of every statement ``run()`` makes PostgreSQL execute, nested ones
    included, as notices to this client. Not on Citus: there the statements run as distributed
    plans whose scans the coordinator does not see (and auto_explain inside a Citus function
    call failed with "cache lookup failed for type"); the functions plan each call there."""
    if scaleout.citus_active():
        pytest.skip("auto_explain on a Citus coordinator sees no worker's scans")
    connection.ensure_connection()
    raw = connection.connection
    notices, raw.notices = raw.notices, deque()
    try:
        with connection.cursor() as cursor:
            cursor.execute("LOAD 'auto_explain'")
            for setting, value in (
                ("log_min_duration", "0"),
                ("log_nested_statements", "on"),
                ("log_level", "notice"),
            ):
                cursor.execute(f"SET LOCAL auto_explain.{setting} = {value}")
        run()
        return list(raw.notices)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL auto_explain.log_min_duration = -1")
        raw.notices = notices


def _seq_scans(plans: list[str]) -> list[str]:
    return [m for plan in plans for m in re.findall(r"Seq Scan on (\w+)", plan)]


def test_the_counter_functions_are_planned_once_and_never_by_sequential_scan():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc"
            " WHERE pronamespace = current_schema()::regnamespace AND proname = ANY(%s)",
            [list(COUNTER_FUNCTIONS)],
        )
        config = {name: set(settings or ()) for name, settings in cursor.fetchall()}
    assert set(config) == set(COUNTER_FUNCTIONS)
    # On Citus they plan each call (cities.scaleout.city_functions_custom_plans): it cannot
    # plan a statement on a city's table generically.
    generic = not scaleout.citus_active()
    for name, settings in config.items():
        assert "enable_seqscan=off" in settings, name
        assert ("plan_cache_mode=force_generic_plan" in settings) is generic, name


def test_a_payment_in_a_new_city_reads_no_table_whole(citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 1_000)  # the first call of the connection makes the plans
    plans = _plans(lambda: pay(citizen, shop, 2_000))
    assert any("ledger_posting" in plan for plan in plans), "no nested statement was explained"
    assert _seq_scans(plans) == []


def test_a_code_look_up_in_a_new_city_reads_no_table_whole(citizen, shop):
    def find():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM payment_code_find(md5('no such code'), true, %s, NULL, NULL,"
                " now() - interval '10 minutes')",
                [shop.pk],
            )
            assert cursor.fetchone()[3] is None  # no code has this hash

    plans = _plans(find)
    assert any("merchants_paymentcode" in plan for plan in plans)
    assert _seq_scans(plans) == []
