"""Races on real PostgreSQL connections: the same paper note at two shops at once."""

import datetime as dt

import pytest

from cards.exceptions import NoteAlreadyRedeemedError
from cards.models import Note, NoteRedemption
from cards.services import batch_create, note_check_code, note_redeem, notes_sell
from ledger.models import Account
from ledger.selectors import ledger_check
from ledger.services import Idem
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.cards.factories import bank_desk
from tests.helpers import race
from tests.merchants.factories import ShopFactory
from vouchers.services import budget_fund, policy_set

pytestmark = pytest.mark.slow


def test_one_note_at_two_shops_at_once_one_wins_nothing_lost(live_city):
    staff = StaffFactory()
    policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=1000,
        cashback_bp=0,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
    )
    budget_fund(
        by=None,
        name="race",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2035, 12, 31),
        amount=1_000_000,
        idempotency_key="race",
    )
    batch_create(by=staff, face_value=50_000, count=5, expires_on=dt.date(2035, 1, 1))
    desk, teller = bank_desk()
    citizen = CitizenFactory()
    serials = notes_sell(
        desk=desk, teller=teller, buyer=citizen, counts={50_000: 3}, idem=Idem.of("t", "k", 1)
    ).body["serials"]
    shops = [ShopFactory(), ShopFactory()]

    for round_, serial in enumerate(serials):
        check = note_check_code(serial)

        def accept(i, serial=serial, check=check, round_=round_):
            shop = shops[i]
            return note_redeem(
                shop=shop,
                serial=serial,
                check=check,
                idem=Idem.of(f"shop:{shop.pk}", f"race-{round_}", serial),
            )

        results = race(live_city, 2, accept)
        won = [r for r in results if not isinstance(r, Exception)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1, results
        assert len(lost) == 1, results
        assert isinstance(lost[0], NoteAlreadyRedeemedError), results
        assert won[0].body["face_value"] == 50_000

    # Three notes, three redemptions: 150,000 won owed to the shops between them, exactly.
    assert NoteRedemption.objects.count() == 3
    assert Note.objects.filter(status="redeemed").count() == 3
    payable = sum(
        Account.objects.filter(
            kind="shop_payable", owner_shop_id__in=[s.pk for s in shops]
        ).values_list("balance", flat=True)
    )
    assert payable == 150_000
    notes = Account.objects.filter(kind="provider_clearing", provider="paper_notes")
    assert sum(a.balance for a in notes) == 0
    assert ledger_check().ok
