"""The demo shows shop-to-shop payments and cash-out cases in every state, and a second run
changes nothing. A fresh city with committed statements (``live_city``): the payments' times
come from the database's clock, as in a real seed_demo."""

import importlib

import pytest

from fraud.models import Case, CaseDecision, IncentiveHold
from jeonju_prepay.demo import DemoContext
from ledger.models import Entry
from ledger.selectors import ledger_check
from merchants.models import Shop, ShopPayment
from operations.management.commands.seed_demo import DEMO_MODULES

pytestmark = pytest.mark.slow


def _seed(city):
    ctx = DemoContext(city=city)
    for name in DEMO_MODULES:
        importlib.import_module(name).seed(ctx)
    return ctx


def test_the_demo_has_every_state_and_is_idempotent(live_city):
    assert "fraud.demo" in DEMO_MODULES
    ctx = _seed(live_city)  # a city that is not jeonju: the demo's second city's data
    statuses = dict(Case.objects.values_list("shop__name", "status"))
    assert statuses == {
        "한밤 상품권 매입상회": "open",
        "골목 잡화점": "investigating",
        "역전 선물가게": "confirmed",
        "동창회 식당": "dismissed",
    }
    assert Shop.objects.get(name="역전 선물가게").status == "suspended"
    assert Shop.objects.get(name="골목 잡화점").settlement_held
    assert IncentiveHold.objects.exists()
    assert ShopPayment.objects.count() == 1
    assert any("/dashboard/fraud/" in note for note in ctx.notes)
    counts = (Case.objects.count(), CaseDecision.objects.count(), Entry.objects.count())
    _seed(live_city)
    assert (Case.objects.count(), CaseDecision.objects.count(), Entry.objects.count()) == counts
    assert ledger_check().ok
