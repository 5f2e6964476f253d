"""Pages of the city-without-dismissal programme: the public list, the employer's workplace, the
workers' representative's co-signing, a worker's confidential report and request for help, and
the staff's dashboard, cases and import. Thin: parse, call one service or selector, render.

A domain error with status 403 or 404 escapes to ``DomainErrorMiddleware`` (the 403/404 page);
any other refusal is shown as a form error or a message, and nothing has changed.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError
from merchants.models import Shop

from . import rules, selectors, services
from .exceptions import WorkplaceNotFoundError
from .forms import (
    CaseCloseForm,
    CosignForm,
    EvidenceForm,
    FundForm,
    HelpRequestForm,
    ImportForm,
    MatchForm,
    MonthForm,
    OpeningsForm,
    PledgeForm,
    RejectForm,
    RepayForm,
    ReportForm,
    RoundForm,
    TaxDeferralForm,
    UnmaskForm,
    WorkerReportForm,
    WorkplaceForm,
)
from .models import Case, Declaration, EvidenceDocument, HelpRequest, PledgeRound, Workplace

MANAGE = selectors.MANAGE_PERM


def _refused(request, exc: ApplicationError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


def _form_refused(form, exc: ApplicationError) -> None:
    if exc.status in (403, 404):
        raise exc
    form.add_error(None, exc.message)


# --- Public --------------------------------------------------------------------------------------


def public_list(request):
    """Participating workplaces, searchable by anyone (workers check their workplace here)."""
    q = request.GET.get("q", "")[:100]
    district = request.GET.get("district", "")[:50]
    workplaces = selectors.participating(q=q, district=district)[:500]
    return render(
        request,
        "workplaces/public_list.html",
        {
            "workplaces": workplaces,
            "q": q,
            "figures": selectors.dashboard_figures(),
        },
    )


# --- Employer -------------------------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "workplaces/home.html",
        {
            "workplaces": selectors.workplaces_of(user),
            "to_cosign": selectors.declarations_to_cosign(user),
            "is_staff": selectors.is_workplace_staff(user),
        },
    )


@login_required
def register(request):
    shops = list(
        Shop.objects.filter(
            members__user=request.user, members__role="owner", status=Shop.Status.APPROVED
        ).order_by("name")
    )
    form = WorkplaceForm(request.POST or None, shops=shops)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        shop = next((s for s in shops if s.pk == data.get("shop")), None)
        try:
            workplace = services.workplace_register(
                owner=request.user,
                shop=shop,
                name=data["name"],
                business_number=data["business_number"],
                address=data["address"],
                district=data["district"],
                industry=data["industry"],
                size=data["size"],
                baseline_headcount=data["baseline_headcount"],
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("Registered. Upload the roster and sign the declaration."))
            return redirect("workplaces:detail", workplace_id=workplace.pk)
    return render(request, "workplaces/register.html", {"form": form})


def _own(request, workplace_id: int) -> Workplace:
    workplace = Workplace.objects.filter(pk=workplace_id, owner=request.user).first()
    if workplace is None:
        raise WorkplaceNotFoundError()
    return workplace


@login_required
def detail(request, workplace_id):
    workplace = _own(request, workplace_id)
    declarations = list(selectors.declarations_of(workplace))
    pledged_rounds = {d.round_id for d in declarations}
    open_rounds = [r for r in selectors.rounds_open() if r.pk not in pledged_rounds]
    return render(
        request,
        "workplaces/detail.html",
        {
            "workplace": workplace,
            "declarations": declarations,
            "open_rounds": open_rounds,
            "pledge_forms": [
                (r, PledgeForm(initial={"round_id": r.pk, "text_hash": r.text_hash}))
                for r in open_rounds
            ],
            "documents": workplace.documents.all(),
            "report_form": ReportForm(),
            "evidence_form": EvidenceForm(),
            "openings_form": OpeningsForm(initial={"openings": workplace.openings}),
            "reports": [r for d in declarations for r in d.reports.all()],
            "cases": selectors.employer_view_of_cases(workplace),
            "payments": selectors.payments_of(workplace),
            "clawbacks": selectors.clawbacks_of(workplace),
        },
    )


@login_required
@require_POST
def pledge(request, workplace_id):
    workplace = _own(request, workplace_id)
    form = PledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the representative's email and tick the consent to sign."))
        return redirect("workplaces:detail", workplace_id=workplace.pk)
    pledge_round = PledgeRound.objects.filter(pk=form.cleaned_data["round_id"]).first()
    try:
        if pledge_round is None:
            raise WorkplaceNotFoundError()
        services.declaration_sign_employer(
            employer=request.user,
            workplace=workplace,
            pledge_round=pledge_round,
            representative_email=form.cleaned_data["representative_email"],
            text_hash=form.cleaned_data["text_hash"],
            consent=form.cleaned_data["consent"],
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Signed. The workers' representative co-signs next."))
    return redirect("workplaces:detail", workplace_id=workplace.pk)


@login_required
@require_POST
def report(request, workplace_id):
    workplace = _own(request, workplace_id)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the month (like 2021-03) and the counts."))
        return redirect("workplaces:detail", workplace_id=workplace.pk)
    declaration = (
        workplace.declarations.filter(
            status__in=[Declaration.Status.VERIFIED, Declaration.Status.BREACHED]
        )
        .order_by("-pk")
        .first()
    )
    data = form.cleaned_data
    try:
        if declaration is None:
            raise services.DeclarationStatusError(
                _("Reports are filed once the city has verified the declaration.")
            )
        services.report_file(
            by=request.user,
            declaration=declaration,
            data=services.ReportInput(
                month=rules.month_parse(data["month"]) or services._month(data["month"]),
                headcount=data["headcount"],
                hires=data["hires"],
                resignations=data["resignations"],
                retirements=data["retirements"],
                fixed_term_ends=data["fixed_term_ends"],
                dismissals=data["dismissals"],
            ),
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Report filed."))
    return redirect("workplaces:detail", workplace_id=workplace.pk)


@login_required
@require_POST
def evidence_upload(request, workplace_id):
    workplace = _own(request, workplace_id)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the file to upload."))
        return redirect("workplaces:detail", workplace_id=workplace.pk)
    upload = form.cleaned_data["file"]
    try:
        services.evidence_upload(
            by=request.user,
            workplace=workplace,
            name=upload.name,
            content=upload.read(services.MAX_UPLOAD + 1),
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Uploaded. Only you and city staff can open it."))
    return redirect("workplaces:detail", workplace_id=workplace.pk)


@login_required
@require_POST
def openings(request, workplace_id):
    workplace = _own(request, workplace_id)
    form = OpeningsForm(request.POST)
    if form.is_valid():
        services.workplace_set_openings(
            owner=request.user, workplace=workplace, openings=form.cleaned_data["openings"]
        )
        messages.success(request, _("Open positions saved."))
    else:
        messages.error(request, _("The number of open positions is a whole number."))
    return redirect("workplaces:detail", workplace_id=workplace.pk)


@login_required
def evidence_open(request, document_id):
    document = get_object_or_404(EvidenceDocument, pk=document_id)
    content = services.evidence_open(by=request.user, document=document)
    response = HttpResponse(content, content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-{document.pk}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The declaration: representative and staff -----------------------------------------------------


@login_required
def declaration(request, declaration_id):
    item = (
        Declaration.objects.select_related("workplace", "round", "representative")
        .filter(pk=declaration_id)
        .first()
    )
    user = request.user
    is_staff = selectors.is_workplace_staff(user)
    if item is None or not (
        is_staff or item.representative_id == user.pk or item.workplace.owner_id == user.pk
    ):
        raise WorkplaceNotFoundError()
    form = CosignForm(request.POST or None, initial={"text_hash": item.text_hash})
    if request.method == "POST" and item.representative_id != user.pk:
        messages.error(request, _("Only the workers' representative co-signs here."))
        return redirect("workplaces:declaration", declaration_id=item.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.declaration_sign_representative(
                by=user,
                declaration=item,
                text_hash=form.cleaned_data["text_hash"],
                consent=form.cleaned_data["consent"],
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("Co-signed. The city verifies the declaration next."))
            return redirect("workplaces:declaration", declaration_id=item.pk)
    return render(
        request,
        "workplaces/declaration.html",
        {
            "declaration": item,
            "signatures": item.signatures.select_related("signer"),
            "form": form,
            "is_representative": item.representative_id == user.pk,
            "is_staff": is_staff,
            "reject_form": RejectForm(),
            "documents": item.workplace.documents.all() if is_staff else (),
            "deferrals": item.tax_deferrals.all(),
            "clawback": getattr(item, "clawback", None),
            "deferral_form": TaxDeferralForm(),
            "repay_form": RepayForm(initial={"idempotency_key": secrets.token_hex(8)}),
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def declaration_verify(request, declaration_id):
    item = get_object_or_404(Declaration, pk=declaration_id)
    try:
        services.declaration_verify(by=request.user, declaration=item)
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Verified. The workplace is on the public list."))
    return redirect("workplaces:declaration", declaration_id=item.pk)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def declaration_reject(request, declaration_id):
    item = get_object_or_404(Declaration, pk=declaration_id)
    form = RejectForm(request.POST)
    try:
        services.declaration_reject(
            by=request.user,
            declaration=item,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Rejected."))
    return redirect("workplaces:declaration", declaration_id=item.pk)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def tax_deferral(request, declaration_id):
    item = get_object_or_404(Declaration.objects.select_related("round"), pk=declaration_id)
    form = TaxDeferralForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the tax, the amount and the original due date."))
        return redirect("workplaces:declaration", declaration_id=item.pk)
    try:
        services.tax_deferral_record(by=request.user, declaration=item, **form.cleaned_data)
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Deferral recorded."))
    return redirect("workplaces:declaration", declaration_id=item.pk)


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def clawback_repay(request, declaration_id):
    item = get_object_or_404(Declaration, pk=declaration_id)
    clawback = getattr(item, "clawback", None)
    form = RepayForm(request.POST)
    if clawback is None or not form.is_valid():
        messages.error(request, _("Give the amount repaid in whole won."))
        return redirect("workplaces:declaration", declaration_id=item.pk)
    try:
        services.clawback_repay(
            by=request.user,
            clawback=clawback,
            amount=form.cleaned_data["amount"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Repayment recorded."))
    return redirect("workplaces:declaration", declaration_id=item.pk)


# --- Workers -----------------------------------------------------------------------------------------


@login_required
def worker_report(request, workplace_id):
    workplace = selectors.participating().filter(pk=workplace_id).first()
    if workplace is None:
        raise WorkplaceNotFoundError()
    form = WorkerReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_report_file(
                by=request.user, workplace=workplace, text=form.cleaned_data["text"]
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(
                request, _("Sent to city staff only. The employer will not see it or who wrote it.")
            )
            return redirect("workplaces:help")
    return render(request, "workplaces/worker_report.html", {"workplace": workplace, "form": form})


@login_required
def help_request(request):
    form = HelpRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.help_request_create(worker=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("Received. City staff will contact you with openings."))
            return redirect("workplaces:help")
    mine = HelpRequest.objects.filter(worker=request.user).prefetch_related("matches__workplace")
    return render(request, "workplaces/help.html", {"form": form, "requests": mine})


# --- Staff -------------------------------------------------------------------------------------------


@login_required
@permission_required(MANAGE, raise_exception=True)
def staff(request):
    rounds = PledgeRound.objects.order_by("-starts_on", "-pk")
    return render(
        request,
        "workplaces/staff.html",
        {
            "figures": selectors.dashboard_figures(),
            "to_verify": selectors.declarations_for_staff(status=Declaration.Status.SIGNED),
            "cases": selectors.cases_for_staff(status=Case.Status.OPEN)[:100],
            "help_requests": selectors.help_requests_open(),
            "rounds": rounds,
            "fund_form": FundForm(initial={"idempotency_key": secrets.token_hex(8)}),
            "month_form": MonthForm(),
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def round_create(request):
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("Round saved as a draft. Publish it to open it."))
            return redirect("workplaces:staff")
    return render(request, "workplaces/round_form.html", {"form": form})


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def round_publish(request, round_id):
    pledge_round = get_object_or_404(PledgeRound, pk=round_id)
    try:
        services.round_publish(by=request.user, pledge_round=pledge_round)
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Published: employers can sign it now."))
    return redirect("workplaces:staff")


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def round_fund(request, round_id):
    pledge_round = get_object_or_404(PledgeRound, pk=round_id)
    form = FundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The amount is a whole number of won."))
        return redirect("workplaces:staff")
    try:
        services.round_fund(
            by=request.user,
            pledge_round=pledge_round,
            amount=form.cleaned_data["amount"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Budget added."))
    return redirect("workplaces:staff")


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def month_run(request):
    """Chase the month's missing reports, flag those already chased, pay the incentives."""
    form = MonthForm(request.POST)
    month = rules.month_parse(form.data.get("month", "")) if form.is_valid() else None
    if month is None:
        messages.error(request, _("The month is written like 2021-03."))
        return redirect("workplaces:staff")
    flagged = services.reports_flag_missing(month=month)
    chased = services.reports_chase(month=month)
    paid = services.incentives_run(month=month)
    messages.success(
        request,
        _(
            "%(month)s: %(chased)s reminders sent, %(flagged)s missing reports flagged, "
            "%(paid)s incentives paid (%(amount)s won), %(no_budget)s not paid for lack of budget."
        )
        % {
            "month": f"{month:%Y-%m}",
            "chased": chased,
            "flagged": flagged,
            "paid": paid["paid"],
            "amount": f"{paid['amount']:,}",
            "no_budget": paid["no_budget"],
        },
    )
    return redirect("workplaces:staff")


