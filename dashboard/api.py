"""``GET /api/v1/dashboard/totals``: the dashboard's headline figures, for city staff."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.api import error_response
from merchants.authentication import DevicePrincipal

from .circulation import circulation
from .figures import Filters, report_totals
from .forms import FilterForm

STAFF = "dashboard.view_dashboard"


class IsCityStaff(permissions.BasePermission):
    message = _("Only city staff can see the dashboard.")

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated or isinstance(user, DevicePrincipal):
            return False
        return user.has_perm(STAFF)


class TotalsOutput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    campaign = serializers.IntegerField(allow_null=True)
    phase = serializers.IntegerField(allow_null=True)
    live_days = serializers.ListField(child=serializers.DateField())
    totals = serializers.DictField(child=serializers.IntegerField())


class DashboardTotalsApi(APIView):
    """Headline figures of the date range (default: the last 30 days) as whole won."""

    permission_classes = [IsCityStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD"),
            OpenApiParameter("end", str, description="YYYY-MM-DD"),
            OpenApiParameter("campaign", int),
            OpenApiParameter("phase", int),
        ],
        responses=TotalsOutput,
    )
    def get(self, request):
        form = FilterForm(request.query_params)
        if not form.is_valid():
            errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
            message = next(iter(errors.values()))[0]
            return error_response("invalid_filters", message, 400, errors)
        data = form.cleaned_data
        filters = Filters(data["start"], data["end"], data["campaign"], data["phase"])
        totals, live_days = report_totals(filters)
        return Response(
            {
                "start": filters.start,
                "end": filters.end,
                "campaign": filters.campaign.pk if filters.campaign else None,
                "phase": filters.phase.pk if filters.phase else None,
                "live_days": live_days,
                "totals": totals.as_dict(),
            }
        )


class CirculationOutput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    entered = serializers.IntegerField()
    spent_local = serializers.IntegerField()
    respent_local = serializers.IntegerField()
    left_city = serializers.IntegerField()
    returned = serializers.IntegerField()
    multiplier = serializers.CharField()
    months = serializers.ListField(child=serializers.DictField())


class DashboardCirculationApi(APIView):
    """How the period's money circulated, from the ledger (``dashboard.circulation``): won that
    entered, was spent at shops, was re-spent by shops locally, left the city; the local
    multiplier as a decimal string; and the same per month."""

    permission_classes = [IsCityStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="YYYY-MM-DD"),
            OpenApiParameter("end", str, description="YYYY-MM-DD"),
        ],
        responses=CirculationOutput,
    )
    def get(self, request):
        form = FilterForm(
            {
                k: request.query_params.get(k)
                for k in ("start", "end")
                if request.query_params.get(k)
            }
        )
        if not form.is_valid():
            errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
            message = next(iter(errors.values()))[0]
            return error_response("invalid_filters", message, 400, errors)
        figures = circulation(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
        body = figures.as_dict()
        body["months"] = [m.as_dict() for m in figures.months]
        return Response(body)
