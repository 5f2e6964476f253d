"""What PostgreSQL refuses on its own, whatever code (or person with psql) writes.

The balance rule, checked at COMMIT, is tested with real commits in ``test_commit_time.py``.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from ledger.models import Account, Entry
from ledger.services import Leg, entry_post
from tests.ledger.factories import SystemAccountFactory, WalletAccountFactory


@pytest.fixture
def posted(city):
    world, wallet = SystemAccountFactory(), WalletAccountFactory()
    entry = entry_post(
        kind=Entry.Kind.CHARGE,
        legs=[Leg.of(world, -3_000), Leg.of(wallet, 3_000)],
        idempotency_key="posted",
    )
    # Run the deferred checks now, so that later statements meet no pending trigger events.
    raw("SET CONSTRAINTS ALL IMMEDIATE")
    raw("SET CONSTRAINTS ALL DEFERRED")
    return entry, world, wallet


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def raw_entry(key):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_entry (kind, business_date, memo, idempotency_key, fingerprint,"
            " created_at) VALUES ('adjustment', CURRENT_DATE, '', %s, '', now()) RETURNING id",
            [key],
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_posting SET amount = amount + 1",
        "DELETE FROM ledger_posting",
        "TRUNCATE ledger_posting CASCADE",
        "UPDATE ledger_entry SET memo = 'changed'",
        "DELETE FROM ledger_entry",
        "TRUNCATE ledger_entry CASCADE",
    ],
)
def test_postings_and_entries_cannot_be_changed_or_deleted(posted, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql)


def test_the_database_refuses_a_negative_balance_on_a_protected_account(posted):
    _, _, wallet = posted
    with pytest.raises(DatabaseError, match="ledger_account_no_overdraft"), transaction.atomic():
        raw("UPDATE ledger_account SET balance = -1 WHERE id = %s", [wallet.pk])


def test_raw_postings_that_overdraw_are_refused(posted):
    _, world, wallet = posted
    with pytest.raises(DatabaseError, match="ledger_account_no_overdraft"), transaction.atomic():
        entry_id = raw_entry("raw-overdraw")
        raw(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
            " VALUES (%s, %s, -5000, CURRENT_DATE), (%s, %s, 5000, CURRENT_DATE)",
            [entry_id, wallet.pk, entry_id, world.pk],
        )


def test_idempotency_keys_are_unique_in_the_database(posted):
    with pytest.raises(DatabaseError, match="duplicate key"), transaction.atomic():
        raw_entry("posted")


def test_a_zero_posting_is_refused(posted):
    _, world, _ = posted
    with pytest.raises(DatabaseError, match="ledger_posting_nonzero"), transaction.atomic():
        entry_id = raw_entry("raw-zero")
        raw(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
            " VALUES (%s, %s, 0, CURRENT_DATE)",
            [entry_id, world.pk],
        )


def test_an_account_with_the_wrong_owner_shape_is_refused(city):
    with pytest.raises(DatabaseError, match="ledger_account_owner_shape"), transaction.atomic():
        Account.objects.create(kind=Account.Kind.WALLET_PRINCIPAL)
