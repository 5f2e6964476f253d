"""The grants' pages: apply with a document, documents by role (every view logged), staff
review, payment and programme setup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grants.models import Application, Document, DocumentView, Programme
from tests.accounts.factories import CitizenFactory, OwnerFactory, StaffFactory
from tests.grants.factories import apply, jeonju_2020

PDF = b"%PDF-1.4\n% evidence\n"


@pytest.fixture
def programme(city, staff):
    return jeonju_2020(staff, budget=527_158 * 5)


def _apply_page(client, programme, **overrides):
    data = {
        "group": "day_worker",
        "identifier": "900101-1234567",
        "household": "전주시 완산구 효자동 1",
        "household_size": "1",
        "consent": "on",
        "document": SimpleUploadedFile("contract.pdf", PDF, content_type="application/pdf"),
    }
    data.update(overrides)
    return client.post(f"/grants/{programme.pk}/apply/", data)


def test_a_citizen_applies_with_a_document_and_sees_the_status(client_for, programme):
    citizen = CitizenFactory(name="김민수")
    client = client_for(citizen)
    page = client.get("/grants/")
    assert page.status_code == 200
    assert "527,158원" in page.content.decode()
    response = _apply_page(client, programme)
    application = Application.objects.get(applicant=citizen)
    assert response.status_code == 302
    assert response["Location"] == f"/grants/applications/{application.pk}/"
    document = Document.objects.get(application=application)
    assert (document.size, document.content_type) == (len(PDF), "application/pdf")
    assert document.retain_until == dt.date(2035, 12, 30)  # five years of days after the deadline
    status = client.get(response["Location"]).content.decode()
    assert "900101-1******" in status
    assert "1234567" not in status


def test_the_apply_form_shows_errors_and_changes_nothing(client_for, programme):
    client = client_for(CitizenFactory())
    response = _apply_page(client, programme, consent="", household="")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert Application.objects.count() == 0
    wrong_type = _apply_page(
        client,
        programme,
        document=SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload"),
    )
    assert wrong_type.status_code == 302  # applied; the file was refused with a message
    assert Document.objects.count() == 0


def test_a_document_opens_for_its_applicant_and_grant_staff_only_and_each_view_is_logged(
    client_for, programme, staff
):
    citizen = CitizenFactory()
    _apply_page(client_for(citizen), programme)
    document = Document.objects.get()
    url = f"/grants/documents/{document.pk}/"
    own = client_for(citizen).get(url)
    assert own.status_code == 200
    assert own.content == PDF
    assert own["Cache-Control"] == "private, no-store"
    assert client_for(staff).get(url).status_code == 200
    assert client_for(CitizenFactory()).get(url).status_code == 404
    assert client_for(OwnerFactory()).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302  # to sign-in
    viewers = list(DocumentView.objects.order_by("id").values_list("viewer_id", flat=True))
    assert viewers == [citizen.pk, staff.pk]


def test_staff_review_approve_and_pay_from_the_pages(client_for, programme, staff):
    application = apply(programme, CitizenFactory(name="이준"))
    client = client_for(staff)
    queue = client.get(f"/grants/staff/{programme.pk}/").content.decode()
    assert "이*" in queue
    assert application.person_masked in queue
    refused = client.post(
        f"/grants/staff/applications/{application.pk}/", {"decision": "reject", "reason": ""}
    )
    assert refused.status_code == 200
    assert 'role="alert"' in refused.content.decode()
    client.post(f"/grants/staff/applications/{application.pk}/", {"decision": "approve"})
    application.refresh_from_db()
    assert application.status == "approved"
    client.post(f"/grants/staff/{programme.pk}/pay/")
    application.refresh_from_db()
    assert application.status == "paid"
    figures = client.get(f"/grants/staff/{programme.pk}/").content.decode()
    assert "527,158원 (1)" in figures


def test_staff_pages_are_closed_to_citizens(client_for, programme):
    client = client_for(CitizenFactory())
    assert client.get("/grants/staff/").status_code == 403
    assert client.get(f"/grants/staff/{programme.pk}/").status_code == 403
    assert client.post(f"/grants/staff/{programme.pk}/pay/").status_code == 403


def test_staff_set_a_programme_up_and_open_it(client_for):
    staff = StaffFactory()
    client = client_for(staff)
    response = client.post(
        "/grants/staff/new/",
        {
            "name": "전주형 재난기본소득 2차",
            "per": "person",
            "amount_rule": "median_share",
            "median_share_percent": "30",
            "median_table": "1=1757194\n2=2991980",
            "apply_from": "2026-01-01",
            "apply_until": "2030-12-31",
            "spend_until": "2031-03-31",
            "budget": "52715800",
            "groups": "unemployed | 실업자 | 이력내역서\nday_worker | 일용직 | 근로계약서",
            "excluded_categories": ["large_mart", "golf"],
            "districts": "풍남동, 효자동",
        },
    )
    programme = Programme.objects.get(name="전주형 재난기본소득 2차")
    assert response.status_code == 302
    assert programme.median_share_bp == 3000
    assert programme.districts == ["풍남동", "효자동"]
    assert programme.status == "draft"
    client.post(f"/grants/staff/{programme.pk}/open/")
    programme.refresh_from_db()
    assert (programme.status, programme.funded) == ("open", 52_715_800)


def test_staff_import_a_list_from_csv(client_for, programme, staff):
    application = apply(programme, CitizenFactory(), identifier="8001011111111")
    csv = b"identifier,health_premium,property_tax\n800101-1111111,120000,0\n"
    client_for(staff).post(
        f"/grants/staff/{programme.pk}/import/",
        {"kind": "income", "file": SimpleUploadedFile("list.csv", csv, content_type="text/csv")},
    )
    application.refresh_from_db()
    assert application.flags == ["premium_over"]


def test_the_wallet_page_shows_the_grant(client_for, programme, staff):
    from grants.services import APPROVE, application_decide, grants_pay

    citizen = CitizenFactory()
    application_decide(application=apply(programme, citizen), by=staff, decision=APPROVE)
    grants_pay(programme=programme, by=staff)
    page = client_for(citizen).get("/wallet/").content.decode()
    assert 'id="wallet-grant"' in page
    assert "527,158원" in page
