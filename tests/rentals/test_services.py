import datetime as dt

import pytest

from merchants import brn
from merchants.models import Shop
from rentals import rules
from rentals.exceptions import (
    AgreementNotFoundError,
    AgreementStatusError,
    LeaseConflictError,
    LeaseNotFoundError,
    PeriodTooShortError,
    PropertyNotFoundError,
    ReductionTooSmallError,
    RentalError,
    RentalPermissionError,
    TenantShopNotFoundError,
    TermsChangedError,
)
from rentals.models import Agreement, AgreementEvent, Lease, Property, RentalPolicy, Signature
from rentals.selectors import agreement_estimate, agreement_signatures
from rentals.services import (
    agreement_decline,
    agreement_propose,
    agreement_reject,
    agreement_set_reliefs,
    agreement_sign,
    agreement_update_terms,
    agreement_verify,
    lease_create,
    lease_record_rent_change,
    property_create,
    rental_policy_set,
)
from tests.accounts.factories import CitizenFactory, LandlordFactory, OwnerFactory, StaffFactory
from tests.merchants.factories import ShopFactory, add_clerk
from tests.rentals.factories import (
    AgreementFactory,
    LeaseFactory,
    PropertyFactory,
    landlord_of,
    signed,
    tenant_of,
    terms,
)


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the services' messages in their source language (the pages are Korean)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def staff(city):
    return StaffFactory()


def policy(staff, day, **overrides):
    values = {
        "min_reduction_bp": 1000,
        "min_months": 3,
        "property_tax_cut_bp": 5000,
        "national_credit_bp": 7000,
        "national_credit_high_income_bp": 5000,
        "high_income_threshold": 100_000_000,
        "renewal_cap_bp": 500,
    }
    values.update(overrides)
    return rental_policy_set(by=staff, effective_from=day, **values)


# --- Properties and leases ----------------------------------------------------------------


def test_a_landlord_registers_a_property_and_a_lease_to_a_shop_by_its_number(city):
    landlord = LandlordFactory()
    shop = ShopFactory()
    prop = property_create(
        landlord=landlord, address=" 전주시 완산구  태조로 9 ", unit="101호", district="풍남동"
    )
    assert prop.address == "전주시 완산구 태조로 9"
    lease = lease_create(
        landlord=landlord,
        property=prop,
        tenant_business_number=shop.business_number_display,
        monthly_rent=800_000,
        deposit=10_000_000,
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2021, 12, 31),
    )
    assert (lease.tenant_shop, lease.kind, lease.monthly_rent) == (shop, "initial", 800_000)


def test_only_landlords_register_properties(city):
    with pytest.raises(RentalPermissionError):
        property_create(landlord=CitizenFactory(), address="주소", district="풍남동")
    assert not Property.objects.exists()


def test_the_same_unit_twice_is_refused_clearly(city):
    landlord = LandlordFactory()
    property_create(landlord=landlord, address="태조로 1", unit="1층", district="풍남동")
    with pytest.raises(RentalError, match="already"):
        property_create(landlord=landlord, address="태조로 1", unit="1층", district="풍남동")


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("123", RentalError),
        (brn.with_check_digit("777777777"), TenantShopNotFoundError),
    ],
)
def test_a_lease_needs_a_known_shop(city, number, error):
    prop = PropertyFactory()
    with pytest.raises(error):
        lease_create(
            landlord=prop.landlord,
            property=prop,
            tenant_business_number=number,
            monthly_rent=500_000,
            deposit=0,
            start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2020, 12, 31),
        )
    assert not Lease.objects.exists()


def test_a_lease_to_a_pending_shop_is_refused(city):
    prop = PropertyFactory()
    shop = ShopFactory(status=Shop.Status.PENDING)
    with pytest.raises(RentalError, match="not approved"):
        lease_create(
            landlord=prop.landlord,
            property=prop,
            tenant_business_number=shop.business_number,
            monthly_rent=500_000,
            deposit=0,
            start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2020, 12, 31),
        )


