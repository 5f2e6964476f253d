"""Staff pages: the dashboard, its exports and the shops that need attention. Thin: parse, call
one selector, render. (The nightly run's page is ``operations.views``.)"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from operations import selectors as operations_selectors

from .circulation import campaign_circulation, circulation
from .figures import Filters, report_build, shop_tables
from .forms import FilterForm
from .tables import table_csv, table_xlsx

STAFF = "dashboard.view_dashboard"
SHOP_TABLES = ("pending", "suspended_closed")


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
    runs = operations_selectors.runs_recent(dates=1)
    flow = circulation(start=filters.start, end=filters.end)
    context = {
        "circulation": flow,
        "campaign_circulation": (
            campaign_circulation(campaign=filters.campaign) if filters.campaign else None
        ),
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
