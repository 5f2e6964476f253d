"""The programme's API: the public list of participating workplaces, an employer's monthly
report, and the staff's cases.

A second report for a month is refused with 409 ``report_exists`` (the first stands; staff
correct a report, not the API)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api import IsPerson
from merchants.authentication import DevicePrincipal

from . import selectors, services
from .exceptions import DeclarationStatusError
from .models import Case, Declaration, Workplace


class IsWorkplaceStaff(permissions.BasePermission):
    message = _("Only city staff can list cases.")

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated or isinstance(user, DevicePrincipal):
            return False
        return selectors.is_workplace_staff(user)


class WorkplaceQuery(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)


class WorkplaceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    district = serializers.CharField()
    industry = serializers.CharField()
    workers = serializers.IntegerField(help_text="the baseline headcount pledged")


class WorkplaceListApi(APIView):
    """Participating workplaces (no login needed; no personal data)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(parameters=[WorkplaceQuery], responses={200: WorkplaceOutput(many=True)})
    def get(self, request):
        query = WorkplaceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        rows = selectors.participating(q=values["q"])[
            values["offset"] : values["offset"] + values["limit"]
        ]
        return Response(
            [
                {
                    "id": w.pk,
                    "name": w.name,
                    "district": w.district,
                    "industry": w.industry,
                    "workers": w.baseline_headcount,
                }
                for w in rows
            ]
        )


class DepartureInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=list(services.DEPARTURE_REASONS))
    count = serializers.IntegerField(min_value=0, max_value=services.MAX_HEADCOUNT)


class ReportInput(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", max_length=7)
    headcount = serializers.IntegerField(min_value=0, max_value=services.MAX_HEADCOUNT)
    hires = serializers.IntegerField(min_value=0, max_value=services.MAX_HEADCOUNT, default=0)
    departures = DepartureInput(many=True, required=False, default=list)


class ReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    workplace = serializers.IntegerField()
    month = serializers.CharField()
    headcount = serializers.IntegerField()
    hires = serializers.IntegerField()
    departures = DepartureInput(many=True)
    cases_opened = serializers.ListField(child=serializers.CharField())


class ReportCreateApi(APIView):
    """The employer files a month's report for their workplace."""

    permission_classes = [IsPerson]

    @extend_schema(request=ReportInput, responses={201: ReportOutput})
    def post(self, request, workplace_id: int):
        workplace = get_object_or_404(Workplace, pk=workplace_id, owner=request.user)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        declaration = (
            workplace.declarations.filter(
                status__in=[Declaration.Status.VERIFIED, Declaration.Status.BREACHED]
            )
            .order_by("-pk")
            .first()
        )
        if declaration is None:
            raise DeclarationStatusError(
                _("Reports are filed once the city has verified the declaration.")
            )
        report = services.report_file(
            by=request.user,
            declaration=declaration,
            data=services.report_input(
                month=values["month"],
                headcount=values["headcount"],
                hires=values["hires"],
                departures=[dict(item) for item in values["departures"]],
            ),
        )
        body = {
            "id": report.pk,
            "workplace": workplace.pk,
            "month": f"{report.month:%Y-%m}",
            "headcount": report.headcount,
            "hires": report.hires,
            "departures": [
                {"reason": reason, "count": getattr(report, field)}
                for reason, field in services.DEPARTURE_REASONS.items()
            ],
            "cases_opened": [case.kind for case in report.cases.order_by("pk")],
        }
        return Response(body, status=201)


class CaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    workplace = serializers.IntegerField()
    workplace_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Case.Kind.values)
    status = serializers.ChoiceField(choices=Case.Status.values)
    month = serializers.CharField(allow_null=True)
    opened_at = serializers.DateTimeField()


class CaseListApi(APIView):
    """Cases for staff (403 for anyone else). A worker's report appears without its reporter."""

    permission_classes = [IsWorkplaceStaff]

    @extend_schema(responses={200: CaseOutput(many=True)})
    def get(self, request):
        status = request.query_params.get("status", "")
        if status not in ("", *Case.Status.values):
            status = ""
        cases = selectors.cases_for_staff(status=status)[:500]
        return Response(
            [
                {
                    "id": c.pk,
                    "workplace": c.declaration.workplace_id,
                    "workplace_name": c.declaration.workplace.name,
                    "kind": c.kind,
                    "status": c.status,
                    "month": f"{c.month:%Y-%m}" if c.month else None,
                    "opened_at": c.opened_at,
                }
                for c in cases
            ]
        )
