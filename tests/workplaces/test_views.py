"""The pages, through the test client: the whole journey of a workplace, and what each party
may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.factories import CitizenFactory, StaffFactory
from workplaces import services
from workplaces.models import Case, Declaration, DocumentView, Workplace

from .factories import RoundFactory, declaration_verified

pytestmark = pytest.mark.django_db


def test_register_sign_cosign_verify_report_and_open_the_case(city, client_for):
    pledge_round = RoundFactory()
    employer, representative, staff = CitizenFactory(), CitizenFactory(), StaffFactory()
    as_employer = client_for(employer)
    response = as_employer.post(
        reverse("workplaces:register"),
        {
            "name": "팔복제작소",
            "business_number": "124-81-00998",
            "address": "전주시 덕진구 팔복로 1",
            "district": "풍남동",
            "industry": "manufacturing",
            "size": "small",
            "baseline_headcount": "25",
        },
    )
    workplace = Workplace.objects.get(name="팔복제작소")
    assert response.status_code == 302
    detail = reverse("workplaces:detail", args=[workplace.pk])
    assert pledge_round.text_hash[:16] in as_employer.get(detail).content.decode()
    as_employer.post(
        reverse("workplaces:pledge", args=[workplace.pk]),
        {
            "round_id": pledge_round.pk,
            "text_hash": pledge_round.text_hash,
            "representative_email": representative.email,
            "consent": "on",
        },
    )
    declaration = Declaration.objects.get(workplace=workplace)
    page = reverse("workplaces:declaration", args=[declaration.pk])
    client_for(representative).post(page, {"text_hash": declaration.text_hash, "consent": "on"})
    declaration.refresh_from_db()
    assert declaration.status == "signed"
    as_staff = client_for(staff)
    as_staff.post(reverse("workplaces:declaration-verify", args=[declaration.pk]))
    declaration.refresh_from_db()
    assert declaration.status == "verified"
    assert "팔복제작소" in client_for().get(reverse("workplaces:list")).content.decode()
    as_employer.post(
        reverse("workplaces:report", args=[workplace.pk]),
        {
            "month": "2021-03",
            "headcount": "24",
            "hires": "0",
            "resignations": "0",
            "retirements": "0",
            "fixed_term_ends": "0",
            "dismissals": "1",
        },
    )
    case = Case.objects.get(declaration=declaration)
    assert case.kind == "dismissal"
    assert "팔복제작소" in as_staff.get(reverse("workplaces:staff")).content.decode()
    as_staff.post(
        reverse("workplaces:case", args=[case.pk]), {"decision": "accept", "note": "권고사직"}
    )
    case.refresh_from_db()
    assert case.status == "accepted"


def test_a_bad_business_number_is_a_form_error_and_registers_nothing(city, client_for):
    response = client_for(CitizenFactory()).post(
        reverse("workplaces:register"),
        {
            "name": "팔복제작소",
            "business_number": "124-81-00999",
            "address": "전주시",
            "district": "풍남동",
            "industry": "manufacturing",
            "size": "small",
            "baseline_headcount": "25",
        },
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not Workplace.objects.exists()


def test_the_employer_never_sees_a_workers_report_staff_see_it_masked(city, client_for):
    declaration = declaration_verified()
    worker = CitizenFactory(name="김민수")
    report = services.worker_report_file(
        by=worker, workplace=declaration.workplace, text="비밀 제보 내용"
    )
    employer_page = client_for(declaration.workplace.owner).get(
        reverse("workplaces:detail", args=[declaration.workplace.pk])
    )
    assert "비밀 제보 내용" not in employer_page.content.decode()
    as_staff = client_for(StaffFactory())
    page = as_staff.get(reverse("workplaces:case", args=[report.case.pk])).content.decode()
    assert "비밀 제보 내용" in page
    assert "김*수" in page
    assert worker.email not in page
    page = as_staff.post(
        reverse("workplaces:case", args=[report.case.pk]), {"reason": "사실 확인"}
    ).content.decode()
    assert worker.email in page
    assert report.unmasks.count() == 1


def test_the_roster_opens_for_owner_and_staff_only_and_is_logged(
    city, client_for, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    declaration = declaration_verified()
    document = services.evidence_upload(
        by=declaration.workplace.owner,
        workplace=declaration.workplace,
        name="roster.csv",
        content=b"x\n",
    )
    url = reverse("workplaces:evidence-open", args=[document.pk])
    assert client_for(CitizenFactory()).get(url).status_code == 404
    response = client_for(StaffFactory()).get(url)
    assert response.status_code == 200
    assert response.content == b"x\n"
    assert DocumentView.objects.count() == 1


def test_staff_record_a_tax_deferral_and_a_clawback_repayment(city, client_for):
    import datetime as dt

    from ledger.models import Account
    from ledger.selectors import account_balance
    from ledger.services import account_get_or_create

    pledge_round = RoundFactory(tax_deferral_months=6, clawback_months=0)
    staff = StaffFactory()
    services.round_fund(by=staff, pledge_round=pledge_round, amount=5_000_000, idempotency_key="f")
    declaration = declaration_verified(pledge_round=pledge_round)
    as_staff = client_for(staff)
    url = reverse("workplaces:tax-deferral", args=[declaration.pk])
    as_staff.post(url, {"tax": "지방소득세", "amount": "1000000", "original_due": "2021-08-31"})
    assert declaration.tax_deferrals.get().deferred_due == dt.date(2022, 2, 28)
    services.report_file(
        by=declaration.workplace.owner,
        declaration=declaration,
        data=services.ReportInput(month=dt.date(2021, 1, 1), headcount=25),
    )
    services.incentives_run(month=dt.date(2021, 1, 1))  # 3,250,000 paid
    report = services.report_file(
        by=declaration.workplace.owner,
        declaration=declaration,
        data=services.ReportInput(month=dt.date(2021, 2, 1), headcount=25, dismissals=1),
    )
    services.case_close(by=staff, case=report.cases.get(), breach=True, note="위반")
    repay = reverse("workplaces:clawback-repay", args=[declaration.pk])
    for _ in range(2):  # the same form sent twice repays once
        as_staff.post(repay, {"amount": "1000000", "idempotency_key": "k1"})
    receivable = account_get_or_create(
        kind=Account.Kind.EMPLOYER_RECEIVABLE, user=declaration.workplace.owner
    )
    assert account_balance(receivable.pk) == 2_250_000
    page = as_staff.get(reverse("workplaces:declaration", args=[declaration.pk]))
    assert "3,250,000원" in page.content.decode()
