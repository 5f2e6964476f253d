"""seed_demo's cards, notes and desks: every state, the contract's lines, idempotent."""

import importlib
import re

from cards.models import Card, DeskCharge, DeskClose, Note, NoteBatch, NoteRedemption
from cards.services import card_number_normalise, note_check_code
from jeonju_prepay.demo import DemoContext
from ledger.models import Entry
from ledger.selectors import ledger_check
from operations.management.commands.seed_demo import DEMO_MODULES


def _seed(city):
    ctx = DemoContext(city=city)
    for name in DEMO_MODULES:
        importlib.import_module(name).seed(ctx)
    return ctx


def test_demo_shows_every_state_and_runs_twice_to_the_same_data(city):
    assert "cards.demo" in DEMO_MODULES
    ctx = _seed(city)
    text = "\n".join(ctx.notes)
    number = re.search(r"Card of citizen@demo.kr: (\d{16}) \(PIN 123456\)", text).group(1)
    assert card_number_normalise(number) == number
    assert Card.objects.get(number=number).user.email == "citizen@demo.kr"
    for face in ("5,000", "10,000", "50,000"):
        line = next(n for n in ctx.notes if n.startswith(f"{face} won notes"))
        for state, serial, check in re.findall(r"(sold|unsold) (\d+) check (\d+)", line):
            note = Note.objects.get(serial=serial)
            assert note_check_code(serial) == check
            assert note.status == ("sold" if state == "sold" else "stock")
    assert {c.status for c in Card.objects.all()} == {"active", "blocked"}
    assert set(Note.objects.values_list("status", flat=True)) == {
        "stock",
        "sold",
        "redeemed",
        "cancelled",
    }
    assert set(NoteBatch.objects.values_list("status", flat=True)) == {"active", "cancelled"}
    assert DeskClose.objects.get().difference == 0
    counts = (
        Entry.objects.count(),
        Card.objects.count(),
        DeskCharge.objects.count(),
        NoteRedemption.objects.count(),
        Note.objects.filter(status="sold").count(),
    )
    _seed(city)
    assert counts == (
        Entry.objects.count(),
        Card.objects.count(),
        DeskCharge.objects.count(),
        NoteRedemption.objects.count(),
        Note.objects.filter(status="sold").count(),
    )
    assert ledger_check().ok
