import datetime as dt

import pytest
from django_tenants.utils import schema_context

from rentals import selectors
from rentals.exceptions import AgreementNotFoundError
from rentals.models import Agreement
from rentals.services import agreement_decline, agreement_verify
from tests.accounts.factories import CitizenFactory, LandlordFactory, OwnerFactory, StaffFactory
from tests.merchants.factories import ShopFactory, add_clerk
from tests.rentals.factories import (
    AgreementFactory,
    LeaseFactory,
    PropertyFactory,
    landlord_of,
    signed,
    tenant_of,
)


def test_each_role_sees_only_its_agreements(city):
    mine = AgreementFactory()
    other = AgreementFactory()
    landlord, tenant = landlord_of(mine), tenant_of(mine)
    assert list(selectors.agreements_of_landlord(landlord)) == [mine]
    assert list(selectors.agreements_for_tenant(tenant)) == [mine]
    assert set(selectors.agreements_for_staff()) == {mine, other}
    assert list(selectors.agreements_for_tenant(CitizenFactory())) == []


@pytest.mark.parametrize("who", ["landlord", "tenant", "staff"])
def test_the_parties_and_staff_may_open_an_agreement(city, who):
    agreement = AgreementFactory()
    user = {"landlord": landlord_of, "tenant": tenant_of, "staff": lambda a: StaffFactory()}[who](
        agreement
    )
    found, role = selectors.agreement_for_viewer(user=user, agreement_id=agreement.pk)
    assert (found, role) == (agreement, who)


def test_everyone_else_gets_not_found(city):
    agreement = AgreementFactory()
    clerk = add_clerk(agreement.lease.tenant_shop, OwnerFactory())
    for outsider in (LandlordFactory(), ShopFactory().owner, clerk, CitizenFactory()):
        with pytest.raises(AgreementNotFoundError):
            selectors.agreement_for_viewer(user=outsider, agreement_id=agreement.pk)
    with pytest.raises(AgreementNotFoundError):
        selectors.agreement_for_viewer(
            user=landlord_of(agreement), agreement_id=agreement.pk + 1000
        )


def test_another_city_has_none_of_these_rows(city, other_city):
    agreement = AgreementFactory()
    with schema_context(other_city.schema_name):
        assert not Agreement.objects.filter(pk=agreement.pk).exists()
        assert selectors.rental_report().total.agreements == 0


def test_the_landlord_sees_current_leases_per_property(city):
    lease = LeaseFactory()
    PropertyFactory(landlord=lease.property.landlord)
    props = list(selectors.properties_of_landlord(lease.property.landlord))
    assert [len(p.current_leases) for p in props] == [1, 0]


def test_the_report_sums_by_district_and_counts_people_once(city):
    staff = StaffFactory()
    landlord = LandlordFactory()
    shop = ShopFactory()
    # One landlord with units in two districts, the same shop renting both.
    a1 = signed(
        AgreementFactory(
            lease=LeaseFactory(
                property=PropertyFactory(landlord=landlord, district="풍남동"), tenant_shop=shop
            ),
            rate_bp=1000,
        )
    )
    a2 = signed(
        AgreementFactory(
            lease=LeaseFactory(
                property=PropertyFactory(landlord=landlord, district="교동"), tenant_shop=shop
            ),
            kind="amount",
            amount=300_000,
            months=6,
        )
    )
    a3 = signed(
        AgreementFactory(
            lease=LeaseFactory(property=PropertyFactory(district="풍남동")), rate_bp=2000
        )
    )
    unverified = AgreementFactory(lease=LeaseFactory(property=PropertyFactory(district="교동")))
    declined = AgreementFactory(lease=LeaseFactory(property=PropertyFactory(district="교동")))
    agreement_decline(agreement=declined, by=tenant_of(declined))
    for a in (a1, a2, a3):
        agreement_verify(agreement=a, by=staff)

    report = selectors.rental_report(scope="verified")
    rows = {r.district: r for r in report.rows}
    assert list(rows) == ["교동", "풍남동"]
    assert (rows["풍남동"].landlords, rows["풍남동"].tenant_shops, rows["풍남동"].agreements) == (
        2,
        2,
        2,
    )
    assert rows["풍남동"].monthly_reduction == 100_000 + 200_000
    assert rows["풍남동"].total_reduction == 300_000 + 600_000
    assert (rows["교동"].monthly_reduction, rows["교동"].total_reduction) == (300_000, 1_800_000)
    assert (report.total.landlords, report.total.tenant_shops, report.total.agreements) == (2, 2, 3)
    assert report.total.total_reduction == 2_700_000

    active = selectors.rental_report(scope="active")
    assert active.total.agreements == 4  # the proposed one too, not the declined one
    assert active.total.total_reduction == 2_700_000 + unverified.total_reduction


def test_estimates_are_attached_per_agreement(city):
    AgreementFactory(rate_bp=1000, income_over_threshold=True)
    (agreement,) = selectors.with_estimates(Agreement.objects.all())
    assert agreement.estimate.credit_estimate == 150_000
    assert selectors.rental_policy_on(dt.date(2020, 1, 1)).pk is None  # the national default
