"""The balance rule at a real COMMIT, outside any test transaction.

The check is a deferred constraint trigger: it runs when the transaction commits, so these tests
commit for real (``live_city``) rather than ask for the check early with ``SET CONSTRAINTS ALL
IMMEDIATE``, which Citus does not send to the worker holding the city. A refused COMMIT keeps
its reason on a single PostgreSQL; under Citus the worker's error reaches the client as a
warning and the error is "could not commit transaction for shard ...". Either way the reason is
seen by the client, and nothing of the transaction is stored.
"""

from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from ledger.models import Account, Entry
from tests.ledger.factories import SystemAccountFactory, WalletAccountFactory


@contextmanager
def refused_at_commit(reason: str):
    """The block's transaction must fail at COMMIT, with ``reason`` in the error or, under
    Citus, in a warning the worker sent before it."""
    connection.ensure_connection()
    notices = connection.connection.notices  # psycopg2 keeps the server's last notices here
    del notices[:]
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        yield cursor
    told = [str(refused.value), *notices]
    assert any(reason in text for text in told), told


def raw_entry(cursor, key):
    cursor.execute(
        "INSERT INTO ledger_entry (kind, business_date, memo, idempotency_key, fingerprint,"
        " created_at) VALUES ('adjustment', CURRENT_DATE, '', %s, '', now()) RETURNING id",
        [key],
    )
    return cursor.fetchone()[0]


def test_unbalanced_raw_sql_entry_is_refused_at_commit(live_city):
    world, wallet = SystemAccountFactory(), WalletAccountFactory()
    with refused_at_commit("unbalanced") as cursor:
        entry_id = raw_entry(cursor, "commit-test")
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
            " VALUES (%s, %s, 100, CURRENT_DATE), (%s, %s, -99, CURRENT_DATE)",
            [entry_id, wallet.pk, entry_id, world.pk],
        )
        # No error yet: the check is deferred to COMMIT, which happens as the block exits.
    assert not Entry.objects.filter(idempotency_key="commit-test").exists()
    assert Account.objects.get(pk=wallet.pk).balance == 0


def test_a_single_raw_posting_is_refused_at_commit(live_city):
    wallet = WalletAccountFactory()
    with refused_at_commit("unbalanced") as cursor:
        entry_id = raw_entry(cursor, "one-leg")
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
            " VALUES (%s, %s, 500, CURRENT_DATE)",
            [entry_id, wallet.pk],
        )
    assert not Entry.objects.filter(idempotency_key="one-leg").exists()
    assert Account.objects.get(pk=wallet.pk).balance == 0


def test_an_entry_without_postings_is_refused_at_commit(live_city):
    with refused_at_commit("unbalanced") as cursor:
        raw_entry(cursor, "raw-empty")
    assert not Entry.objects.filter(idempotency_key="raw-empty").exists()


def test_balanced_raw_sql_written_in_several_statements_is_committed(live_city):
    world, wallet = SystemAccountFactory(), WalletAccountFactory()
    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = raw_entry(cursor, "raw-balanced")
        for account, amount in ((world, -200), (wallet, 200)):
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
                " VALUES (%s, %s, %s, CURRENT_DATE)",
                [entry_id, account.pk, amount],
            )
    # The trigger kept the stored balances equal to the postings.
    assert Account.objects.get(pk=wallet.pk).balance == 200
    assert Account.objects.get(pk=world.pk).balance == -200


def test_a_posting_added_after_its_entry_was_checked_is_checked_again(live_city):
    """The check sums an entry once per transaction and skips the postings that sum covered;
    a posting added afterwards (a higher id) is not covered and is checked at COMMIT."""
    world, wallet = SystemAccountFactory(), WalletAccountFactory()
    with refused_at_commit("unbalanced") as cursor:
        entry_id = raw_entry(cursor, "checked-then-changed")
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
            " VALUES (%s, %s, 100, CURRENT_DATE), (%s, %s, -100, CURRENT_DATE)",
            [entry_id, wallet.pk, entry_id, world.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked now: balanced
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
            " VALUES (%s, %s, 1, CURRENT_DATE)",
            [entry_id, wallet.pk],
        )
    assert not Entry.objects.filter(idempotency_key="checked-then-changed").exists()
