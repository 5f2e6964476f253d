import pytest

from ledger import services
from ledger.exceptions import (
    AccountNotFoundError,
    AlreadyReversedError,
    IdempotencyConflictError,
    InsufficientBalanceError,
    InvalidAmountError,
    LedgerError,
    UnbalancedEntryError,
)
from ledger.models import Account, Entry, Posting
from ledger.selectors import ledger_check
from ledger.services import Leg, entry_post, entry_reverse
from tests.ledger.factories import SystemAccountFactory, WalletAccountFactory


@pytest.fixture
def world(city):
    return SystemAccountFactory()


@pytest.fixture
def wallet(city):
    return WalletAccountFactory()


def fund(world, wallet, amount, key="fund"):
    return entry_post(
        kind=Entry.Kind.CHARGE,
        legs=[Leg.of(world, -amount), Leg.of(wallet, amount)],
        idempotency_key=key,
    )


def balances(*accounts):
    return [Account.objects.get(pk=a.pk).balance for a in accounts]


def test_posting_moves_money_and_keeps_the_book_balanced(world, wallet):
    entry = fund(world, wallet, 10_000)
    assert balances(world, wallet) == [-10_000, 10_000]
    assert sorted(Posting.objects.filter(entry=entry).values_list("amount", flat=True)) == [
        -10_000,
        10_000,
    ]
    assert entry.replayed is False
    assert ledger_check().ok


def test_same_key_same_request_replays_and_moves_nothing(world, wallet):
    first = fund(world, wallet, 5_000, key="k1")
    again = fund(world, wallet, 5_000, key="k1")
    assert again.pk == first.pk
    assert again.replayed is True
    assert balances(world, wallet) == [-5_000, 5_000]
    assert Entry.objects.count() == 1


def test_same_key_different_amount_is_an_idempotency_conflict(world, wallet):
    fund(world, wallet, 5_000, key="k2")
    with pytest.raises(IdempotencyConflictError) as exc:
        fund(world, wallet, 6_000, key="k2")
    assert exc.value.code == "idempotency_conflict"
    assert exc.value.status == 409
    assert balances(world, wallet) == [-5_000, 5_000]


def test_overdraft_is_refused_and_names_the_account(world, wallet):
    fund(world, wallet, 1_000)
    other = WalletAccountFactory()
    with pytest.raises(InsufficientBalanceError) as exc:
        entry_post(
            kind=Entry.Kind.PAYMENT,
            legs=[Leg.of(wallet, -1_001), Leg.of(other, 1_001)],
            idempotency_key="overdraw",
        )
    assert exc.value.extra["account_id"] == wallet.pk
    assert exc.value.code == "insufficient_balance"


def test_a_refused_overdraft_changes_nothing(world, wallet):
    fund(world, wallet, 1_000)
    other = WalletAccountFactory()
    with pytest.raises(InsufficientBalanceError):
        entry_post(
            kind=Entry.Kind.PAYMENT,
            legs=[Leg.of(wallet, -2_000), Leg.of(other, 2_000)],
            idempotency_key="overdraw2",
        )
    assert balances(wallet, other) == [1_000, 0]
    assert Entry.objects.filter(idempotency_key="overdraw2").count() == 0


def test_exact_balance_can_be_spent_to_zero(world, wallet):
    fund(world, wallet, 1_000)
    other = WalletAccountFactory()
    entry_post(
        kind=Entry.Kind.PAYMENT,
        legs=[Leg.of(wallet, -1_000), Leg.of(other, 1_000)],
        idempotency_key="all",
    )
    assert balances(wallet, other) == [0, 1_000]


@pytest.mark.parametrize(
    ("legs_amounts", "error"),
    [
        ([100, -99], UnbalancedEntryError),
        ([100], UnbalancedEntryError),
        ([0, 0], InvalidAmountError),
        ([10**14, -(10**14)], InvalidAmountError),
        ([1.5, -1.5], InvalidAmountError),
        ([True, -1], InvalidAmountError),
        (["100", -100], InvalidAmountError),
    ],
)
def test_bad_legs_are_refused_before_touching_the_database(world, wallet, legs_amounts, error):
    accounts = [world, wallet]
    legs = [Leg(accounts[i].pk, amount) for i, amount in enumerate(legs_amounts)]
    with pytest.raises(error):
        entry_post(kind=Entry.Kind.ADJUSTMENT, legs=legs, idempotency_key="bad")
    assert Entry.objects.count() == 0


def test_the_same_account_twice_is_refused(world):
    with pytest.raises(UnbalancedEntryError):
        entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            legs=[Leg.of(world, 5), Leg.of(world, -5)],
            idempotency_key="twice",
        )


def test_unknown_account_is_refused(world):
    with pytest.raises(AccountNotFoundError):
        entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            legs=[Leg.of(world, 5), Leg(999_999_999, -5)],
            idempotency_key="ghost",
        )


def test_unknown_kind_and_missing_key_are_refused(world, wallet):
    with pytest.raises(LedgerError):
        entry_post(kind="lottery", legs=[Leg.of(world, -1), Leg.of(wallet, 1)], idempotency_key="x")
    with pytest.raises(LedgerError):
        entry_post(kind="charge", legs=[Leg.of(world, -1), Leg.of(wallet, 1)], idempotency_key="")


def test_reversal_restores_balances_and_happens_once(world, wallet):
    entry = fund(world, wallet, 7_000)
    reversal = entry_reverse(entry=entry, idempotency_key="rev-1")
    assert reversal.kind == Entry.Kind.REVERSAL
    assert reversal.reverses_id == entry.pk
    assert balances(world, wallet) == [0, 0]
    # The same key again is a replay, a new key is refused.
    assert entry_reverse(entry=entry, idempotency_key="rev-1").replayed
    with pytest.raises(AlreadyReversedError):
        entry_reverse(entry=entry, idempotency_key="rev-2")


def test_reversal_cannot_overdraw(world, wallet):
    entry = fund(world, wallet, 7_000)
    other = WalletAccountFactory()
    entry_post(
        kind=Entry.Kind.PAYMENT,
        legs=[Leg.of(wallet, -5_000), Leg.of(other, 5_000)],
        idempotency_key="spend",
    )
    with pytest.raises(InsufficientBalanceError):
        entry_reverse(entry=entry, idempotency_key="rev")


def test_account_get_or_create_is_one_per_owner_and_kind(city, wallet):
    user = wallet.owner_user
    a = services.account_get_or_create(kind=Account.Kind.WALLET_INCENTIVE, user=user)
    b = services.account_get_or_create(kind=Account.Kind.WALLET_INCENTIVE, user=user)
    assert a.pk == b.pk
    assert a.may_go_negative is False
    float_account = services.system_account(Account.Kind.FLOAT)
    assert float_account.may_go_negative is True
    assert services.system_account(Account.Kind.FLOAT).pk == float_account.pk


def test_business_date_is_seoul(city):
    import datetime as dt

    import time_machine

    # 2021-01-31 16:30 UTC is 2021-02-01 01:30 in Seoul.
    with time_machine.travel(dt.datetime(2021, 1, 31, 16, 30, tzinfo=dt.UTC), tick=False):
        assert services.business_date_today() == dt.date(2021, 2, 1)
