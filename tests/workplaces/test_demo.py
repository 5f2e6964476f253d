"""The demo: a round with workplaces in every state, a year of reports, one breach; twice."""

from __future__ import annotations

from django.utils import timezone

import accounts.demo
import districts.demo
import merchants.demo
import workplaces.demo
from jeonju_prepay.demo import DemoContext
from ledger.selectors import ledger_check
from workplaces import rules, selectors
from workplaces.models import Case, Clawback, Declaration, MonthlyReport, Workplace


def seed(city):
    ctx = DemoContext(city=city)
    for module in (accounts.demo, districts.demo, merchants.demo, workplaces.demo):
        module.seed(ctx)
    return ctx


def test_the_demo_round_has_every_state_and_is_seeded_once(city, settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path
    ctx = seed(city)
    last_month = rules.month_add(timezone.localdate().replace(day=1), -1)
    assert selectors.participating().count() >= 20
    assert set(Declaration.objects.values_list("status", flat=True)) == {
        "employer_signed",
        "signed",
        "verified",
        "rejected",
        "breached",
    }
    mine = Workplace.objects.filter(
        owner__email="employer@demo.kr", declarations__status="verified"
    )
    assert mine.exists()
    assert not MonthlyReport.objects.filter(
        declaration__workplace=mine.order_by("pk").first(), month=last_month
    ).exists()
    assert MonthlyReport.objects.filter(month=rules.month_add(last_month, -11)).count() >= 20
    assert Clawback.objects.count() == 1
    assert Clawback.objects.get().amount > 0
    kinds = set(Case.objects.filter(status="open").values_list("kind", flat=True))
    assert kinds == {"dismissal", "shortfall", "missing_report", "worker_report"}
    assert ledger_check().ok
    assert any("employer@demo.kr" in note for note in ctx.notes)
    counts = (Workplace.objects.count(), MonthlyReport.objects.count(), Case.objects.count())
    seed(city)
    assert counts == (
        Workplace.objects.count(),
        MonthlyReport.objects.count(),
        Case.objects.count(),
    )


def test_the_second_demo_city_gets_a_smaller_round(other_city, settings, tmp_path):
    from django.db import connection

    settings.PRIVATE_FILES_ROOT = tmp_path
    connection.set_tenant(other_city)
    try:
        seed(other_city)
        assert selectors.participating().count() == 9  # 10 pledged, one breached
        assert Clawback.objects.count() == 1
        assert ledger_check().ok
    finally:
        connection.set_schema_to_public()
