"""Random sequences of ledger operations keep every invariant (hypothesis state machine)."""

import itertools

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ledger.exceptions import (
    AlreadyReversedError,
    IdempotencyConflictError,
    InsufficientBalanceError,
    LedgerError,
)
from ledger.models import Account, Entry
from ledger.selectors import ledger_check
from ledger.services import Leg, entry_post, entry_reverse
from tests.ledger.factories import SystemAccountFactory, WalletAccountFactory

_keys = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    """The model: expected balance per account and what each key was used for."""

    @initialize()
    def open_book(self):
        self.savepoint = transaction.savepoint()
        self.world = SystemAccountFactory()
        self.wallets = [WalletAccountFactory() for _ in range(3)]
        self.expected = {a.pk: 0 for a in [self.world, *self.wallets]}
        self.used: dict[str, tuple] = {}
        self.entries: list[tuple[int, list[tuple[int, int]]]] = []
        self.reversed: set[int] = set()

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.savepoint_rollback(self.savepoint)

    def _post(self, kind, legs):
        key = f"sm-{next(_keys)}"
        entry = entry_post(kind=kind, legs=[Leg(a, m) for a, m in legs], idempotency_key=key)
        for account_id, amount in legs:
            self.expected[account_id] += amount
        self.used[key] = (kind, legs)
        self.entries.append((entry.pk, legs))
        return key

    @rule(who=st.integers(0, 2), amount=st.integers(1, 1_000_000))
    def charge(self, who, amount):
        self._post(Entry.Kind.CHARGE, [(self.world.pk, -amount), (self.wallets[who].pk, amount)])

    @rule(src=st.integers(0, 2), dst=st.integers(0, 2), amount=st.integers(1, 2_000_000))
    def pay(self, src, dst, amount):
        if src == dst:
            return
        a, b = self.wallets[src].pk, self.wallets[dst].pk
        if self.expected[a] >= amount:
            self._post(Entry.Kind.PAYMENT, [(a, -amount), (b, amount)])
        else:
            try:
                entry_post(
                    kind=Entry.Kind.PAYMENT,
                    legs=[Leg(a, -amount), Leg(b, amount)],
                    idempotency_key=f"sm-over-{next(_keys)}",
                )
            except InsufficientBalanceError:
                pass
            else:
                raise AssertionError("an overdraft was accepted")

    @precondition(lambda self: self.used)
    @rule(data=st.data())
    def replay(self, data):
        key = data.draw(st.sampled_from(sorted(self.used)))
        kind, legs = self.used[key]
        entry = entry_post(kind=kind, legs=[Leg(a, m) for a, m in legs], idempotency_key=key)
        assert entry.replayed

    @precondition(lambda self: self.used)
    @rule(data=st.data(), delta=st.integers(1, 100))
    def reuse_key_with_other_amounts(self, data, delta):
        key = data.draw(st.sampled_from(sorted(self.used)))
        kind, legs = self.used[key]
        (a, m), (b, n) = legs[0], legs[1]
        changed = [
            Leg(a, m - delta if m < 0 else m + delta),
            Leg(b, n + delta if n > 0 else n - delta),
        ]
        try:
            entry_post(kind=kind, legs=changed, idempotency_key=key)
        except (IdempotencyConflictError, LedgerError):
            pass
        else:
            raise AssertionError("a reused key with new amounts was accepted")

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def reverse(self, data):
        entry_id, legs = data.draw(st.sampled_from(self.entries))
        entry = Entry.objects.get(pk=entry_id)
        if entry.kind == Entry.Kind.REVERSAL:
            return
        can = (
            all(self.expected[a] - m >= 0 or a == self.world.pk for a, m in legs)
            and entry_id not in self.reversed
        )
        try:
            entry_reverse(entry=entry, idempotency_key=f"sm-rev-{next(_keys)}")
        except (InsufficientBalanceError, AlreadyReversedError):
            assert not can
            return
        assert can
        self.reversed.add(entry_id)
        for a, m in legs:
            self.expected[a] -= m

    @invariant()
    def balances_match_the_model(self):
        if not hasattr(self, "expected"):
            return
        stored = dict(Account.objects.filter(pk__in=self.expected).values_list("pk", "balance"))
        assert stored == self.expected

    @invariant()
    def book_is_consistent(self):
        if hasattr(self, "expected"):
            assert ledger_check().ok


def test_random_ledger_operations_keep_every_invariant(city):
    LedgerMachine.TestCase.settings = settings(
        max_examples=40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(LedgerMachine, settings=LedgerMachine.TestCase.settings)
