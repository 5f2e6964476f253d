"""The balance rule at a real COMMIT, outside any test transaction."""

import pytest
from django.db import DatabaseError, connection, transaction

from ledger.models import Account, Entry
from tests.ledger.factories import SystemAccountFactory, WalletAccountFactory


def test_unbalanced_raw_sql_entry_is_refused_at_commit(live_city):
    world, wallet = SystemAccountFactory(), WalletAccountFactory()
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_entry (kind, business_date, memo, idempotency_key, fingerprint,"
            " created_at) VALUES ('adjustment', CURRENT_DATE, '', 'commit-test', '', now())"
            " RETURNING id"
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)"
            " VALUES (%s, %s, 100, CURRENT_DATE), (%s, %s, -99, CURRENT_DATE)",
            [entry_id, wallet.pk, entry_id, world.pk],
        )
    # No error yet: the check is deferred to COMMIT, which happens as the block exits.
    assert not Entry.objects.filter(idempotency_key="commit-test").exists()
    assert Account.objects.get(pk=wallet.pk).balance == 0