def test_a_lease_of_another_landlords_property_is_not_found(city):
    prop = PropertyFactory()
    with pytest.raises(PropertyNotFoundError):
        lease_create(
            landlord=LandlordFactory(),
            property=prop,
            tenant_business_number=ShopFactory().business_number,
            monthly_rent=500_000,
            deposit=0,
            start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2020, 12, 31),
        )


@pytest.mark.parametrize(
    ("rent", "start", "end", "fragment"),
    [
        (0, dt.date(2020, 1, 1), dt.date(2020, 12, 31), "at least"),
        (10**12, dt.date(2020, 1, 1), dt.date(2020, 12, 31), "at most"),
        (500_000, dt.date(2020, 12, 31), dt.date(2020, 1, 1), "end after"),
        (500_000, dt.date(2020, 1, 1), dt.date(9999, 12, 31), "between the years"),
    ],
)
def test_bad_lease_figures_are_refused_with_a_message(city, rent, start, end, fragment):
    prop = PropertyFactory()
    with pytest.raises(RentalError, match=fragment):
        lease_create(
            landlord=prop.landlord,
            property=prop,
            tenant_business_number=ShopFactory().business_number,
            monthly_rent=rent,
            deposit=0,
            start_date=start,
            end_date=end,
        )


def test_overlapping_leases_of_one_unit_are_refused(city):
    lease = LeaseFactory()
    with pytest.raises(LeaseConflictError):
        lease_create(
            landlord=lease.property.landlord,
            property=lease.property,
            tenant_business_number=ShopFactory().business_number,
            monthly_rent=500_000,
            deposit=0,
            start_date=dt.date(2021, 6, 1),
            end_date=dt.date(2022, 5, 31),
        )


# --- Proposals: the arithmetic and the minimum ------------------------------------------------


def test_a_rate_proposal_computes_the_cut_and_is_signed_by_the_landlord(city):
    lease = LeaseFactory(monthly_rent=1_234_567)
    agreement = AgreementFactory(lease=lease, rate_bp=1500, months=4)
    assert agreement.status == "proposed"
    assert agreement.rent_before == 1_234_567
    assert agreement.monthly_reduction == 185_185  # 185,185.05 rounded down
    assert agreement.total_reduction == 185_185 * 4
    assert agreement.end_date == dt.date(2020, 7, 31)
    assert agreement.terms_hash == rules.terms_hash(agreement.terms)
    assert agreement.terms["monthly_reduction"] == 185_185
    landlord_signature = Signature.objects.get(agreement=agreement)
    assert landlord_signature.party == "landlord"
    assert landlord_signature.signer == lease.property.landlord
    assert landlord_signature.terms_hash == agreement.terms_hash
    assert AgreementEvent.objects.get(agreement=agreement).action == "proposed"


def test_an_amount_proposal(city):
    agreement = AgreementFactory(kind="amount", amount=150_000, months=6)
    assert (agreement.reduction_kind, agreement.reduction_rate_bp) == ("amount", None)
    assert (agreement.monthly_reduction, agreement.total_reduction) == (150_000, 900_000)
    assert agreement.rent_after == 850_000


def test_a_cut_below_ten_percent_is_refused_and_nothing_is_written(city):
    lease = LeaseFactory()
    with pytest.raises(ReductionTooSmallError, match="10%"):
        AgreementFactory(lease=lease, rate_bp=999)
    with pytest.raises(ReductionTooSmallError, match="100,000원"):
        AgreementFactory(lease=lease, kind="amount", amount=99_999)
    assert not Agreement.objects.exists()
    assert not Signature.objects.exists()


def test_exactly_ten_percent_is_enough(city):
    lease = LeaseFactory()
    assert AgreementFactory(lease=lease, kind="amount", amount=100_000).monthly_reduction == 100_000


def test_fewer_than_three_months_is_refused(city):
    with pytest.raises(PeriodTooShortError, match="3"):
        AgreementFactory(months=2)
    assert not Agreement.objects.exists()


