"""The programme's rules with exact figures (see ``workplaces.rules``' worked example).

A round pays 100,000 won premium support + 30,000 won loan interest support = 130,000 won per
retained worker a month; the tolerance is 10% of the baseline (25 workers → 2 workers).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from districts.exceptions import DistrictError
from districts.services import district_create
from ledger.models import Account
from ledger.selectors import account_balance, ledger_check
from ledger.services import account_get_or_create
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.merchants.factories import ShopFactory
from workplaces import rules, selectors, services
from workplaces.exceptions import (
    DeclarationStatusError,
    ReportExistsError,
    TextChangedError,
    WorkplaceError,
    WorkplaceNotFoundError,
    WorkplacePermissionError,
)
from workplaces.models import (
    Case,
    Declaration,
    DocumentView,
    IncentivePayment,
    MonthlyReport,
    ReporterUnmask,
    ReportReminder,
)

from .factories import RoundFactory, WorkplaceFactory, declaration_verified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


JAN, FEB, MAR, APR = (dt.date(2021, m, 1) for m in (1, 2, 3, 4))


def _report(declaration, month, headcount, **departures):
    return services.report_file(
        by=declaration.workplace.owner,
        declaration=declaration,
        data=services.ReportInput(month=month, headcount=headcount, **departures),
    )


def _budget(pledge_round):
    return account_balance(services.round_budget_account(pledge_round).pk)


# --- Registration --------------------------------------------------------------------------------


def test_register_refuses_a_business_number_with_a_wrong_check_digit(city):
    owner = CitizenFactory()
    with pytest.raises(WorkplaceError, match="last digit"):
        services.workplace_register(
            owner=owner,
            name="전주제작소",
            business_number="1248100999",  # 124-81-00998 is valid; the check digit is 8
            address="전주시 덕진구 팔복로 1",
            district="풍남동",
            industry="manufacturing",
            size="small",
            baseline_headcount=25,
        )


def test_register_refuses_a_district_not_on_the_citys_list(city):
    district_create(name="풍남동")
    with pytest.raises(DistrictError, match="not one of the city's districts"):
        services.workplace_register(
            owner=CitizenFactory(),
            name="전주제작소",
            business_number="1248100998",
            address="서울시 강남구",
            district="역삼동",
            industry="manufacturing",
            size="small",
            baseline_headcount=25,
        )


def test_shop_owner_reuses_the_shops_details(city):
    shop = ShopFactory()
    workplace = services.workplace_register(
        owner=shop.owner, shop=shop, industry="food", size="micro", baseline_headcount=4
    )
    assert (workplace.name, workplace.business_number, workplace.district) == (
        shop.name,
        shop.business_number,
        shop.district,
    )
    with pytest.raises(WorkplacePermissionError):
        services.workplace_register(
            owner=CitizenFactory(), shop=shop, industry="food", size="micro", baseline_headcount=4
        )


def test_evidence_is_private_and_every_view_is_logged(city, settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path
    workplace = WorkplaceFactory()
    document = services.evidence_upload(
        by=workplace.owner, workplace=workplace, name="roster.csv", content=b"name,joined\n"
    )
    staff = StaffFactory()
    assert services.evidence_open(by=staff, document=document) == b"name,joined\n"
    assert services.evidence_open(by=workplace.owner, document=document) == b"name,joined\n"
    with pytest.raises(WorkplaceNotFoundError):
        services.evidence_open(by=CitizenFactory(), document=document)
    assert list(
        DocumentView.objects.filter(document=document)
        .order_by("pk")
        .values_list("viewer", flat=True)
    ) == [staff.pk, workplace.owner.pk]
    with pytest.raises(WorkplaceError):
        services.evidence_upload(
            by=workplace.owner, workplace=workplace, name="roster.exe", content=b"MZ"
        )


# --- Signing ------------------------------------------------------------------------------------


def test_both_parties_sign_the_same_text_and_staff_verify(city):
    pledge_round = RoundFactory()
    workplace = WorkplaceFactory()
    representative = CitizenFactory()
    assert pledge_round.text_hash == rules.text_hash(pledge_round.text)
    with pytest.raises(TextChangedError):
        services.declaration_sign_employer(
            employer=workplace.owner,
            workplace=workplace,
            pledge_round=pledge_round,
            representative_email=representative.email,
            text_hash="0" * 64,
            consent=True,
        )
    with pytest.raises(WorkplaceError):  # no consent, no signature
        services.declaration_sign_employer(
            employer=workplace.owner,
            workplace=workplace,
            pledge_round=pledge_round,
            representative_email=representative.email,
            text_hash=pledge_round.text_hash,
            consent=False,
        )
    declaration = services.declaration_sign_employer(
        employer=workplace.owner,
        workplace=workplace,
        pledge_round=pledge_round,
        representative_email=representative.email,
        text_hash=pledge_round.text_hash,
        consent=True,
    )
    staff = StaffFactory()
    with pytest.raises(DeclarationStatusError):  # the representative has not signed
        services.declaration_verify(by=staff, declaration=declaration)
    with pytest.raises(WorkplaceNotFoundError):  # someone else cannot co-sign
        services.declaration_sign_representative(
            by=CitizenFactory(),
            declaration=declaration,
            text_hash=declaration.text_hash,
            consent=True,
        )
    services.declaration_sign_representative(
        by=representative, declaration=declaration, text_hash=declaration.text_hash, consent=True
    )
    assert workplace not in selectors.participating()
    services.declaration_verify(by=staff, declaration=declaration)
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.VERIFIED
    signatures = list(declaration.signatures.values_list("party", "signer", "text_hash"))
    assert signatures == [
        ("employer", workplace.owner.pk, pledge_round.text_hash),
        ("representative", representative.pk, pledge_round.text_hash),
    ]
    assert list(selectors.participating(q="전주제작소")) == [workplace]
    assert list(selectors.participating(q="없는이름")) == []


# --- Reports, tolerance, cases ----------------------------------------------------------------------


def test_tolerance_is_ten_percent_of_the_baseline_rounded_down(city):
    # Baseline 25, 10%: 2.5 → 2 workers tolerated.
    declaration = declaration_verified()
    assert _report(declaration, JAN, 23).cases.count() == 0  # 2 short: within
    report = _report(declaration, FEB, 22)  # 3 short: beyond
    assert list(report.cases.values_list("kind", flat=True)) == [Case.Kind.SHORTFALL]


def test_accepted_departures_explain_a_shortfall(city):
    declaration = declaration_verified()
    # 4 short, 2 of them resigned or retired: 2 unexplained, within the tolerance.
    assert _report(declaration, JAN, 21, resignations=1, retirements=1).cases.count() == 0
    # 5 short, 2 explained so far (January) + 0 now: 3 unexplained → a case.
    assert _report(declaration, FEB, 20).cases.count() == 1


def test_a_dismissal_opens_a_case_whatever_the_headcount(city):
    declaration = declaration_verified()
    report = _report(declaration, JAN, 25, dismissals=1)
    assert list(report.cases.values_list("kind", flat=True)) == [Case.Kind.DISMISSAL]


def test_a_second_report_for_a_month_is_refused_and_the_first_stands(city):
    declaration = declaration_verified()
    _report(declaration, JAN, 25)
    with pytest.raises(ReportExistsError):
        _report(declaration, JAN, 10, dismissals=5)
    assert MonthlyReport.objects.get(declaration=declaration, month=JAN).headcount == 25
    assert not Case.objects.filter(declaration=declaration).exists()


def test_only_the_employer_files_and_not_before_verification(city):
    pledge_round = RoundFactory()
    declaration = declaration_verified(pledge_round=pledge_round)
    with pytest.raises(WorkplaceNotFoundError):
        services.report_file(
            by=CitizenFactory(),
            declaration=declaration,
            data=services.ReportInput(month=JAN, headcount=25),
        )
    with pytest.raises(WorkplaceError, match="term"):
        _report(declaration, dt.date(2020, 12, 1), 25)


def test_staff_import_a_months_file_all_or_nothing(city):
    pledge_round = RoundFactory()
    one = declaration_verified(pledge_round=pledge_round)
    two = declaration_verified(pledge_round=pledge_round)
    header = "business_number,month,headcount,hires,resignations,retirements,fixed_term_ends,dismissals\n"
    bad = (
        header
        + f"{one.workplace.business_number},2021-01,25,0,0,0,0,0\n"
        + "1234567890,2021-01,9,0,0,0,0,0\n"
    )
    staff = StaffFactory()
    with pytest.raises(WorkplaceError, match="Row 3"):
        services.reports_import(
            by=staff, pledge_round=pledge_round, name="m.csv", content=bad.encode()
        )
    assert MonthlyReport.objects.count() == 0
    good = (
        header
        + f"{one.workplace.business_number},2021-01,25,0,0,0,0,0\n"
        + f"{two.workplace.business_number},2021-01,24,0,0,0,0,1\n"
    )
    assert (
        services.reports_import(
            by=staff, pledge_round=pledge_round, name="m.csv", content=good.encode()
        )
        == 2
    )
    assert Case.objects.get().declaration == two


def test_a_missing_report_is_chased_then_flagged(city):
    declaration = declaration_verified()
    _report(declaration, JAN, 25)
    # February: missing. No case before the reminder; the reminder goes once.
    assert services.reports_flag_missing(month=FEB) == 0
    assert services.reports_chase(month=FEB) == 1
    assert services.reports_chase(month=FEB) == 0
    assert ReportReminder.objects.filter(month=FEB).count() == 1
    assert services.reports_flag_missing(month=FEB) == 1
    assert services.reports_flag_missing(month=FEB) == 0
    assert services.reports_chase(month=JAN) == 0  # January was filed


# --- Incentives ----------------------------------------------------------------------------------


def test_incentive_is_retained_workers_times_the_amount_per_worker(city):
    pledge_round = RoundFactory()
    staff = pledge_round.created_by
    services.round_fund(
        by=staff, pledge_round=pledge_round, amount=10_000_000, idempotency_key="f1"
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    _report(declaration, JAN, 24)  # 24 retained × 130,000 = 3,120,000
    _report(declaration, FEB, 27)  # above the baseline: 25 × 130,000 = 3,250,000
    assert services.incentives_run(month=JAN) == {"paid": 1, "no_budget": 0, "amount": 3_120_000}
    assert services.incentives_run(month=FEB) == {"paid": 1, "no_budget": 0, "amount": 3_250_000}
    assert _budget(pledge_round) == 10_000_000 - 3_120_000 - 3_250_000
    assert list(IncentivePayment.objects.order_by("month").values_list("retained", "amount")) == [
        (24, 3_120_000),
        (25, 3_250_000),
    ]
    assert ledger_check().ok


def test_the_monthly_run_twice_pays_once(city):
    pledge_round = RoundFactory()
    services.round_fund(
        by=pledge_round.created_by,
        pledge_round=pledge_round,
        amount=10_000_000,
        idempotency_key="f",
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    _report(declaration, JAN, 25)
    first = services.incentives_run(month=JAN)
    second = services.incentives_run(month=JAN)
    assert first == {"paid": 1, "no_budget": 0, "amount": 3_250_000}
    assert second == {"paid": 0, "no_budget": 0, "amount": 0}
    assert _budget(pledge_round) == 6_750_000
    assert IncentivePayment.objects.count() == 1


def test_the_budget_is_never_overspent(city):
    # 5,000,000 won pays one workplace's 3,250,000; the second would overdraw it: not paid.
    pledge_round = RoundFactory()
    services.round_fund(
        by=pledge_round.created_by, pledge_round=pledge_round, amount=5_000_000, idempotency_key="f"
    )
    one = declaration_verified(pledge_round=pledge_round)
    two = declaration_verified(pledge_round=pledge_round)
    _report(one, JAN, 25)
    _report(two, JAN, 25)
    assert services.incentives_run(month=JAN) == {"paid": 1, "no_budget": 1, "amount": 3_250_000}
    assert _budget(pledge_round) == 1_750_000
    assert IncentivePayment.objects.get(declaration=two).status == IncentivePayment.Status.NO_BUDGET
    assert ledger_check().ok


def test_an_open_case_holds_the_months_incentive_until_closed(city):
    pledge_round = RoundFactory()
    services.round_fund(
        by=pledge_round.created_by,
        pledge_round=pledge_round,
        amount=10_000_000,
        idempotency_key="f",
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    report = _report(declaration, JAN, 25, dismissals=1)
    assert services.incentives_run(month=JAN)["paid"] == 0
    services.case_close(
        by=StaffFactory(), case=report.cases.get(), breach=False, note="권고사직 확인"
    )
    assert services.incentives_run(month=JAN) == {"paid": 1, "no_budget": 0, "amount": 3_250_000}


def test_gift_certificates_go_to_the_employers_wallet(city):
    pledge_round = RoundFactory(pay_in_gift_certificates=True)
    services.round_fund(
        by=pledge_round.created_by,
        pledge_round=pledge_round,
        amount=10_000_000,
        idempotency_key="f",
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    _report(declaration, JAN, 24)  # 24 × 130,000
    services.incentives_run(month=JAN)
    wallet = account_get_or_create(
        kind=Account.Kind.WALLET_INCENTIVE, user=declaration.workplace.owner
    )
    assert account_balance(wallet.pk) == 3_120_000


def test_a_confirmed_breach_stops_incentives_and_claws_back_the_rules_months(city):
    # Clawback of the last 2 months up to the breach: January, February, March paid
    # 3,250,000 each; a breach in March claws back February and March = 6,500,000.
    pledge_round = RoundFactory(clawback_months=2)
    services.round_fund(
        by=pledge_round.created_by,
        pledge_round=pledge_round,
        amount=20_000_000,
        idempotency_key="f",
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    for month in (JAN, FEB):
        _report(declaration, month, 25)
        services.incentives_run(month=month)
    report = _report(declaration, MAR, 25, dismissals=1)
    # The dismissal case holds March's pay; the breach confirms it was not due.
    assert services.incentives_run(month=MAR)["paid"] == 0
    services.case_close(
        by=StaffFactory(), case=report.cases.get(), breach=True, note="부당해고 확인"
    )
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.BREACHED
    clawback = declaration.clawback
    assert clawback.amount == 3_250_000  # only February was paid within the two months
    receivable = account_get_or_create(
        kind=Account.Kind.EMPLOYER_RECEIVABLE, user=declaration.workplace.owner
    )
    assert account_balance(receivable.pk) == 3_250_000
    assert list(selectors.clawbacks_of(declaration.workplace)) == [clawback]
    _report(declaration, APR, 25)
    assert services.incentives_run(month=APR)["paid"] == 0
    assert services.incentives_run(month=MAR)["paid"] == 0
    assert _budget(pledge_round) == 20_000_000 - 2 * 3_250_000
    services.clawback_repay(
        by=StaffFactory(), clawback=clawback, amount=3_250_000, idempotency_key="r1"
    )
    assert account_balance(receivable.pk) == 0
    assert _budget(pledge_round) == 20_000_000 - 3_250_000
    assert ledger_check().ok


def test_clawback_of_all_months_when_the_round_says_zero(city):
    pledge_round = RoundFactory(clawback_months=0)
    services.round_fund(
        by=pledge_round.created_by,
        pledge_round=pledge_round,
        amount=20_000_000,
        idempotency_key="f",
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    for month, headcount in ((JAN, 25), (FEB, 24), (MAR, 25)):
        _report(declaration, month, headcount)
        services.incentives_run(month=month)
    worker = CitizenFactory()
    report = services.worker_report_file(
        by=worker, workplace=declaration.workplace, text="3월 말에 해고 통보를 받았습니다."
    )
    services.case_close(by=StaffFactory(), case=report.case, breach=True, note="확인")
    declaration.refresh_from_db()
    # 3,250,000 + 3,120,000 + 3,250,000
    assert declaration.clawback.amount == 9_620_000


def test_tax_deferral_due_date_moves_by_the_rounds_months(city):
    pledge_round = RoundFactory(tax_deferral_months=6)
    declaration = declaration_verified(pledge_round=pledge_round)
    deferral = services.tax_deferral_record(
        by=StaffFactory(),
        declaration=declaration,
        tax="지방소득세",
        amount=1_200_000,
        original_due=dt.date(2021, 8, 31),
    )
    assert deferral.deferred_due == dt.date(2022, 2, 28)


# --- Workers -----------------------------------------------------------------------------------------


def test_a_workers_report_reaches_staff_only_masked_until_unmasked(city):
    declaration = declaration_verified()
    other = declaration_verified()
    worker = CitizenFactory(name="김민수")
    report = services.worker_report_file(
        by=worker, workplace=declaration.workplace, text="해고 통보를 받았습니다."
    )
    # The employer and other workplaces never see it.
    assert report.case not in selectors.employer_view_of_cases(declaration.workplace)
    assert not selectors.employer_view_of_cases(other.workplace).exists()
    # Staff see it masked until they unmask it, and that is logged.
    assert selectors.case_reporter_masked(report) == "김*수"
    staff = StaffFactory()
    with pytest.raises(WorkplacePermissionError):
        services.worker_report_unmask(by=declaration.workplace.owner, report=report, reason="궁금")
    assert services.worker_report_unmask(by=staff, report=report, reason="사실 확인 연락") == worker
    assert list(ReporterUnmask.objects.values_list("staff", "reason")) == [
        (staff.pk, "사실 확인 연락")
    ]


def test_a_dismissed_worker_is_matched_with_a_workplace_with_openings(city):
    declaration = declaration_verified()
    worker = CitizenFactory()
    request = services.help_request_create(
        worker=worker, former_workplace="완산상사", wanted_industry="manufacturing"
    )
    staff = StaffFactory()
    with pytest.raises(WorkplaceError, match="no open positions"):
        services.match_create(by=staff, help_request=request, workplace=declaration.workplace)
    services.workplace_set_openings(
        owner=declaration.workplace.owner, workplace=declaration.workplace, openings=2
    )
    declaration.workplace.refresh_from_db()
    match = services.match_create(by=staff, help_request=request, workplace=declaration.workplace)
    request.refresh_from_db()
    assert (request.status, match.workplace) == ("matched", declaration.workplace)
    assert selectors.dashboard_figures()["matches"] == 1


def test_the_month_command_runs_the_month_once(city):
    from io import StringIO

    from django.core.management import call_command

    pledge_round = RoundFactory()
    services.round_fund(
        by=pledge_round.created_by,
        pledge_round=pledge_round,
        amount=10_000_000,
        idempotency_key="f",
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    _report(declaration, JAN, 25)
    out = StringIO()
    call_command("workplaces_month", schema="jeonju", month="2021-01", stdout=out)
    call_command("workplaces_month", schema="jeonju", month="2021-01", stdout=out)
    assert out.getvalue().splitlines() == [
        "2021-01: 0 reminders, 0 missing flagged, 1 paid (3,250,000 won), 0 without budget",
        "2021-01: 0 reminders, 0 missing flagged, 0 paid (0 won), 0 without budget",
    ]


def test_a_month_is_reported_once_it_has_ended(city):
    from django.utils import timezone

    this_month = timezone.localdate().replace(day=1)
    pledge_round = RoundFactory(
        starts_on=rules.month_add(this_month, -2), ends_on=rules.month_add(this_month, 3)
    )
    declaration = declaration_verified(pledge_round=pledge_round)
    with pytest.raises(WorkplaceError, match="ended"):
        _report(declaration, this_month, 25)
    assert _report(declaration, rules.month_add(this_month, -1), 25).headcount == 25
