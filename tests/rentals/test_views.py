import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.urls import reverse

from rentals.models import Agreement, Lease, Property, RentalPolicy
from rentals.selectors import rental_report
from rentals.services import agreement_verify
from tests.accounts.factories import CitizenFactory, LandlordFactory, OwnerFactory, StaffFactory
from tests.conftest import OTHER_CITY_HOST
from tests.merchants.factories import ShopFactory, add_clerk
from tests.rentals.factories import (
    AgreementFactory,
    LeaseFactory,
    PropertyFactory,
    landlord_of,
    signed,
    tenant_of,
)


def url(name, *args):
    return reverse(f"rentals:{name}", args=args)


@pytest.fixture
def staff(city):
    return StaffFactory()


# --- Pages per role ------------------------------------------------------------------------


def test_home_needs_a_sign_in(city_client):
    response = city_client.get(url("home"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_landlord_home_shows_properties_agreements_and_estimates(city, client_for):
    agreement = AgreementFactory(rate_bp=1000, property_tax_amount=400_000)
    response = client_for(landlord_of(agreement)).get(url("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert agreement.lease.property.address in html
    assert "300,000원" in html  # total reduction
    assert "210,000원" in html  # the national credit estimate, 70%
    assert f'id="propose-{agreement.lease.pk}"' in html


def test_the_tenant_home_lists_agreements_to_sign(city, client_for):
    agreement = AgreementFactory()
    response = client_for(tenant_of(agreement)).get(url("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="open-agreement-{agreement.pk}"' in html
    assert 'id="landlord"' not in html


def test_a_citizen_home_explains_and_shows_nothing(city, client_for):
    AgreementFactory()
    response = client_for(CitizenFactory()).get(url("home"))
    assert response.status_code == 200
    assert b"open-agreement" not in response.content


# --- The landlord's forms --------------------------------------------------------------------


def test_a_landlord_registers_a_property_a_lease_and_proposes(city, client_for):
    landlord = LandlordFactory()
    shop = ShopFactory()
    client = client_for(landlord)
    response = client.post(
        url("property-create"),
        {"address": "전주시 완산구 태조로 44", "unit": "1층", "district": "풍남동"},
    )
    prop = Property.objects.get(landlord=landlord)
    assert response["Location"] == url("lease-create", prop.pk)
    response = client.post(
        url("lease-create", prop.pk),
        {
            "tenant_business_number": shop.business_number_display,
            "monthly_rent": "1,500,000원",
            "deposit": "30,000,000",
            "start_date": "2020-01-01",
            "end_date": "2021-12-31",
        },
    )
    lease = Lease.objects.get(property=prop)
    assert response["Location"] == url("agreement-propose", lease.pk)
    assert lease.monthly_rent == 1_500_000
    response = client.post(
        url("agreement-propose", lease.pk),
        {
            "reduction_kind": "rate",
            "rate_percent": "12.5",
            "months": "3",
            "start_date": "2020-04-01",
            "property_tax_amount": "600,000",
        },
    )
    agreement = Agreement.objects.get(lease=lease)
    assert response["Location"] == url("agreement-detail", agreement.pk)
    assert (agreement.reduction_rate_bp, agreement.monthly_reduction) == (1250, 187_500)
    assert agreement.property_tax_amount == 600_000


def test_a_proposal_below_the_minimum_shows_why_and_saves_nothing(city, client_for):
    lease = LeaseFactory()
    response = client_for(lease.property.landlord).post(
        url("agreement-propose", lease.pk),
        {"reduction_kind": "amount", "amount": "99999", "months": "3", "start_date": "2020-04-01"},
    )
    assert response.status_code == 200
    assert "100,000원" in response.content.decode()
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {
            "reduction_kind": "rate",
            "rate_percent": "abc",
            "months": "3",
            "start_date": "2020-04-01",
        },
        {
            "reduction_kind": "rate",
            "rate_percent": "1e309",
            "months": "3",
            "start_date": "2020-04-01",
        },
        {"reduction_kind": "rate", "months": "3", "start_date": "2020-04-01"},
        {"reduction_kind": "amount", "amount": "-5", "months": "3", "start_date": "2020-04-01"},
        {"reduction_kind": "amount", "amount": "١٢٣٤٥٦", "months": "3", "start_date": "2020-04-01"},
        {"reduction_kind": "amount", "amount": "9" * 40, "months": "3", "start_date": "2020-04-01"},
        {
            "reduction_kind": "rate",
            "rate_percent": "20",
            "months": "99999999999",
            "start_date": "2020-04-01",
        },
        {"reduction_kind": "rate", "rate_percent": "20", "months": "3", "start_date": "9999-12-31"},
        {"reduction_kind": "rate", "rate_percent": "20", "months": "3", "start_date": "0001-01-01"},
        {
            "reduction_kind": "rate",
            "rate_percent": "20",
            "months": "60",
            "start_date": "2099-12-01",
        },
        {
            "reduction_kind": "bogus",
            "rate_percent": "20",
            "months": "3",
            "start_date": "2020-04-01",
        },
        {
            "reduction_kind": "rate",
            "rate_percent": "20",
            "months": "3",
            "start_date": "2020-04-01",
            "end_date": "2020-04-02",
        },
        {
            "reduction_kind": "rate",
            "rate_percent": "20",
            "months": "3",
            "start_date": "2020-04-01",
            "property_tax_amount": "x",
        },
    ],
)
def test_bad_proposals_get_a_form_error_never_a_500(city, client_for, data):
    lease = LeaseFactory()
    response = client_for(lease.property.landlord).post(url("agreement-propose", lease.pk), data)
    assert response.status_code == 200
    assert b'class="form-error"' in response.content
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {
            "tenant_business_number": "",
            "monthly_rent": "1",
            "deposit": "0",
            "start_date": "2020-01-01",
            "end_date": "2020-12-31",
        },
        {
            "tenant_business_number": "000-00-00000",
            "monthly_rent": "100",
            "deposit": "0",
            "start_date": "2020-01-01",
            "end_date": "2020-12-31",
        },
        {
            "tenant_business_number": "123-45-67890",
            "monthly_rent": "0",
            "deposit": "0",
            "start_date": "2020-01-01",
            "end_date": "2020-12-31",
        },
        {
            "tenant_business_number": "123-45-67890",
            "monthly_rent": "100",
            "deposit": "0",
            "start_date": "2020-01-01",
            "end_date": "99999-12-31",
        },
    ],
)
def test_bad_leases_get_a_form_error(city, client_for, data):
    prop = PropertyFactory()
    response = client_for(prop.landlord).post(url("lease-create", prop.pk), data)
    assert response.status_code == 200
    assert b'class="form-error"' in response.content
    assert not Lease.objects.exists()


def test_the_landlords_forms_are_for_landlords_and_their_own_rows(city, client_for):
    lease = LeaseFactory()
    owner = ShopFactory().owner
    assert client_for(owner).get(url("property-create")).status_code == 403
    other = client_for(LandlordFactory())
    assert other.get(url("lease-create", lease.property.pk)).status_code == 404
    assert other.get(url("agreement-propose", lease.pk)).status_code == 404
    assert other.get(url("lease-detail", lease.pk)).status_code == 404
    assert other.post(url("lease-change", lease.pk), {}).status_code == 404


def test_a_rent_rise_recorded_on_the_page_flags_and_warns(city, client_for, staff):
    agreement = signed(AgreementFactory())
    agreement_verify(agreement=agreement, by=staff)
    client = client_for(landlord_of(agreement))
    response = client.post(
        url("lease-change", agreement.lease.pk),
        {
            "kind": "renewal",
            "monthly_rent": "1,100,000",
            "deposit": "20,000,000",
            "start_date": "2022-01-01",
            "end_date": "2023-12-31",
        },
        follow=True,
    )
    assert response.status_code == 200
    agreement.refresh_from_db()
    # Renewal from 2022-01-01 is after 2021-06-30: no claw-back.
    assert agreement.clawback == ""
    new_lease = Lease.objects.get(previous=agreement.lease)
    other = AgreementFactory(lease=new_lease, start_date=dt.date(2022, 1, 1))
    response = client.post(
        url("lease-change", new_lease.pk),
        {
            "kind": "change",
            "monthly_rent": "1,200,000",
            "deposit": "20,000,000",
            "start_date": "2022-06-01",
        },
        follow=True,
    )
    other.refresh_from_db()
    assert other.clawback == "above_pre_cut"
    assert "추징" in response.content.decode()
    detail = client.get(url("agreement-detail", other.pk)).content.decode()
    assert 'id="clawback"' in detail


# --- The agreement page and who may see it ------------------------------------------------------


def test_the_parties_and_staff_see_the_agreement(city, client_for, staff):
    agreement = AgreementFactory()
    for user, marker in (
        (landlord_of(agreement), b'id="edit-link"'),
        (tenant_of(agreement), b'id="sign-button"'),
        (staff, b'id="reject-button"'),
    ):
        response = client_for(user).get(url("agreement-detail", agreement.pk))
        assert response.status_code == 200
        assert marker in response.content
        assert agreement.terms_hash.encode() in response.content


def test_outsiders_get_404_for_agreements_not_theirs(city, client_for):
    agreement = AgreementFactory()
    clerk = add_clerk(agreement.lease.tenant_shop, OwnerFactory())
    for outsider in (LandlordFactory(), ShopFactory().owner, clerk, CitizenFactory()):
        client = client_for(outsider)
        for name in ("agreement-detail", "agreement-print", "agreement-certificate"):
            assert client.get(url(name, agreement.pk)).status_code == 404
        assert (
            client.post(
                url("agreement-sign", agreement.pk), {"terms_hash": agreement.terms_hash}
            ).status_code
            == 404
        )
        assert client.post(url("agreement-decline", agreement.pk)).status_code == 404
    agreement.refresh_from_db()
    assert agreement.status == "proposed"


def test_another_city_sees_nothing(city, other_city, client_for):
    agreement = AgreementFactory()
    address = agreement.lease.property.address
    connection.set_tenant(other_city)
    client = client_for(StaffFactory(), host=OTHER_CITY_HOST, target_city=other_city)
    assert client.get(url("agreement-detail", agreement.pk)).status_code == 404
    assert client.get(url("agreement-print", agreement.pk)).status_code == 404
    listing = client.get(url("staff-list"))
    assert listing.status_code == 200
    assert address.encode() not in listing.content
    assert client.get(url("report")).context["report"].total.agreements == 0
    connection.set_tenant(city)


def test_the_tenant_signs_on_the_page(city, client_for):
    agreement = AgreementFactory()
    client = client_for(tenant_of(agreement))
    response = client.post(
        url("agreement-sign", agreement.pk), {"terms_hash": agreement.terms_hash}
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == "signed"
    html = client.get(url("agreement-detail", agreement.pk)).content.decode()
    assert 'id="tenant-signed"' in html


def test_signing_a_stale_page_changes_nothing_and_says_why(city, client_for):
    agreement = AgreementFactory()
    client = client_for(tenant_of(agreement))
    response = client.post(
        url("agreement-sign", agreement.pk), {"terms_hash": "f" * 64}, follow=True
    )
    assert response.status_code == 200
    assert b"message-error" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "proposed"


def test_the_landlord_and_staff_cannot_sign_for_the_tenant(city, client_for, staff):
    agreement = AgreementFactory()
    for user in (landlord_of(agreement), staff):
        response = client_for(user).post(
            url("agreement-sign", agreement.pk), {"terms_hash": agreement.terms_hash}
        )
        assert response.status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == "proposed"


def test_the_tenant_declines_on_the_page(city, client_for):
    agreement = AgreementFactory()
    client_for(tenant_of(agreement)).post(
        url("agreement-decline", agreement.pk), {"reason": "다음 달에 다시"}
    )
    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_reason) == ("declined", "다음 달에 다시")
    html = (
        client_for(landlord_of(agreement))
        .get(url("agreement-detail", agreement.pk))
        .content.decode()
    )
    assert "다음 달에 다시" in html


def test_changed_terms_show_the_void_signature(city, client_for):
    agreement = signed(AgreementFactory())
    client = client_for(landlord_of(agreement))
    response = client.post(
        url("agreement-edit", agreement.pk),
        {"reduction_kind": "rate", "rate_percent": "25", "months": "3", "start_date": "2020-04-01"},
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.reduction_rate_bp) == ("proposed", 2500)
    html = client.get(url("agreement-detail", agreement.pk)).content.decode()
    assert "rentals-sig-void" in html
    assert 'id="tenant-not-signed"' in html


def test_staff_verify_and_reject_on_the_page(city, client_for, staff):
    agreement = signed(AgreementFactory())
    client = client_for(staff)
    response = client.post(url("agreement-reject", agreement.pk), {"reason": ""}, follow=True)
    assert b"message-error" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "signed"
    assert (
        client.post(
            url("agreement-verify", agreement.pk), {"terms_hash": agreement.terms_hash}
        ).status_code
        == 302
    )
    agreement.refresh_from_db()
    assert agreement.status == "verified"

    rejected = AgreementFactory()
    client.post(url("agreement-reject", rejected.pk), {"reason": "임대차계약서와 금액이 다릅니다"})
    rejected.refresh_from_db()
    assert rejected.status == "rejected"
    html = (
        client_for(landlord_of(rejected)).get(url("agreement-detail", rejected.pk)).content.decode()
    )
    assert "임대차계약서와 금액이 다릅니다" in html
    assert 'id="status-reason"' in html


def test_verifying_an_unsigned_agreement_is_refused_clearly(city, client_for, staff):
    agreement = AgreementFactory()
    response = client_for(staff).post(
        url("agreement-verify", agreement.pk), {"terms_hash": agreement.terms_hash}, follow=True
    )
    assert b"message-error" in response.content
    agreement.refresh_from_db()
    assert agreement.status == "proposed"


def test_only_staff_verify(city, client_for):
    agreement = signed(AgreementFactory())
    for user in (landlord_of(agreement), tenant_of(agreement)):
        assert (
            client_for(user)
            .post(url("agreement-verify", agreement.pk), {"terms_hash": agreement.terms_hash})
            .status_code
            == 403
        )
        assert (
            client_for(user)
            .post(url("agreement-reject", agreement.pk), {"reason": "x"})
            .status_code
            == 403
        )
    agreement.refresh_from_db()
    assert agreement.status == "signed"


def test_the_printable_agreement_and_the_certificate(city, client_for, staff):
    agreement = signed(AgreementFactory())
    landlord = client_for(landlord_of(agreement))
    printable = landlord.get(url("agreement-print", agreement.pk))
    assert printable.status_code == 200
    assert agreement.terms_hash.encode() in printable.content
    assert b"rentals/print.js" in printable.content
    assert landlord.get(url("agreement-certificate", agreement.pk)).status_code == 409
    agreement_verify(agreement=agreement, by=staff)
    certificate = landlord.get(url("agreement-certificate", agreement.pk))
    assert certificate.status_code == 200
    assert f"GR-{agreement.created_at.year}-{agreement.pk:06d}".encode() in certificate.content
    assert client_for(staff).get(url("agreement-certificate", agreement.pk)).status_code == 200
    assert (
        client_for(tenant_of(agreement)).get(url("agreement-certificate", agreement.pk)).status_code
        == 403
    )
    assert (
        client_for(tenant_of(agreement)).get(url("agreement-print", agreement.pk)).status_code
        == 200
    )


def test_the_landlord_updates_the_estimates(city, client_for, staff):
    agreement = AgreementFactory(rate_bp=1000)
    client = client_for(landlord_of(agreement))
    client.post(
        url("agreement-reliefs", agreement.pk),
        {"property_tax_amount": "1,000,000", "income_over_threshold": "yes"},
    )
    agreement.refresh_from_db()
    assert (agreement.property_tax_amount, agreement.income_over_threshold) == (1_000_000, True)
    response = client.post(
        url("agreement-reliefs", agreement.pk), {"property_tax_amount": "lots"}, follow=True
    )
    assert b"message-error" in response.content
    assert (
        client_for(tenant_of(agreement))
        .post(url("agreement-reliefs", agreement.pk), {"property_tax_amount": "1"})
        .status_code
        == 403
    )


# --- Staff pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["staff-list", "report", "report-csv", "policy"])
def test_staff_pages_are_for_staff(city, client_for, staff, name):
    AgreementFactory()
    assert client_for(staff).get(url(name)).status_code == 200
    for user in (LandlordFactory(), OwnerFactory(), CitizenFactory()):
        assert client_for(user).get(url(name)).status_code == 403


def test_the_staff_list_filters(city, client_for, staff):
    proposed = AgreementFactory()
    flagged_one = signed(
        AgreementFactory(lease=LeaseFactory(property=PropertyFactory(district="교동")))
    )
    Agreement.objects.filter(pk=flagged_one.pk).update(clawback="above_pre_cut")
    client = client_for(staff)
    html = client.get(url("staff-list"), {"status": "signed"}).content.decode()
    assert f'id="staff-open-{flagged_one.pk}"' in html
    assert f'id="staff-open-{proposed.pk}"' not in html
    html = client.get(
        url("staff-list"), {"district": "풍남동", "status": "nonsense"}
    ).content.decode()
    assert f'id="staff-open-{proposed.pk}"' in html
    assert f'id="staff-open-{flagged_one.pk}"' not in html
    html = client.get(url("staff-list"), {"flagged": "1"}).content.decode()
    assert f'id="staff-open-{flagged_one.pk}"' in html
    assert f'id="staff-open-{proposed.pk}"' not in html


@pytest.mark.parametrize("scope", ["verified", "active"])
def test_the_csv_export_matches_the_report_page(city, client_for, staff, scope):
    for district, rate in (
        ("풍남동", 1000),
        ("풍남동", 1500),
        ("교동", 2000),
        ("=cmd|' /C calc'!A0", 3000),
    ):
        a = signed(
            AgreementFactory(
                lease=LeaseFactory(property=PropertyFactory(district=district)), rate_bp=rate
            )
        )
        agreement_verify(agreement=a, by=staff)
    AgreementFactory(lease=LeaseFactory(property=PropertyFactory(district="교동")))  # only "active"
    client = client_for(staff)
    page = client.get(url("report"), {"scope": scope})
    report = page.context["report"]
    assert report == rental_report(scope=scope)
    response = client.get(url("report-csv"), {"scope": scope})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    body, total = rows[1:-1], rows[-1]
    assert len(body) == len(report.rows)
    for line, row in zip(body, report.rows, strict=True):
        district = line[0].removeprefix("'") if row.district.startswith("=") else line[0]
        assert district == row.district
        assert [int(v) for v in line[1:]] == [
            row.landlords,
            row.tenant_shops,
            row.agreements,
            row.monthly_reduction,
            row.total_reduction,
        ]
    assert [int(v) for v in total[1:]] == [
        report.total.landlords,
        report.total.tenant_shops,
        report.total.agreements,
        report.total.monthly_reduction,
        report.total.total_reduction,
    ]
    assert not any(line[0].startswith("=") for line in rows)  # no spreadsheet formulas
    html = page.content.decode()
    for row in report.rows:
        assert f"{row.total_reduction:,}원" in html


def test_staff_set_the_policy_on_the_page(city, client_for, staff):
    client = client_for(staff)
    data = {
        "effective_from": "2021-01-01",
        "min_reduction_percent": "10",
        "min_months": "3",
        "property_tax_cut_percent": "70",
        "national_credit_percent": "70",
        "national_credit_high_income_percent": "50",
        "high_income_threshold": "100,000,000",
        "renewal_cap_percent": "5",
    }
    assert client.post(url("policy"), data).status_code == 302
    row = RentalPolicy.objects.get()
    assert (
        row.property_tax_cut_bp,
        row.national_credit_bp,
        row.renewal_cap_bp,
        row.changed_by,
    ) == (7000, 7000, 500, staff)
    response = client.post(url("policy"), {**data, "property_tax_cut_percent": "170"})
    assert response.status_code == 200
    assert RentalPolicy.objects.get().property_tax_cut_bp == 7000


def test_the_admin_shows_agreements_read_only(city, client_for):
    from accounts.models import User

    agreement = signed(AgreementFactory())
    admin = User.objects.create_superuser(email="root@example.kr", password="x-long-password-1")
    client = client_for(admin)
    for path in (
        "/admin/rentals/agreement/",
        f"/admin/rentals/agreement/{agreement.pk}/change/",
        "/admin/rentals/lease/",
        "/admin/rentals/property/",
        "/admin/rentals/rentalpolicy/",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/rentals/agreement/add/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/rentals/agreements/99999999999999999999999/",
        "/rentals/agreements/99999999999999999999999/print/",
        "/rentals/leases/99999999999999999999999/propose/",
        "/rentals/properties/99999999999999999999999/leases/new/",
    ],
)
def test_ids_out_of_range_are_not_found(city, client_for, path):
    assert client_for(LandlordFactory()).get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"district": "\x00x", "status": "\x00"},
        {"flagged": "\x00", "district": "x" * 5000},
    ],
)
def test_odd_filters_never_break_the_staff_pages(city, client_for, staff, query):
    client = client_for(staff)
    # A NUL anywhere in the address is refused with a clear 400 before any view runs
    # (jeonju_prepay.middleware.NulCharacterMiddleware); other odd values are ignored.
    expected = 400 if any("\x00" in value for value in query.values()) else 200
    assert client.get(url("staff-list"), query).status_code == expected
    assert client.get(url("report"), {"scope": "\x00"}).status_code == 400
    assert client.get(url("report"), {"scope": "bogus"}).status_code == 200
    assert client.get(url("report-csv"), {"scope": "bogus"}).status_code == 200