def test_an_amount_above_the_rent_is_refused(city):
    with pytest.raises(RentalError, match="at most"):
        AgreementFactory(kind="amount", amount=1_000_001)


def test_the_minimum_follows_the_citys_policy_by_date(city, staff):
    policy(staff, dt.date(2020, 1, 1), min_reduction_bp=2000, min_months=6)
    policy(staff, dt.date(2021, 1, 1), min_reduction_bp=1000, min_months=3)
    lease = LeaseFactory()
    with pytest.raises(ReductionTooSmallError, match="20%"):
        AgreementFactory(lease=lease, rate_bp=1500, months=6, start_date=dt.date(2020, 4, 1))
    with pytest.raises(PeriodTooShortError, match="6"):
        AgreementFactory(lease=lease, rate_bp=2000, months=3, start_date=dt.date(2020, 4, 1))
    assert AgreementFactory(lease=lease, rate_bp=1500, months=3, start_date=dt.date(2021, 4, 1))


def test_an_end_date_must_match_the_months(city):
    with pytest.raises(RentalError, match="2020-06-30"):
        AgreementFactory(months=3, end_date=dt.date(2020, 6, 29))
    agreement = AgreementFactory(months=3, end_date=dt.date(2020, 6, 30))
    assert agreement.end_date == dt.date(2020, 6, 30)


def test_the_period_must_fall_within_the_lease(city):
    with pytest.raises(RentalError, match="within the lease"):
        AgreementFactory(start_date=dt.date(2021, 11, 1))


def test_overlapping_agreements_on_one_lease_are_refused(city):
    first = AgreementFactory()
    with pytest.raises(LeaseConflictError, match=f"#{first.pk}"):
        AgreementFactory(lease=first.lease, start_date=dt.date(2020, 6, 1))
    assert AgreementFactory(lease=first.lease, start_date=dt.date(2020, 7, 1))


def test_a_declined_agreement_does_not_block_a_new_one(city):
    first = AgreementFactory()
    agreement_decline(agreement=first, by=tenant_of(first))
    assert AgreementFactory(lease=first.lease)


def test_only_the_landlord_of_the_lease_proposes(city):
    lease = LeaseFactory()
    with pytest.raises(LeaseNotFoundError):
        agreement_propose(landlord=LandlordFactory(), lease=lease, terms=terms())
    with pytest.raises(RentalPermissionError):
        agreement_propose(landlord=lease.tenant_shop.owner, lease=lease, terms=terms())
    assert not Agreement.objects.exists()


# --- Signing -----------------------------------------------------------------------------------


def test_the_tenant_signs_the_terms_they_read(city):
    agreement = AgreementFactory()
    tenant = tenant_of(agreement)
    signature = agreement_sign(agreement=agreement, by=tenant, terms_hash=agreement.terms_hash)
    agreement.refresh_from_db()
    assert agreement.status == "signed"
    assert (signature.party, signature.signer, signature.signed_at is not None) == (
        "tenant",
        tenant,
        True,
    )
    assert signature.terms_hash == agreement.terms_hash == rules.terms_hash(agreement.terms)
    assert [e.action for e in agreement.events.order_by("id")] == ["proposed", "signed"]


def test_signing_terms_that_changed_meanwhile_is_refused(city):
    agreement = AgreementFactory()
    stale = agreement.terms_hash
    agreement_update_terms(
        landlord=landlord_of(agreement), agreement=agreement, terms=terms(rate_bp=2500)
    )
    with pytest.raises(TermsChangedError):
        agreement_sign(agreement=agreement, by=tenant_of(agreement), terms_hash=stale)
    agreement.refresh_from_db()
    assert agreement.status == "proposed"
    assert not agreement.signatures.filter(party="tenant").exists()


