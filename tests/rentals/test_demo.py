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
