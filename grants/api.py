"""Grants API: open programmes, a citizen's application, staff decisions and payments.

- ``GET  /api/v1/grants/programmes`` (signed in): programmes open for applications.
- ``GET  /api/v1/grants/applications`` (signed in): the caller's applications and their status.
- ``POST /api/v1/grants/applications`` (citizen): apply → 201 ``{"application_id", "status"}``.
- ``POST /api/v1/grants/applications/<id>/decision`` (grant staff): approve, reject, ask for a
  document.
- ``POST /api/v1/grants/programmes/<id>/payments`` (grant staff, ``Idempotency-Key``): pay
  every approved, unpaid application → ``{"paid", "amount", "batch_id"}``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from jeonju_prepay.api import idempotency_key_from
from ledger.services import fingerprint, idempotent
from merchants.authentication import DevicePrincipal
from vouchers.api import IDEMPOTENCY_PARAM, idempotent_response

from . import selectors, services
from .exceptions import ApplicationNotFoundError, ProgrammeNotFoundError
from .models import Application, Programme


class SignedIn(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not isinstance(user, DevicePrincipal))


class IsApplicant(SignedIn):
    message = _("Only citizens can apply for a grant.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_role(Role.CITIZEN)


class IsGrantStaff(SignedIn):
    message = _("Only city staff in charge of grants can do this.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and services.is_grant_staff(request.user)


class GroupOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    evidence = serializers.CharField()


class AskOutput(serializers.Serializer):
    field = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    label = serializers.CharField()  # type: ignore[assignment]


class ProgrammeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    amount = serializers.IntegerField(help_text="won for one person (or a one-person household)")
    per = serializers.CharField()
    apply_until = serializers.DateField()
    spend_until = serializers.DateField()
    groups = GroupOutput(many=True)
    asks = AskOutput(many=True, help_text="what an application sends besides programme, group")


def asks() -> list[dict]:
    return [
        {"field": "consent", "required": True, "label": str(_("I agree to the declaration"))},
        {
            "field": "identifier",
            "required": False,
            "label": str(_("Resident registration number (kept only as a fingerprint)")),
        },
        {"field": "household", "required": False, "label": str(_("Registered address"))},
        {"field": "household_size", "required": False, "label": str(_("Household members"))},
    ]


def programme_body(programme: Programme) -> dict:
    return {
        "id": programme.pk,
        "name": programme.name,
        "amount": services.programme_amount(programme, household_size=1),
        "per": programme.per,
        "apply_until": programme.apply_until.isoformat(),
        "spend_until": programme.spend_until.isoformat(),
        "groups": [
            {"code": g.code, "name": g.name, "evidence": g.evidence} for g in programme.groups.all()
        ],
        "asks": asks(),
    }


class ProgrammeListApi(APIView):
    """Programmes open for applications today."""

    permission_classes = [SignedIn]

    @extend_schema(responses={200: ProgrammeOutput(many=True)})
    def get(self, request):
        return Response([programme_body(p) for p in selectors.programmes_open()])


class ApplicationInput(serializers.Serializer):
    programme = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    group = serializers.CharField(max_length=30)
    consent = serializers.BooleanField(
        default=False, help_text="the applicant agrees to the declaration and the checks"
    )
    identifier = serializers.CharField(max_length=30, required=False, allow_blank=True)
    household = serializers.CharField(max_length=200, required=False, allow_blank=True)
    household_size = serializers.IntegerField(min_value=1, max_value=20, default=1)


class ApplicationOutput(serializers.Serializer):
    application_id = serializers.IntegerField()
    status = serializers.CharField()
    programme = serializers.IntegerField()
    amount = serializers.IntegerField()
    flags = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


def application_body(application: Application) -> dict:
    return {
        "application_id": application.pk,
        "status": application.status,
        "programme": application.programme_id,
        "amount": application.amount,
        "flags": list(application.flags),
        "reason": application.reason,
    }


class ApplicationListApi(APIView):
    """The caller's applications (GET) and a new one (POST)."""

    permission_classes = [IsApplicant]

    @extend_schema(responses={200: ApplicationOutput(many=True)})
    def get(self, request):
        return Response([application_body(a) for a in selectors.applications_of(user=request.user)])

    @extend_schema(request=ApplicationInput, responses={201: ApplicationOutput})
    def post(self, request):
        data = ApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        programme = Programme.objects.filter(pk=values["programme"]).first()
        if programme is None:
            raise ProgrammeNotFoundError()
        user = request.user
        application = services.application_submit(
            programme=programme,
            applicant=user,
            group_code=values["group"],
            # Without a number, the person is known by their account (a duplicate through
            # another account is then found by the household only).
            identifier=values.get("identifier") or f"USER{user.pk:08d}",
            household=values.get("household") or f"user:{user.pk}",
            household_size=values["household_size"],
            consent=values["consent"],
        )
        return Response(application_body(application), status=201)


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[services.APPROVE, services.REJECT, services.REQUEST_DOCUMENTS]
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DecisionApi(APIView):
    """Staff decide an application: approve (within the budget), reject with a reason, or ask
    for a document."""

    permission_classes = [IsGrantStaff]

    @extend_schema(request=DecisionInput, responses={200: ApplicationOutput})
    def post(self, request, pk: int):
        application = Application.objects.filter(pk=pk).first()
        if application is None:
            raise ApplicationNotFoundError()
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        decided = services.application_decide(
            application=application,
            by=request.user,
            decision=data.validated_data["decision"],
            reason=data.validated_data["reason"],
        )
        return Response(application_body(decided))


class GrantPaymentOutput(serializers.Serializer):
    paid = serializers.IntegerField()
    amount = serializers.IntegerField()
    batch_id = serializers.IntegerField()


class PaymentApi(APIView):
    """Pay every approved, unpaid application of the programme into the citizens' grant
    balances, in one ledger entry. A retry with the same key gets the first answer; a new key
    pays what has been approved since (0 when nothing has)."""

    permission_classes = [IsGrantStaff]

    @extend_schema(
        request=None, responses={201: GrantPaymentOutput}, parameters=[IDEMPOTENCY_PARAM]
    )
    def post(self, request, pk: int):
        programme = Programme.objects.filter(pk=pk).first()
        if programme is None:
            raise ProgrammeNotFoundError()
        key = idempotency_key_from(request)

        def operation():
            batch = services.grants_pay(programme=programme, by=request.user)
            return 201, {"paid": batch.paid, "amount": batch.amount, "batch_id": batch.pk}

        result = idempotent(
            scope=f"user:{request.user.pk}",
            key=key,
            request_fingerprint=fingerprint("grants_pay", programme.pk),
            operation=operation,
        )
        return idempotent_response(result)