def test_a_changed_term_voids_earlier_signatures(city):
    agreement = signed(AgreementFactory())
    old_hash = agreement.terms_hash
    agreement_update_terms(
        landlord=landlord_of(agreement), agreement=agreement, terms=terms(months=4)
    )
    agreement.refresh_from_db()
    assert agreement.terms_hash != old_hash
    assert agreement.terms_version == 2
    assert agreement.status == "proposed"
    by_current = {(s.party, s.is_current) for s in agreement_signatures(agreement)}
    # The tenant's signature and the landlord's first one are void; the landlord re-signed.
    assert by_current == {("tenant", False), ("landlord", False), ("landlord", True)}
    with pytest.raises(AgreementStatusError, match="not signed"):
        agreement_verify(agreement=agreement, by=StaffFactory())


@pytest.mark.parametrize(
    "changed",
    [
        {"rate_bp": 2001},
        {"kind": "amount", "rate_bp": None, "amount": 200_000},
        {"months": 4},
        {"start_date": dt.date(2020, 5, 1)},
    ],
)
def test_every_term_is_in_the_hash(city, changed):
    agreement = AgreementFactory()
    before = agreement.terms_hash
    agreement_update_terms(
        landlord=landlord_of(agreement), agreement=agreement, terms=terms(**changed)
    )
    agreement.refresh_from_db()
    assert agreement.terms_hash != before


def test_unchanged_terms_are_not_a_change(city):
    agreement = AgreementFactory()
    with pytest.raises(RentalError, match="nothing changed"):
        agreement_update_terms(landlord=landlord_of(agreement), agreement=agreement, terms=terms())


def test_only_the_owner_of_the_named_shop_signs(city):
    agreement = AgreementFactory()
    clerk = add_clerk(agreement.lease.tenant_shop, OwnerFactory())
    other_owner = ShopFactory().owner
    for outsider in (clerk, other_owner, landlord_of(agreement), StaffFactory()):
        with pytest.raises(RentalPermissionError):
            agreement_sign(agreement=agreement, by=outsider, terms_hash=agreement.terms_hash)
        with pytest.raises(RentalPermissionError):
            agreement_decline(agreement=agreement, by=outsider)
    agreement.refresh_from_db()
    assert agreement.status == "proposed"
    assert not agreement.signatures.filter(party="tenant").exists()


def test_signing_twice_is_refused(city):
    agreement = signed(AgreementFactory())
    with pytest.raises(AgreementStatusError, match="already"):
        agreement_sign(
            agreement=agreement, by=tenant_of(agreement), terms_hash=agreement.terms_hash
        )


def test_the_tenant_declines_with_a_reason(city):
    agreement = AgreementFactory()
    agreement_decline(agreement=agreement, by=tenant_of(agreement), reason="  이미 협의 중  ")
    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_reason) == ("declined", "이미 협의 중")
    with pytest.raises(AgreementStatusError):
        agreement_sign(
            agreement=agreement, by=tenant_of(agreement), terms_hash=agreement.terms_hash
        )


def test_a_declined_agreement_changed_by_the_landlord_is_proposed_again(city):
    agreement = AgreementFactory()
    agreement_decline(agreement=agreement, by=tenant_of(agreement))
    agreement_update_terms(
        landlord=landlord_of(agreement), agreement=agreement, terms=terms(rate_bp=3000)
    )
    agreement.refresh_from_db()
    assert agreement.status == "proposed"
    assert agreement.status_reason == ""


# --- Verification by city staff --------------------------------------------------------------


def test_staff_verify_a_signed_agreement(city, staff):
    agreement = signed(AgreementFactory())
    agreement_verify(agreement=agreement, by=staff, terms_hash=agreement.terms_hash)
    agreement.refresh_from_db()
    assert (agreement.status, agreement.decided_by) == ("verified", staff)
    assert agreement.decided_at is not None
    assert agreement.events.first().action == "verified"


def test_verification_waits_for_the_tenants_signature(city, staff):
    agreement = AgreementFactory()
    with pytest.raises(AgreementStatusError, match="not signed"):
        agreement_verify(agreement=agreement, by=staff)
    agreement.refresh_from_db()
    assert agreement.status == "proposed"


