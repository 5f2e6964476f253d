"""Pages of the grants: the citizen's (programmes, apply, status, documents) and city staff's
(programme setup, the programme's figures and review queue, a decision, payment, lists).
Thin: parse, call one service or selector, render. A domain error with status 403 or 404
escapes to ``DomainErrorMiddleware``; any other refusal is a form error or a message, and
nothing has changed."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError

from . import selectors, services
from .exceptions import ApplicationNotFoundError, GrantForbiddenError, ProgrammeNotFoundError
from .forms import ApplyForm, DecisionForm, DocumentForm, ImportForm, ProgrammeForm
from .models import Application, Programme

MANAGE = services.MANAGE
APPLY = "grants.apply_grant"


def _programme(pk: int) -> Programme:
    programme = Programme.objects.prefetch_related("groups").filter(pk=pk).first()
    if programme is None:
        raise ProgrammeNotFoundError()
    return programme


def _own_application(request, pk: int) -> Application:
    application = selectors.application_detail(pk=pk)
    if application is None or application.applicant_id != request.user.pk:
        raise ApplicationNotFoundError()
    return application


def _refused(request, exc: ApplicationError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


# --- The citizen's ------------------------------------------------------------------------------


@login_required
def home(request):
    mine = list(selectors.applications_of(user=request.user))
    applied = {a.programme_id for a in mine}
    return render(
        request,
        "grants/home.html",
        {
            "programmes": [
                (p, services.programme_amount(p), p.pk in applied)
                for p in selectors.programmes_open()
            ],
            "applications": mine,
            "is_staff": services.is_grant_staff(request.user),
        },
    )


@login_required
@permission_required(APPLY, raise_exception=True)
def apply(request, pk: int):
    programme = _programme(pk)
    form = ApplyForm(request.POST or None, request.FILES or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.application_submit(
                programme=programme,
                applicant=request.user,
                group_code=data["group"],
                identifier=data["identifier"],
                household=data["household"],
                household_size=data["household_size"],
                consent=data["consent"],
            )
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
        else:
            if data.get("document"):
                try:
                    services.document_add(
                        application=application,
                        by=request.user,
                        label=_("Evidence"),
                        upload=data["document"],
                    )
                except ApplicationError as exc:
                    _refused(request, exc)
            messages.success(request, _("Your application has been received."))
            return redirect("grants:application", pk=application.pk)
    group = programme.groups.first()
    return render(
        request,
        "grants/apply.html",
        {
            "programme": programme,
            "amount": services.programme_amount(programme),
            "form": form,
            "declaration": services.declaration_text(programme, group) if group else "",
        },
    )


@login_required
def application(request, pk: int):
    application = _own_application(request, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_add(
                application=application,
                by=request.user,
                label=form.cleaned_data["label"],
                upload=form.cleaned_data["document"],
            )
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The document has been added."))
            return redirect("grants:application", pk=pk)
    return render(
        request,
        "grants/application.html",
        {
            "application": application,
            "form": form,
            "can_add": application.status in Application.OPEN_STATUSES,
        },
    )


@login_required
def document(request, pk: int):
    """A document, for its applicant and grant staff only; every view is logged."""
    found = selectors.document_of(pk=pk)
    if found is None:
        raise ApplicationNotFoundError()
    try:
        content = services.document_open(
            document=found, viewer=request.user, ip_address=request.META.get("REMOTE_ADDR")
        )
    except GrantForbiddenError:
        raise ApplicationNotFoundError() from None  # names nothing to who may not see it
    response = HttpResponse(content, content_type=found.content_type)
    response["Content-Disposition"] = f'inline; filename="document-{found.pk}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- City staff's ---------------------------------------------------------------------------------


@login_required
@permission_required(MANAGE, raise_exception=True)
def staff_home(request):
    return render(request, "grants/staff_home.html", {"programmes": selectors.programmes_all()})


@login_required
@permission_required(MANAGE, raise_exception=True)
def programme_new(request):
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        share = data.get("median_share_percent") or Decimal(0)
        try:
            programme = services.programme_create(
                by=request.user,
                name=data["name"],
                per=data["per"],
                amount_rule=data["amount_rule"],
                fixed_amount=data.get("fixed_amount") or 0,
                median_share_bp=int(share * 100),
                median_table=data["median_table"],
                apply_from=data["apply_from"],
                apply_until=data["apply_until"],
                spend_until=data["spend_until"],
                budget=data["budget"],
                groups=[services.GroupSpec(*g) for g in data["groups"]],
                health_premium_max=data.get("health_premium_max"),
                property_tax_max=data.get("property_tax_max"),
                excluded_categories=data["excluded_categories"],
                districts=[d for d in (data.get("districts") or "").split(",") if d.strip()],
                max_sales_bracket=data.get("max_sales_bracket") or "",
                cashback_on_grant=data["cashback_on_grant"],
            )
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The programme is saved as a draft. Open it when ready."))
            return redirect("grants:staff-programme", pk=programme.pk)
    return render(request, "grants/programme_form.html", {"form": form})


@login_required
@permission_required(MANAGE, raise_exception=True)
def staff_programme(request, pk: int):
    programme = _programme(pk)
    status = request.GET.get("status", "")
    if status not in Application.Status.values:
        status = ""
    figures = selectors.programme_figures(programme=programme)
    return render(
        request,
        "grants/staff_programme.html",
        {
            "programme": programme,
            "figures": figures,
            "applications": selectors.review_queue(programme=programme, status=status or None),
            "status": status,
            "statuses": [
                (value, label, figures.by_status.get(value, 0))
                for value, label in Application.Status.choices
            ],
            "import_form": ImportForm(),
        },
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def programme_action(request, pk: int, action: str):
    programme = _programme(pk)
    try:
        if action == "open":
            services.programme_open(programme=programme, by=request.user)
            messages.success(request, _("The programme is open and its budget funded."))
        elif action == "close":
            services.programme_close(programme=programme, by=request.user)
            messages.success(request, _("Applications are closed."))
        elif action == "pay":
            batch = services.grants_pay(programme=programme, by=request.user)
            messages.success(
                request,
                _("%(count)s grants paid, %(amount)s won in all.")
                % {"count": f"{batch.paid:,}", "amount": f"{batch.amount:,}"},
            )
        elif action == "import":
            form = ImportForm(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, _("Choose a list and a file."))
            else:
                upload = form.cleaned_data["file"]
                rows = services.screening_rows_parse(content=upload.read(), filename=upload.name)
                source = services.screening_import(
                    programme=programme,
                    by=request.user,
                    kind=form.cleaned_data["kind"],
                    rows=rows,
                    filename=upload.name,
                )
                messages.success(
                    request, _("%(rows)s rows imported.") % {"rows": f"{source.rows:,}"}
                )
        else:
            raise ProgrammeNotFoundError()
    except ApplicationError as exc:
        _refused(request, exc)
    return redirect("grants:staff-programme", pk=pk)


@login_required
@permission_required(MANAGE, raise_exception=True)
def staff_application(request, pk: int):
    application = selectors.application_detail(pk=pk)
    if application is None:
        raise ApplicationNotFoundError()
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_decide(
                application=application,
                by=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The decision is recorded and the applicant told."))
            return redirect("grants:staff-programme", pk=application.programme_id)
    return render(
        request,
        "grants/staff_application.html",
        {
            "application": application,
            "form": form,
            "can_decide": application.status in Application.OPEN_STATUSES,
        },
    )
