"""The demo data: Jeonju's Hanok Village case, built through the services, safe to run twice."""

from django.db import connection

import accounts.demo
import merchants.demo
import rentals.demo
from jeonju_prepay.demo import DemoContext
from rentals.models import Agreement, Property
from rentals.selectors import rental_report


def seed(city):
    ctx = DemoContext(city=city)
    for module in (accounts.demo, merchants.demo, rentals.demo):
        module.seed(ctx)
    return ctx


def test_the_hanok_village_case_is_seeded_once(city):
    ctx = seed(city)
    hanok = Agreement.objects.filter(lease__property__district="풍남동")
    landlords = set(hanok.values_list("lease__property__landlord__email", flat=True))
    assert len(landlords) == 14
    assert all(
        a.monthly_reduction * 10 >= a.rent_before and a.months >= 3 for a in Agreement.objects.all()
    )
    statuses = set(hanok.values_list("status", flat=True))
    assert statuses == {"proposed", "signed", "verified"}
    assert Agreement.objects.filter(
        lease__tenant_shop__owner__email="owner@demo.kr", status="proposed"
    ).exists()
    assert list(Agreement.objects.exclude(clawback="").values_list("clawback", flat=True)) == [
        "renewal_over_cap"
    ]
    report = rental_report(scope="active")
    assert report.total.landlords == 14
    assert {r.district for r in report.rows} == {"풍남동", "중앙동"}
    assert any("landlord14@demo.kr" in note for note in ctx.notes)

    counts = (Property.objects.count(), Agreement.objects.count())
    seed(city)
    assert (Property.objects.count(), Agreement.objects.count()) == counts


def test_wanju_gets_a_small_case(city, other_city):
    connection.set_tenant(other_city)
    try:
        seed(other_city)
        assert Agreement.objects.count() == 2
        assert set(Agreement.objects.values_list("status", flat=True)) == {"proposed", "verified"}
    finally:
        connection.set_tenant(city)


def test_the_demo_dates_move_with_today_by_whole_years(city):
    """The 2020-2021 programme moved so that its "now" (early 2021) falls around today:
    proposals start soon, leases run, verified cuts lie in the past."""
    import datetime as dt

    from ledger.services import business_date_today

    assert rentals.demo._year_shift(dt.date(2021, 2, 1)) == 0
    assert rentals.demo._year_shift(dt.date(2026, 12, 4)) == 6  # proposals start in 2027
    assert rentals.demo._year_shift(dt.date(2026, 3, 1)) == 5
    seed(city)
    today = business_date_today()
    for agreement in Agreement.objects.filter(status="proposed"):
        assert agreement.start_date >= today - dt.timedelta(days=92), agreement.start_date
        assert agreement.lease.end_date > today  # nobody is asked to sign for an ended lease
    assert all(a.start_date <= today for a in Agreement.objects.filter(status="verified"))
