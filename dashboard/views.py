"""Staff pages: the dashboard, its exports, the shops that need attention and the nightly
operations page. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jeonju_prepay.exceptions import ApplicationError
from ledger.services import business_date_today
from vouchers.rules import rules_on

from . import selectors, services
from .figures import Filters, report_build, shop_tables
from .forms import FilterForm, RunForm
from .nightly import default_business_date
from .tables import table_csv, table_xlsx

STAFF = "dashboard.view_dashboard"
SHOP_TABLES = ("pending", "suspended_closed")


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
    }
    return render(request, "dashboard/operations.html", context)


@login_required
@permission_required(STAFF, raise_exception=True)
@require_POST
def run(request):
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid business date (YYYY-MM-DD) and step."))
        return redirect("dashboard:operations")
    step = form.cleaned_data["step"]
    try:
        started = services.nightly_start(
            business_date=form.cleaned_data["business_date"],
            steps=[step] if step else None,
            by=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard:operations")
    day = started.business_date.isoformat()
    if not started.eager:
        messages.success(request, _("The run for %(date)s has been queued.") % {"date": day})
    elif (started.result or {}).get("status") == "in_progress":
        messages.warning(request, _("A run for %(date)s is in progress already.") % {"date": day})
    elif (started.result or {}).get("failed"):
        messages.error(request, _("The run for %(date)s finished with errors.") % {"date": day})
    else:
        messages.success(request, _("The run for %(date)s has finished.") % {"date": day})
    return redirect("dashboard:operations")


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


# --- The dashboard ----------------------------------------------------------------------------

EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", table_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", table_xlsx),
}


def _filters(request) -> tuple[FilterForm, Filters]:
    """The filters of the query string; on bad input the form carries the errors and the
    default range is shown."""
    form = FilterForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        filters = Filters(data["start"], data["end"], data["campaign"], data["phase"])
        # The date inputs show the range the page shows, also when the dates were left out.
        shown = request.GET.copy()
        shown["start"], shown["end"] = data["start"].isoformat(), data["end"].isoformat()
        form = FilterForm(shown)
        form.is_valid()
        return form, filters
    fallback = FilterForm({})
    fallback.is_valid()
    data = fallback.cleaned_data
    return form, Filters(data["start"], data["end"])


@login_required
@permission_required(STAFF, raise_exception=True)
@require_GET
def home(request):
    form, filters = _filters(request)
    report = report_build(filters)
    runs = selectors.runs_recent(dates=1)
    context = {
        "form": form,
        "report": report,
        "totals": report.totals,
        "query": urlencode(filters.as_query()),
        "latest": runs[0] if runs else None,
        "phases": [
            {"id": p.pk, "campaign": p.campaign_id, "name": str(p)}
            for p in form.fields["phase"].queryset
        ],
    }
    return render(request, "dashboard/home.html", context)


@login_required
@permission_required(STAFF, raise_exception=True)
@require_GET
def shops(request):
    return render(request, "dashboard/shops.html", {"tables": shop_tables()})


@login_required
@permission_required(STAFF, raise_exception=True)
@require_GET
def export(request, table: str, fmt: str):
    if fmt not in EXPORT_TYPES:
        raise Http404(_("No such export."))
    if table in SHOP_TABLES:
        tables = shop_tables()
        filters = None
    else:
        form, filters = _filters(request)
        if not form.is_valid():
            return HttpResponse(
                " ".join(str(m) for errors in form.errors.values() for m in errors),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        tables = report_build(filters).tables
    if table not in tables:
        raise Http404(_("No such export."))
    content_type, write = EXPORT_TYPES[fmt]
    response = HttpResponse(write(tables[table]), content_type=content_type)
    suffix = f"-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}" if filters else ""
    response["Content-Disposition"] = f'attachment; filename="{table}{suffix}.{fmt}"'
    return response