def test_verification_of_other_terms_than_reviewed_is_refused(city, staff):
    agreement = signed(AgreementFactory())
    with pytest.raises(TermsChangedError):
        agreement_verify(agreement=agreement, by=staff, terms_hash="0" * 64)


def test_only_staff_verify_and_not_their_own_agreements(city):
    agreement = signed(AgreementFactory())
    for outsider in (landlord_of(agreement), tenant_of(agreement), CitizenFactory()):
        with pytest.raises(RentalPermissionError):
            agreement_verify(agreement=agreement, by=outsider)
    landlord_and_staff = landlord_of(agreement)
    from accounts.services import role_grant

    role_grant(user=landlord_and_staff, role="city_staff")
    landlord_and_staff = type(landlord_and_staff).objects.get(pk=landlord_and_staff.pk)
    with pytest.raises(RentalPermissionError, match="party"):
        agreement_verify(agreement=agreement, by=landlord_and_staff)
    agreement.refresh_from_db()
    assert agreement.status == "signed"


def test_verification_rechecks_the_policy_in_force(city, staff):
    agreement = signed(AgreementFactory(rate_bp=1000))
    policy(staff, dt.date(2020, 1, 1), min_reduction_bp=1500)
    with pytest.raises(ReductionTooSmallError, match="15%"):
        agreement_verify(agreement=agreement, by=staff)


def test_a_verified_agreement_is_final(city, staff):
    agreement = signed(AgreementFactory())
    agreement_verify(agreement=agreement, by=staff)
    with pytest.raises(AgreementStatusError):
        agreement_update_terms(
            landlord=landlord_of(agreement), agreement=agreement, terms=terms(rate_bp=3000)
        )
    with pytest.raises(AgreementStatusError):
        agreement_reject(agreement=agreement, by=staff, reason="늦음")
    with pytest.raises(AgreementStatusError, match="already"):
        agreement_verify(agreement=agreement, by=staff)


def test_a_rejection_needs_a_reason_the_landlord_sees(city, staff):
    agreement = signed(AgreementFactory())
    with pytest.raises(RentalError, match="reason"):
        agreement_reject(agreement=agreement, by=staff, reason="   ")
    agreement.refresh_from_db()
    assert agreement.status == "signed"
    agreement_reject(agreement=agreement, by=staff, reason="임대차계약서 사본이 필요합니다")
    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_reason) == (
        "rejected",
        "임대차계약서 사본이 필요합니다",
    )
    # The landlord fixes the terms and proposes again.
    agreement_update_terms(
        landlord=landlord_of(agreement), agreement=agreement, terms=terms(rate_bp=2500)
    )
    agreement.refresh_from_db()
    assert agreement.status == "proposed"


def test_a_rejected_agreement_may_be_proposed_again_unchanged(city, staff):
    agreement = AgreementFactory()
    agreement_reject(agreement=agreement, by=staff, reason="계약서 사본을 올려 주세요")
    agreement_update_terms(landlord=landlord_of(agreement), agreement=agreement, terms=terms())
    agreement.refresh_from_db()
    assert (agreement.status, agreement.terms_version) == ("proposed", 2)


def test_only_staff_reject(city):
    agreement = AgreementFactory()
    with pytest.raises(RentalPermissionError):
        agreement_reject(agreement=agreement, by=landlord_of(agreement), reason="x")


# --- Reliefs ----------------------------------------------------------------------------------


def test_relief_estimates_follow_the_policy_of_the_start_year(city, staff):
    policy(staff, dt.date(2020, 1, 1), property_tax_cut_bp=5000)
    policy(staff, dt.date(2021, 1, 1), property_tax_cut_bp=7000)
    lease = LeaseFactory(monthly_rent=1_000_001)
    a2020 = AgreementFactory(lease=lease, rate_bp=1000, property_tax_amount=333_333)
    a2021 = AgreementFactory(
        lease=lease, rate_bp=1000, start_date=dt.date(2021, 1, 1), property_tax_amount=333_333
    )
    e2020, e2021 = agreement_estimate(a2020), agreement_estimate(a2021)
    assert a2020.total_reduction == 100_000 * 3  # 100,000.1 a month, rounded down
    assert (e2020.property_tax_estimate, e2021.property_tax_estimate) == (166_666, 233_333)
    assert e2020.credit_estimate == e2021.credit_estimate == 210_000