def test_text_with_nul_characters_gets_a_form_error(city, client_for):
    landlord = LandlordFactory()
    response = client_for(landlord).post(
        url("property-create"), {"address": "태조로\x00 1", "district": "풍남동"}
    )
    assert response.status_code == 200
    assert not Property.objects.exists()


def test_staff_are_warned_before_verifying_an_agreement_whose_lease_has_ended(client_for, city):
    """The lease of 2020-2021 and its 2020 cut are over: the page says so and the verify button
    asks for a confirmation; an agreement of a running lease has no warning."""
    from ledger.services import business_date_today
    from rentals.services import agreement_sign
    from tests.rentals.factories import AgreementFactory, LeaseFactory, tenant_of

    ended = AgreementFactory()  # lease 2020-01-01 to 2021-12-31, cut from 2020-04-01
    agreement_sign(agreement=ended, by=tenant_of(ended), terms_hash=ended.terms_hash)
    staff = StaffFactory()
    html = client_for(staff).get(f"/rentals/agreements/{ended.pk}/").content.decode()
    assert "임대차 계약이 2021-12-31에 끝났습니다" in html
    assert 'id="verify-form" data-confirm=' in html

    today = business_date_today()
    running = AgreementFactory(
        lease=LeaseFactory(
            start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=700)
        ),
        start_date=today.replace(day=1),
    )
    agreement_sign(agreement=running, by=tenant_of(running), terms_hash=running.terms_hash)
    html = client_for(staff).get(f"/rentals/agreements/{running.pk}/").content.decode()
    assert 'id="agreement-warnings"' not in html
    assert 'id="verify-form">' in html
