"""The ledger's interface for SQL outside ledger/, and one recipe for an entry's fingerprint.

- ``ledger_post()`` computes the entry's fingerprint itself (``ledger_fingerprint``: kind, the
  entry reversed, legs in account order); callers no longer pass one, so the five recipes of
  Python and the money functions are one. The old ten-argument function is dropped.
- ``idempotency_claim()`` / ``idempotency_answer()``: the claim of a request's key and its
  stored answer, shared by every money function (and ``ledger.services.idempotent``).
- ``money_split_second()`` / ``money_apply_rate()``: ledger/money.py's rounding rule for SQL.
- ``ledger_wallet_accounts_lock()``, ``ledger_prepaid_accounts_lock()``: the accounts of a
  payment and of a redemption, found and locked in id order.
- ``ledger_budget_draw()``: the budget grant with its fallback to other shards (cashback and
  charging incentive alike).
- ``ledger_accounts_create()``: accounts of a kind for many owners in one statement;
  ``ledger_bulk_stage()``, ``ledger_bulk_load()``: synthetic history and benchmarks only.
- The views ``ledger_accounts``, ``ledger_entries``, ``ledger_postings``: what other apps' SQL
  reads instead of the tables.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation

INTERFACE = [
    "ledger_fingerprint",
    "ledger_post",
    "idempotency_claim",
    "idempotency_answer",
    "money_split_second",
    "money_apply_rate",
    "ledger_wallet_accounts_lock",
    "ledger_prepaid_accounts_lock",
    "ledger_budget_draw",
    "ledger_accounts_create",
    "ledger_bulk",
    "ledger_views",
]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_check_balanced_by_argument")]

    operations = [
        migrations.RunSQL(
            "DROP FUNCTION IF EXISTS ledger_post(text, text, text, date, bigint, bigint, text,"
            " bigint, bigint[], bigint[])",
            migrations.RunSQL.noop,
        ),
        *(sql_file_operation("ledger", name) for name in INTERFACE),
    ]
