"""The demo: Jeonju's disaster basic income in every state, safe to run twice."""

from __future__ import annotations

import accounts.demo
import grants.demo
import merchants.demo
import vouchers.demo
from grants.models import Application, Programme
from jeonju_prepay.demo import DemoContext
from ledger.selectors import citizen_balances, ledger_check


def seed(city):
    ctx = DemoContext(city=city)
    for module in (accounts.demo, merchants.demo, vouchers.demo, grants.demo):
        module.seed(ctx)
    return ctx


def test_the_demo_programme_in_every_state_seeded_once(city):
    ctx = seed(city)
    programme = Programme.objects.get(name=grants.demo.NAME)
    assert programme.status == "open"
    statuses = dict(
        Application.objects.filter(programme=programme).values_list("applicant__email", "status")
    )
    assert statuses == {
        "citizen4@demo.kr": "submitted",
        "citizen5@demo.kr": "documents_requested",
        "citizen6@demo.kr": "rejected",
        "citizen7@demo.kr": "approved",
        "citizen8@demo.kr": "paid",
        "citizen9@demo.kr": "paid",
    }
    assert "citizen3@demo.kr" not in statuses
    by_email = {a.applicant.email: a.applicant_id for a in Application.objects.all()}
    assert citizen_balances(user_id=by_email["citizen8@demo.kr"]).grant == 527_158 - 123_000
    assert citizen_balances(user_id=by_email["citizen9@demo.kr"]).grant == 527_158
    pilot = Programme.objects.get(name=grants.demo.PILOT)
    assert pilot.status == "ended"
    assert [e.amount for e in pilot.expiries.all()] == [527_158]
    assert any("citizen3@demo.kr" in note for note in ctx.notes)

    counts = (Programme.objects.count(), Application.objects.count())
    seed(city)
    assert (Programme.objects.count(), Application.objects.count()) == counts
    assert Application.objects.get(applicant__email="citizen7@demo.kr").status == "approved"
    assert citizen_balances(user_id=by_email["citizen8@demo.kr"]).grant == 404_158
    assert ledger_check().ok
