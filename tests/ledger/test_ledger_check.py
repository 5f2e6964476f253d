import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ledger.models import Entry
from ledger.selectors import ledger_check
from ledger.services import Leg, entry_post
from tests.ledger.factories import SystemAccountFactory, WalletAccountFactory


@pytest.fixture
def book(city):
    world, wallet = SystemAccountFactory(), WalletAccountFactory()
    entry_post(
        kind=Entry.Kind.CHARGE,
        legs=[Leg.of(world, -9_000), Leg.of(wallet, 9_000)],
        idempotency_key="book",
    )
    return world, wallet


def test_a_clean_book_passes(book, capsys):
    call_command("ledger_check", schema="jeonju")
    out = capsys.readouterr().out
    assert "[jeonju] OK" in out
    assert "postings sum 0" in out


def test_a_balance_corrupted_with_raw_sql_is_caught_and_named(book, capsys):
    _, wallet = book
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = 9500 WHERE id = %s", [wallet.pk])
    report = ledger_check()
    assert not report.ok
    assert report.balance_mismatches == [(wallet.pk, "wallet_principal", 9_500, 9_000)]
    with pytest.raises(CommandError) as exc:
        call_command("ledger_check", schema="jeonju")
    assert exc.value.returncode == 1
    out = capsys.readouterr().out
    assert f"account {wallet.pk} (wallet_principal): stored balance 9,500" in out
    assert "MISMATCH" in out


def test_unknown_schema_is_an_error(city):
    with pytest.raises(CommandError):
        call_command("ledger_check", schema="nowhere")
