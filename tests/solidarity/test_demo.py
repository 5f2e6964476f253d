"""The demo shows solidarity in every state, and seeding it again changes nothing."""

from __future__ import annotations

import importlib

from jeonju_prepay.demo import DemoContext
from ledger.models import Entry
from ledger.selectors import ledger_check
from operations.management.commands.seed_demo import DEMO_MODULES
from solidarity.models import AngelShop, Donation, FundGrant, Gift, RelayNomination


def _seed(city):
    ctx = DemoContext(city=city)
    for name in DEMO_MODULES:
        importlib.import_module(name).seed(ctx)
    return ctx


def test_the_demo_has_every_state_and_is_idempotent(city):
    assert "solidarity.demo" in DEMO_MODULES
    ctx = _seed(city)
    assert set(Gift.objects.values_list("status", flat=True)) == {
        "claimed",
        "held",
        "cancelled",
        "returned",
    }
    assert set(Donation.objects.values_list("source", flat=True)) >= {"one_off", "cashback"}
    assert AngelShop.objects.count() == 1
    assert FundGrant.objects.count() == 1
    assert set(RelayNomination.objects.values_list("status", flat=True)) == {"joined", "invited"}
    assert any("/solidarity/" in note for note in ctx.notes)
    counts = (Gift.objects.count(), Donation.objects.count(), Entry.objects.count())
    _seed(city)
    assert (Gift.objects.count(), Donation.objects.count(), Entry.objects.count()) == counts
    assert ledger_check().ok