def test_the_landlord_declares_income_over_the_line(city):
    agreement = AgreementFactory(rate_bp=1000)  # 100,000 a month × 3
    assert agreement_estimate(agreement).credit_estimate == 210_000
    agreement_set_reliefs(
        landlord=landlord_of(agreement),
        agreement=agreement,
        property_tax_amount=500_000,
        income_over_threshold=True,
    )
    agreement.refresh_from_db()
    estimate = agreement_estimate(agreement)
    assert (estimate.credit_bp, estimate.credit_estimate) == (5000, 150_000)
    assert estimate.property_tax_estimate == 0  # the city set no property-tax cut
    # Not terms: nobody has to sign again.
    assert agreement.terms_version == 1


def test_relief_declarations_are_the_landlords_alone(city):
    agreement = AgreementFactory()
    with pytest.raises(AgreementNotFoundError):
        agreement_set_reliefs(
            landlord=LandlordFactory(),
            agreement=agreement,
            property_tax_amount=1,
            income_over_threshold=False,
        )
    with pytest.raises(RentalError, match="at most"):
        agreement_set_reliefs(
            landlord=landlord_of(agreement),
            agreement=agreement,
            property_tax_amount=10**13,
            income_over_threshold=False,
        )


# --- Claw-back ------------------------------------------------------------------------------


def verified_agreement(staff, **kwargs):
    agreement = signed(AgreementFactory(**kwargs))
    agreement_verify(agreement=agreement, by=staff)
    agreement.refresh_from_db()
    return agreement


def record(agreement, *, kind, rent, start, end=None):
    lease = agreement.lease
    while hasattr(lease, "next_record"):
        lease = Lease.objects.get(previous=lease)
    return lease_record_rent_change(
        landlord=landlord_of(agreement),
        lease=lease,
        kind=kind,
        monthly_rent=rent,
        deposit=lease.deposit,
        start_date=start,
        end_date=end,
    )


def test_a_rent_change_above_the_pre_cut_level_flags_the_agreement(city, staff):
    agreement = verified_agreement(staff)  # 2020-04..06 on 1,000,000
    new = record(agreement, kind="change", rent=1_000_001, start=dt.date(2020, 9, 1))
    agreement.refresh_from_db()
    assert (agreement.clawback, agreement.clawback_lease) == ("above_pre_cut", new)
    assert agreement.status == "verified"
    assert agreement.events.first().action == "clawback_flagged"


def test_a_rent_change_back_to_the_pre_cut_level_is_fine(city, staff):
    agreement = verified_agreement(staff)
    record(agreement, kind="change", rent=1_000_000, start=dt.date(2020, 7, 1))
    agreement.refresh_from_db()
    assert agreement.clawback == ""


def test_a_renewal_may_raise_five_percent(city, staff):
    agreement = verified_agreement(staff)
    record(
        agreement,
        kind="renewal",
        rent=1_050_000,
        start=dt.date(2021, 1, 1),
        end=dt.date(2022, 12, 31),
    )
    agreement.refresh_from_db()
    assert agreement.clawback == ""


def test_a_renewal_raising_more_than_five_percent_flags(city, staff):
    agreement = verified_agreement(staff)
    record(
        agreement,
        kind="renewal",
        rent=1_050_001,
        start=dt.date(2021, 1, 1),
        end=dt.date(2022, 12, 31),
    )
    agreement.refresh_from_db()
    assert agreement.clawback == "renewal_over_cap"


