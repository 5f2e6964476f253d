"""Pages of the good-rental registry: the landlord's and the tenant's, and city staff's review,
report and policy. Thin: parse, call one service or selector, render.

A domain error with status 403 or 404 escapes to ``DomainErrorMiddleware`` (the 403/404 page);
any other refusal is shown as a form error or a message, and nothing has changed.
"""

from __future__ import annotations

import csv
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError

from . import selectors, services
from .exceptions import AgreementStatusError, RentalPermissionError
from .forms import (
    DeclineForm,
    LeaseChangeForm,
    LeaseForm,
    PolicyForm,
    PropertyForm,
    ProposeForm,
    ReductionForm,
    RejectForm,
    ReliefsForm,
    SignForm,
    VerifyForm,
    percent_to_bp,
)
from .models import Agreement

VERIFY = "rentals.verify_agreement"
PROPOSE = "rentals.propose_agreement"


def _refused(request, exc: ApplicationError) -> None:
    """A refusal of an action: 403 and 404 become their pages, the rest a message."""
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


def _form_refused(form, exc: ApplicationError) -> None:
    if exc.status in (403, 404):
        raise exc
    form.add_error(None, exc.message)


def _percent(bp: int) -> Decimal:
    """Basis points as the percent a form shows: ``1050`` → ``10.5``."""
    return (Decimal(bp) / 100).normalize()


# --- Home: the landlord's and the tenant's page -----------------------------------------------


@login_required
def home(request):
    user = request.user
    context = {
        "is_landlord": selectors.is_landlord(user),
        "is_staff": selectors.is_rental_staff(user),
    }
    if context["is_landlord"]:
        agreements = selectors.with_estimates(selectors.agreements_of_landlord(user))
        standing = [a for a in agreements if a.status in selectors.ACTIVE_STATUSES]
        context.update(
            properties=selectors.properties_of_landlord(user),
            agreements=agreements,
            totals={
                "total_reduction": sum(a.total_reduction for a in standing),
                "property_tax_estimate": sum(a.estimate.property_tax_estimate for a in standing),
                "credit_estimate": sum(a.estimate.credit_estimate for a in standing),
            },
        )
    context["tenant_agreements"] = list(selectors.agreements_for_tenant(user))
    context["to_sign"] = sum(
        1 for a in context["tenant_agreements"] if a.status == Agreement.Status.PROPOSED
    )
    if context["is_staff"]:
        context["status_counts"] = selectors.agreement_counts_by_status()
    return render(request, "rentals/home.html", context)


# --- Properties and leases --------------------------------------------------------------------


@login_required
@permission_required(PROPOSE, raise_exception=True)
def property_create(request):
    form = PropertyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prop = services.property_create(landlord=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("Property registered. Now record its lease."))
            return redirect("rentals:lease-create", property_id=prop.pk)
    return render(request, "rentals/property_form.html", {"form": form})


@login_required
@permission_required(PROPOSE, raise_exception=True)
def lease_create(request, property_id):
    prop = selectors.property_for_landlord(user=request.user, property_id=property_id)
    form = LeaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lease = services.lease_create(landlord=request.user, property=prop, **form.cleaned_data)
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _("Lease recorded. You can now propose a rent reduction."))
            return redirect("rentals:agreement-propose", lease_id=lease.pk)
    return render(request, "rentals/lease_form.html", {"form": form, "property": prop})


@login_required
@permission_required(PROPOSE, raise_exception=True)
def lease_detail(request, lease_id):
    lease = selectors.lease_for_landlord(user=request.user, lease_id=lease_id)
    history = list(selectors.lease_history(lease))
    agreements = Agreement.objects.filter(lease__in=history).select_related("lease")
    return render(
        request,
        "rentals/lease_detail.html",
        {
            "lease": lease,
            "is_current": selectors.lease_is_current(lease),
            "history": history,
            "agreements": agreements,
        },
    )


