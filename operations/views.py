"""The nightly run's page for city staff: start a run, see every step of recent runs, the
incentive-cap decisions, the payment providers' reconciliation and the bank-transfer files.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError
from ledger.services import business_date_today
from vouchers.rules import rules_on
from vouchers.selectors import provider_books

from . import selectors, services
from .forms import RunForm
from .nightly import default_business_date

STAFF = "operations.run_nightly"


@login_required
@permission_required(STAFF, raise_exception=True)
def operations(request):
    try:
        cap_in_force = rules_on(business_date_today()).cap_rate_bp
    except ApplicationError:
        cap_in_force = None
    context = {
        "form": RunForm(initial={"business_date": default_business_date()}),
        "runs": selectors.runs_recent(),
        "decisions": selectors.cap_decisions_recent(),
        "transfer_files": selectors.transfer_files_recent(),
        "cap_in_force": cap_in_force,
        "providers": provider_books(),
    }
    return render(request, "operations/operations.html", context)


@login_required
@permission_required(STAFF, raise_exception=True)
@require_POST
def run(request):
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid business date (YYYY-MM-DD) and step."))
        return redirect("operations:operations")
    step = form.cleaned_data["step"]
    try:
        started = services.nightly_start(
            business_date=form.cleaned_data["business_date"],
            steps=[step] if step else None,
            by=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("operations:operations")
    day = started.business_date.isoformat()
    if not started.eager:
        messages.success(request, _("The run for %(date)s has been queued.") % {"date": day})
    elif (started.result or {}).get("status") == "in_progress":
        messages.warning(request, _("A run for %(date)s is in progress already.") % {"date": day})
    elif (started.result or {}).get("failed"):
        messages.error(request, _("The run for %(date)s finished with errors.") % {"date": day})
    else:
        messages.success(request, _("The run for %(date)s has finished.") % {"date": day})
    return redirect("operations:operations")


@login_required
@permission_required(STAFF, raise_exception=True)
def transfer_file_csv(request, business_date: str):
    try:
        day = date.fromisoformat(business_date)
    except ValueError as exc:
        raise Http404(_("No bank-transfer file for that date.")) from exc
    transfer_file = selectors.transfer_file_on(day)
    if transfer_file is None:
        raise Http404(_("No bank-transfer file for that date."))
    response = HttpResponse(
        "\ufeff" + transfer_file.content, content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="transfers-{day:%Y%m%d}.csv"'
    return response
