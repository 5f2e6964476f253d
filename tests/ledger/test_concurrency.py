"""Races of real threads on real PostgreSQL connections, with committed data."""

import pytest

from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.selectors import ledger_check
from ledger.services import Leg, entry_post
from tests.helpers import race
from tests.ledger.factories import SystemAccountFactory, WalletAccountFactory

pytestmark = pytest.mark.slow


def test_32_threads_paying_out_of_one_account_never_overdraw_it(live_city):
    world = SystemAccountFactory()
    source = WalletAccountFactory()
    shops = [WalletAccountFactory() for _ in range(4)]
    entry_post(
        kind=Entry.Kind.CHARGE,
        legs=[Leg.of(world, -100_000), Leg.of(source, 100_000)],
        idempotency_key="fund",
    )

    def pay(i):
        # 32 × 4 payments of 1,000 to 7,000 won = far more than 100,000 won in total.
        done = 0
        for j in range(4):
            amount = 1_000 * (1 + (i + j) % 7)
            try:
                entry_post(
                    kind=Entry.Kind.PAYMENT,
                    legs=[Leg.of(source, -amount), Leg.of(shops[(i + j) % 4], amount)],
                    idempotency_key=f"pay-{i}-{j}",
                )
                done += amount
            except InsufficientBalanceError:
                pass
        return done

    results = race(live_city, 32, pay)
    assert not [r for r in results if isinstance(r, BaseException)], results
    paid = sum(results)
    source.refresh_from_db()
    assert source.balance >= 0
    assert source.balance == 100_000 - paid
    assert sum(Account.objects.get(pk=s.pk).balance for s in shops) == paid
    # With the whole balance on offer, the race must actually have spent most of it.
    assert source.balance < 7_000
    assert ledger_check().ok


def test_the_same_idempotency_key_from_16_threads_is_applied_once(live_city):
    world = SystemAccountFactory()
    wallet = WalletAccountFactory()

    def charge(i):
        entry = entry_post(
            kind=Entry.Kind.CHARGE,
            legs=[Leg.of(world, -50_000), Leg.of(wallet, 50_000)],
            idempotency_key="one-charge",
        )
        return entry.pk, entry.replayed

    results = race(live_city, 16, charge)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({pk for pk, _ in results}) == 1
    assert sum(1 for _, replayed in results if not replayed) == 1
    wallet.refresh_from_db()
    assert wallet.balance == 50_000
    assert Entry.objects.filter(idempotency_key="one-charge").count() == 1


def test_opposite_transfers_between_two_accounts_do_not_deadlock(live_city):
    world = SystemAccountFactory()
    a, b = WalletAccountFactory(), WalletAccountFactory()
    for acc, key in ((a, "fa"), (b, "fb")):
        entry_post(
            kind=Entry.Kind.CHARGE,
            legs=[Leg.of(world, -10_000), Leg.of(acc, 10_000)],
            idempotency_key=key,
        )

    def transfer(i):
        src, dst = (a, b) if i % 2 else (b, a)
        for j in range(20):
            entry_post(
                kind=Entry.Kind.ADJUSTMENT,
                legs=[Leg.of(src, -10), Leg.of(dst, 10)],
                idempotency_key=f"t-{i}-{j}",
            )

    results = race(live_city, 16, transfer)
    assert not [r for r in results if isinstance(r, BaseException)], results
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.balance + b.balance == 20_000
    assert ledger_check().ok