@login_required
@permission_required(PROPOSE, raise_exception=True)
def lease_change(request, lease_id):
    lease = selectors.lease_for_landlord(user=request.user, lease_id=lease_id)
    form = LeaseChangeForm(
        request.POST or None,
        initial={"monthly_rent": lease.monthly_rent, "deposit": lease.deposit},
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = services.lease_record_rent_change(
                landlord=request.user, lease=lease, **form.cleaned_data
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            flagged = Agreement.objects.filter(clawback_lease=record).count()
            messages.success(request, _("Lease record saved."))
            if flagged:
                messages.warning(
                    request,
                    _(
                        "This rent rise flags %(n)s rent-reduction agreement(s): the national "
                        "credit would be clawed back."
                    )
                    % {"n": flagged},
                )
            return redirect("rentals:lease-detail", lease_id=record.pk)
    return render(request, "rentals/lease_change.html", {"form": form, "lease": lease})


# --- Agreements: the landlord -------------------------------------------------------------------


def _terms(form) -> services.ReductionTerms:
    data = form.cleaned_data
    kind = data["reduction_kind"]
    return services.ReductionTerms(
        kind=kind,
        rate_bp=percent_to_bp(data.get("rate_percent")) if kind == "rate" else None,
        amount=data.get("amount") if kind == "amount" else None,
        months=data["months"],
        start_date=data["start_date"],
        end_date=data.get("end_date"),
    )


@login_required
@permission_required(PROPOSE, raise_exception=True)
def agreement_propose(request, lease_id):
    lease = selectors.lease_for_landlord(user=request.user, lease_id=lease_id)
    today = timezone.localdate()
    policy = selectors.rental_policy_on(today)
    form = ProposeForm(
        request.POST or None,
        threshold=policy.high_income_threshold,
        initial={"start_date": today if lease.start_date <= today <= lease.end_date else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_propose(
                landlord=request.user,
                lease=lease,
                terms=_terms(form),
                property_tax_amount=form.cleaned_data.get("property_tax_amount") or 0,
                income_over_threshold=form.cleaned_data["income_over_threshold"],
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(
                request, _("Proposed and signed by you. The tenant shop's owner is asked to sign.")
            )
            return redirect("rentals:agreement-detail", agreement_id=agreement.pk)
    return render(
        request,
        "rentals/agreement_form.html",
        {"form": form, "lease": lease, "policy": policy, "editing": False},
    )


def _landlords_agreement(request, agreement_id) -> Agreement:
    agreement, role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    if role != "landlord":
        raise RentalPermissionError(_("Only the landlord of this agreement can do this."))
    return agreement


@login_required
def agreement_edit(request, agreement_id):
    agreement = _landlords_agreement(request, agreement_id)
    if agreement.status == Agreement.Status.VERIFIED:
        raise AgreementStatusError(_("A verified agreement cannot be changed."))
    initial = {
        "reduction_kind": agreement.reduction_kind,
        "rate_percent": _percent(agreement.reduction_rate_bp)
        if agreement.reduction_rate_bp
        else None,
        "amount": agreement.reduction_amount,
        "months": agreement.months,
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
    }
    form = ReductionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_update_terms(
                landlord=request.user, agreement=agreement, terms=_terms(form)
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(
                request,
                _("Terms changed. Earlier signatures no longer match: the tenant must sign again."),
            )
            return redirect("rentals:agreement-detail", agreement_id=agreement.pk)
    return render(
        request,
        "rentals/agreement_form.html",
        {
            "form": form,
            "lease": agreement.lease,
            "agreement": agreement,
            "policy": selectors.rental_policy_on(agreement.start_date),
            "editing": True,
        },
    )


@login_required
@require_POST
def agreement_reliefs(request, agreement_id):
    agreement = _landlords_agreement(request, agreement_id)
    form = ReliefsForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            services.agreement_set_reliefs(
                landlord=request.user,
                agreement=agreement,
                property_tax_amount=form.cleaned_data.get("property_tax_amount") or 0,
                income_over_threshold=form.cleaned_data["income_over_threshold"],
            )
        except ApplicationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Estimates updated."))
    return redirect("rentals:agreement-detail", agreement_id=agreement.pk)


# --- Agreements: everyone who may see one ------------------------------------------------------


@login_required
def agreement_detail(request, agreement_id):
    agreement, role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    context = {
        "agreement": agreement,
        "role": role,
        "signatures": selectors.agreement_signatures(agreement),
        "landlord_signature": selectors.agreement_signed_by(agreement, "landlord"),
        "tenant_signature": selectors.agreement_signed_by(agreement, "tenant"),
        "clawback_text": selectors.clawback_text(agreement),
    }
    if role in ("landlord", "staff"):
        context["estimate"] = selectors.agreement_estimate(agreement)
        context["policy"] = selectors.rental_policy_on(agreement.start_date)
        context["events"] = agreement.events.select_related("actor")[:30]
    if role == "landlord":
        context["reliefs_form"] = ReliefsForm(
            threshold=context["policy"].high_income_threshold,
            initial={
                "property_tax_amount": agreement.property_tax_amount,
                "income_over_threshold": "yes" if agreement.income_over_threshold else "no",
            },
        )
    if role == "tenant":
        context["sign_form"] = SignForm(initial={"terms_hash": agreement.terms_hash})
        context["decline_form"] = DeclineForm()
    if role == "staff":
        context["verify_form"] = VerifyForm(initial={"terms_hash": agreement.terms_hash})
        context["warnings"] = selectors.agreement_warnings(agreement)
        context["reject_form"] = RejectForm()
    return render(request, "rentals/agreement_detail.html", context)


@login_required
@require_POST
def agreement_sign(request, agreement_id):
    agreement, role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    if role != "tenant":
        raise RentalPermissionError(_("Only the owner of the tenant shop can sign or decline."))
    form = SignForm(request.POST)
    try:
        services.agreement_sign(
            agreement=agreement,
            by=request.user,
            terms_hash=form.cleaned_data["terms_hash"] if form.is_valid() else "",
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Signed. The city will verify the agreement."))
    return redirect("rentals:agreement-detail", agreement_id=agreement.pk)


@login_required
@require_POST
def agreement_decline(request, agreement_id):
    agreement, role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    if role != "tenant":
        raise RentalPermissionError(_("Only the owner of the tenant shop can sign or decline."))
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason is at most 1000 characters."))
        return redirect("rentals:agreement-detail", agreement_id=agreement.pk)
    try:
        services.agreement_decline(
            agreement=agreement, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Declined. The landlord sees your answer."))
    return redirect("rentals:agreement-detail", agreement_id=agreement.pk)


@login_required
def agreement_print(request, agreement_id):
    agreement, role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    return render(
        request,
        "rentals/agreement_print.html",
        {
            "agreement": agreement,
            "role": role,
            "landlord_signature": selectors.agreement_signed_by(agreement, "landlord"),
            "tenant_signature": selectors.agreement_signed_by(agreement, "tenant"),
            "printed_at": timezone.now(),
        },
    )


@login_required
def agreement_certificate(request, agreement_id):
    agreement, role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    if role not in ("landlord", "staff"):
        raise RentalPermissionError(_("The certificate is the landlord's."))
    if agreement.status != Agreement.Status.VERIFIED:
        raise AgreementStatusError(_("Only a verified agreement has a participation certificate."))
    return render(
        request,
        "rentals/certificate.html",
        {
            "agreement": agreement,
            "estimate": selectors.agreement_estimate(agreement),
            "certificate_number": selectors.certificate_number(agreement),
        },
    )


# --- City staff -------------------------------------------------------------------------------


@login_required
@permission_required(VERIFY, raise_exception=True)
@require_POST
def agreement_verify(request, agreement_id):
    agreement, _role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    form = VerifyForm(request.POST)
    try:
        services.agreement_verify(
            agreement=agreement,
            by=request.user,
            terms_hash=form.cleaned_data["terms_hash"] if form.is_valid() else "",
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Agreement #%(id)s verified.") % {"id": agreement.pk})
    return redirect("rentals:agreement-detail", agreement_id=agreement.pk)


@login_required
@permission_required(VERIFY, raise_exception=True)
@require_POST
def agreement_reject(request, agreement_id):
    agreement, _role = selectors.agreement_for_viewer(user=request.user, agreement_id=agreement_id)
    form = RejectForm(request.POST)
    try:
        services.agreement_reject(
            agreement=agreement,
            by=request.user,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
    except ApplicationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Agreement #%(id)s rejected.") % {"id": agreement.pk})
    return redirect("rentals:agreement-detail", agreement_id=agreement.pk)


@login_required
@permission_required(VERIFY, raise_exception=True)
def staff_list(request):
    status = request.GET.get("status", "")
    if status not in Agreement.Status.values:
        status = ""
    # Typed into the URL by anyone: PostgreSQL refuses NUL characters in text.
    district = request.GET.get("district", "")[:50].replace("\x00", "")
    flagged = request.GET.get("flagged") == "1"
    counts = selectors.agreement_counts_by_status()
    agreements = selectors.agreements_for_staff(
        status=status, district=district, flagged=True if flagged else None
    )
    return render(
        request,
        "rentals/staff_list.html",
        {
            "agreements": agreements[:300],
            "status": status,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in Agreement.Status.choices
            ],
            "district": district,
            "districts": selectors.agreement_districts(),
            "flagged": flagged,
            "flagged_count": selectors.flagged_count(),
        },
    )


def _scope(request) -> str:
    scope = request.GET.get("scope", "verified")
    return scope if scope in selectors.REPORT_SCOPES else "verified"


@login_required
@permission_required(VERIFY, raise_exception=True)
def report(request):
    scope = _scope(request)
    return render(
        request,
        "rentals/report.html",
        {"report": selectors.rental_report(scope=scope), "scope": scope},
    )


def _csv_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (districts are typed by landlords)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@permission_required(VERIFY, raise_exception=True)
def report_csv(request):
    scope = _scope(request)
    data = selectors.rental_report(scope=scope)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"good-rental-{scope}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet programs read the Korean as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("District"),
            _("Landlords"),
            _("Tenant shops"),
            _("Agreements"),
            _("Monthly reduction (won)"),
            _("Total reduction (won)"),
        ]
    )
    for row in [*data.rows, data.total]:
        writer.writerow(
            [
                _csv_cell(row.district) if row.district else _("Total"),
                row.landlords,
                row.tenant_shops,
                row.agreements,
                row.monthly_reduction,
                row.total_reduction,
            ]
        )
    return response


@login_required
@permission_required(VERIFY, raise_exception=True)
def policy(request):
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = services.rental_policy_set(
                by=request.user,
                effective_from=data["effective_from"],
                min_reduction_bp=percent_to_bp(data["min_reduction_percent"]),
                min_months=data["min_months"],
                property_tax_cut_bp=percent_to_bp(data["property_tax_cut_percent"]),
                national_credit_bp=percent_to_bp(data["national_credit_percent"]),
                national_credit_high_income_bp=percent_to_bp(
                    data["national_credit_high_income_percent"]
                ),
                high_income_threshold=data["high_income_threshold"],
                renewal_cap_bp=percent_to_bp(data["renewal_cap_percent"]),
            )
        except ApplicationError as exc:
            _form_refused(form, exc)
        else:
            messages.success(
                request,
                _("Policy in force from %(date)s saved.") % {"date": row.effective_from},
            )
            return redirect("rentals:policy")
    if not form.is_bound:
        current = selectors.rental_policy_on(timezone.localdate())
        form = PolicyForm(
            initial={
                "effective_from": timezone.localdate(),
                "min_reduction_percent": _percent(current.min_reduction_bp),
                "min_months": current.min_months,
                "property_tax_cut_percent": _percent(current.property_tax_cut_bp),
                "national_credit_percent": _percent(current.national_credit_bp),
                "national_credit_high_income_percent": _percent(
                    current.national_credit_high_income_bp
                ),
                "high_income_threshold": current.high_income_threshold,
                "renewal_cap_percent": _percent(current.renewal_cap_bp),
            }
        )
    policies = list(selectors.rental_policies())
    return render(request, "rentals/policy.html", {"form": form, "policies": policies})