@login_required
@permission_required(MANAGE, raise_exception=True)
def case_detail(request, case_id):
    case = get_object_or_404(
        Case.objects.select_related("declaration__workplace", "report"), pk=case_id
    )
    report = getattr(case, "worker_report", None) if case.kind == Case.Kind.WORKER_REPORT else None
    close_form = CaseCloseForm(request.POST if "decision" in request.POST else None)
    unmask_form = UnmaskForm(request.POST if "reason" in request.POST else None)
    reporter = None
    if request.method == "POST":
        if "decision" in request.POST and close_form.is_valid():
            try:
                services.case_close(
                    by=request.user,
                    case=case,
                    breach=close_form.cleaned_data["decision"] == "breach",
                    note=close_form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                _form_refused(close_form, exc)
            else:
                messages.success(request, _("Case closed."))
                return redirect("workplaces:case", case_id=case.pk)
        elif "reason" in request.POST and report is not None and unmask_form.is_valid():
            reporter = services.worker_report_unmask(
                by=request.user, report=report, reason=unmask_form.cleaned_data["reason"]
            )
    return render(
        request,
        "workplaces/case.html",
        {
            "case": case,
            "report": report,
            "masked": selectors.case_reporter_masked(report) if report else "",
            "reporter": reporter,
            "close_form": close_form,
            "unmask_form": unmask_form,
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def reports_import(request):
    rounds = list(PledgeRound.objects.exclude(status=PledgeRound.Status.DRAFT))
    form = ImportForm(request.POST or None, request.FILES or None, rounds=rounds)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        pledge_round = next(r for r in rounds if r.pk == form.cleaned_data["round_id"])
        try:
            filed = services.reports_import(
                by=request.user,
                pledge_round=pledge_round,
                name=upload.name,
                content=upload.read(services.MAX_UPLOAD + 1),
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("%(n)s reports imported.") % {"n": filed})
            return redirect("workplaces:staff")
    return render(request, "workplaces/import.html", {"form": form})


@login_required
@permission_required(MANAGE, raise_exception=True)
def help_match(request, request_id):
    help_req = get_object_or_404(HelpRequest, pk=request_id)
    workplaces = list(selectors.workplaces_with_openings())
    form = MatchForm(request.POST or None, workplaces=workplaces)
    if request.method == "POST" and form.is_valid():
        workplace = next(w for w in workplaces if w.pk == form.cleaned_data["workplace_id"])
        try:
            services.match_create(by=request.user, help_request=help_req, workplace=workplace)
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("Matched."))
            return redirect("workplaces:staff")
    return render(request, "workplaces/match.html", {"help_request": help_req, "form": form})
