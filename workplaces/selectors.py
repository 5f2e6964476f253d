"""Reads of the city-without-dismissal programme, shared by pages, API and the nightly run."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from accounts.utils import mask_name

from .models import (
    Case,
    Clawback,
    Declaration,
    HelpRequest,
    IncentivePayment,
    Match,
    MonthlyReport,
    PledgeRound,
    WorkerReport,
    Workplace,
)

MANAGE_PERM = "workplaces.manage_workplaces"


def is_workplace_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(MANAGE_PERM)


def rounds_open() -> QuerySet[PledgeRound]:
    return PledgeRound.objects.filter(status=PledgeRound.Status.PUBLISHED).order_by("-starts_on")


def participating(*, q: str = "", district: str = "", industry: str = "") -> QuerySet[Workplace]:
    """Workplaces with a verified declaration (the public list): searchable by name, address
    or district. ``workers``: the baseline headcount pledged."""
    qs = Workplace.objects.filter(declarations__status=Declaration.Status.VERIFIED).distinct()
    text = (q or "").strip()[:100]
    if text:
        qs = qs.filter(
            Q(name__icontains=text) | Q(district__icontains=text) | Q(address__icontains=text)
        )
    if district:
        qs = qs.filter(district=district)
    if industry:
        qs = qs.filter(industry=industry)
    return qs.order_by("name", "pk")


def workplaces_of(user) -> QuerySet[Workplace]:
    return Workplace.objects.filter(owner=user).order_by("name", "pk")


def declarations_of(workplace: Workplace) -> QuerySet[Declaration]:
    return (
        workplace.declarations.select_related("round", "representative")
        .prefetch_related("signatures__signer")
        .order_by("-pk")
    )


def declarations_to_cosign(user) -> QuerySet[Declaration]:
    return Declaration.objects.filter(representative=user).select_related("workplace", "round")


def declarations_for_staff(*, status: str = "") -> QuerySet[Declaration]:
    qs = Declaration.objects.select_related("workplace", "round").order_by("-pk")
    return qs.filter(status=status) if status else qs


def cases_for_staff(*, status: str = "") -> QuerySet[Case]:
    qs = Case.objects.select_related("declaration__workplace").order_by("-opened_at", "-pk")
    return qs.filter(status=status) if status else qs


def case_reporter_masked(report: WorkerReport) -> str:
    """The reporter as staff see them until they unmask: a masked name, never the email."""
    return mask_name(report.reporter.name or "")


def employer_view_of_cases(workplace: Workplace) -> QuerySet[Case]:
    """The cases an employer sees about their workplace: never a worker's report."""
    return Case.objects.filter(declaration__workplace=workplace).exclude(
        kind=Case.Kind.WORKER_REPORT
    )


def payments_of(workplace: Workplace) -> QuerySet[IncentivePayment]:
    return IncentivePayment.objects.filter(declaration__workplace=workplace).order_by("-month")


def clawbacks_of(workplace: Workplace) -> QuerySet[Clawback]:
    return Clawback.objects.filter(declaration__workplace=workplace)


def reports_of(declaration: Declaration) -> QuerySet[MonthlyReport]:
    return declaration.reports.order_by("-month")


def help_requests_open() -> QuerySet[HelpRequest]:
    return HelpRequest.objects.filter(status=HelpRequest.Status.OPEN).select_related("worker")


def workplaces_with_openings() -> QuerySet[Workplace]:
    return participating().filter(openings__gt=0)


def dashboard_figures() -> dict:
    """The staff dashboard: coverage by industry and district, reports, cases, money, matches."""
    verified = Declaration.objects.filter(status=Declaration.Status.VERIFIED)
    labels = dict(Workplace.Industry.choices)
    by_industry = [
        {**row, "label": labels.get(row["workplace__industry"], row["workplace__industry"])}
        for row in verified.values("workplace__industry")
        .annotate(workplaces=Count("pk"), workers=Sum("baseline_headcount"))
        .order_by("workplace__industry")
    ]
    by_district = list(
        verified.values("workplace__district")
        .annotate(workplaces=Count("pk"), workers=Sum("baseline_headcount"))
        .order_by("workplace__district")
    )
    payments = IncentivePayment.objects.filter(status=IncentivePayment.Status.PAID)
    return {
        "workplaces": verified.count(),
        "workers": verified.aggregate(n=Sum("baseline_headcount"))["n"] or 0,
        "by_industry": by_industry,
        "by_district": by_district,
        "reports": MonthlyReport.objects.count(),
        "cases_open": Case.objects.filter(status=Case.Status.OPEN).count(),
        "cases_closed": Case.objects.exclude(status=Case.Status.OPEN).count(),
        "cases_missing": Case.objects.filter(kind=Case.Kind.MISSING_REPORT).count(),
        "paid": payments.aggregate(n=Sum("amount"))["n"] or 0,
        "clawed_back": Clawback.objects.aggregate(n=Sum("amount"))["n"] or 0,
        "matches": Match.objects.count(),
        "help_open": HelpRequest.objects.filter(status=HelpRequest.Status.OPEN).count(),
    }