@pytest.mark.parametrize(
    ("start", "flagged"),
    [(dt.date(2021, 6, 30), True), (dt.date(2021, 7, 1), False)],
)
def test_rises_count_until_june_30_of_the_following_year(city, staff, start, flagged):
    agreement = verified_agreement(staff)  # ends 2020-06-30
    record(agreement, kind="change", rent=1_200_000, start=start)
    agreement.refresh_from_db()
    assert agreement.is_flagged is flagged


def test_the_renewal_cap_is_city_policy(city, staff):
    policy(staff, dt.date(2020, 1, 1), renewal_cap_bp=300)
    agreement = verified_agreement(staff)
    record(
        agreement,
        kind="renewal",
        rent=1_040_000,
        start=dt.date(2021, 1, 1),
        end=dt.date(2022, 12, 31),
    )
    agreement.refresh_from_db()
    assert agreement.clawback == "renewal_over_cap"


def test_declined_and_rejected_agreements_are_not_flagged(city, staff):
    lease = LeaseFactory()
    declined = AgreementFactory(lease=lease)
    agreement_decline(agreement=declined, by=tenant_of(declined))
    rejected = AgreementFactory(lease=lease, start_date=dt.date(2020, 7, 1))
    agreement_reject(agreement=rejected, by=staff, reason="서류 미비")
    standing = AgreementFactory(lease=lease, start_date=dt.date(2020, 10, 1))
    record(standing, kind="change", rent=1_100_000, start=dt.date(2021, 1, 1))
    flags = dict(Agreement.objects.values_list("pk", "clawback"))
    assert flags == {declined.pk: "", rejected.pk: "", standing.pk: "above_pre_cut"}


def test_only_the_latest_lease_record_can_be_followed(city):
    lease = LeaseFactory()
    lease_record_rent_change(
        landlord=lease.property.landlord,
        lease=lease,
        kind="change",
        monthly_rent=900_000,
        deposit=0,
        start_date=dt.date(2020, 3, 1),
    )
    with pytest.raises(LeaseConflictError):
        lease_record_rent_change(
            landlord=lease.property.landlord,
            lease=lease,
            kind="change",
            monthly_rent=950_000,
            deposit=0,
            start_date=dt.date(2020, 4, 1),
        )
    with pytest.raises(LeaseConflictError, match="latest"):
        AgreementFactory(lease=lease)


@pytest.mark.parametrize(
    ("kind", "start", "end", "fragment"),
    [
        ("change", dt.date(2020, 1, 1), None, "after 2020-01-01"),
        ("change", dt.date(2022, 3, 1), None, "renewal"),
        ("renewal", dt.date(2022, 1, 1), None, "end date"),
        ("sideways", dt.date(2020, 3, 1), None, "Choose"),
    ],
)
def test_bad_lease_records_are_refused(city, kind, start, end, fragment):
    lease = LeaseFactory()
    with pytest.raises(RentalError, match=fragment):
        lease_record_rent_change(
            landlord=lease.property.landlord,
            lease=lease,
            kind=kind,
            monthly_rent=900_000,
            deposit=0,
            start_date=start,
            end_date=end,
        )
    assert Lease.objects.count() == 1


# --- Policy --------------------------------------------------------------------------------


def test_staff_set_the_policy_by_date_and_a_date_is_replaced(city, staff):
    policy(staff, dt.date(2020, 1, 1), property_tax_cut_bp=5000)
    policy(staff, dt.date(2020, 1, 1), property_tax_cut_bp=6000)
    assert list(RentalPolicy.objects.values_list("property_tax_cut_bp", flat=True)) == [6000]


def test_only_staff_set_the_policy(city):
    with pytest.raises(RentalPermissionError):
        policy(LandlordFactory(), dt.date(2020, 1, 1))


@pytest.mark.parametrize(
    "bad",
    [
        {"min_reduction_bp": 0},
        {"property_tax_cut_bp": 10001},
        {"min_months": 0},
        {"high_income_threshold": -1},
    ],
)
def test_policy_values_are_checked(city, staff, bad):
    with pytest.raises(RentalError):
        policy(staff, dt.date(2020, 1, 1), **bad)
    assert not RentalPolicy.objects.exists()
