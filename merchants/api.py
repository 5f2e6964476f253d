"""Counter API for devices and the citizen's payment-code endpoint."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from accounts.utils import mask_name
from jeonju_prepay.http import client_ip
from ledger.selectors import citizen_balances

from .authentication import DevicePrincipal
from .services import payment_code_issue, payment_code_resolve


class IsCounterDevice(permissions.BasePermission):
    message = "This endpoint takes a counter device token."

    def has_permission(self, request, view):
        return isinstance(request.user, DevicePrincipal)


class IsPerson(permissions.BasePermission):
    """Any signed-in person of the city (session or their own token), not a counter device."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not isinstance(user, DevicePrincipal))


class IsCitizen(permissions.BasePermission):
    message = "This endpoint is for citizens."

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user and user.is_authenticated and not isinstance(user, DevicePrincipal)
        ) and user.has_role(Role.CITIZEN)


class CodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=200, trim_whitespace=True)


class CitizenOutput(serializers.Serializer):
    name = serializers.CharField(help_text="masked, e.g. 김*수")


class IdentifyOutput(serializers.Serializer):
    citizen = CitizenOutput()
    shop = serializers.DictField()
    prepaid_balance = serializers.IntegerField()
    wallet_balance = serializers.IntegerField()
    principal = serializers.IntegerField()
    incentive = serializers.IntegerField()
    code_expires_at = serializers.DateTimeField()


def identify_body(*, code_obj, shop) -> dict:
    balances = citizen_balances(user_id=code_obj.user.pk, shop_id=shop.pk)
    return {
        "citizen": {"name": mask_name(code_obj.user.name or code_obj.user.email.split("@")[0])},
        "shop": {"id": shop.pk, "name": shop.name},
        "prepaid_balance": balances.prepaid,
        "wallet_balance": balances.wallet,
        "principal": balances.principal,
        "incentive": balances.incentive,
        "code_expires_at": code_obj.expires_at,
    }


class CounterIdentifyApi(APIView):
    """Identify a citizen from the code shown at the counter (does not spend the code)."""

    permission_classes = [IsCounterDevice]

    @extend_schema(request=CodeInput, responses={200: IdentifyOutput})
    def post(self, request):
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = request.user.device
        code_obj = payment_code_resolve(
            code=data.validated_data["code"],
            shop=device.shop,
            device=device,
            client_ip=client_ip(request),
        )
        return Response(identify_body(code_obj=code_obj, shop=device.shop))


class PaymentCodeOutput(serializers.Serializer):
    code = serializers.CharField(help_text="16 digits")
    qr_token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PaymentCodeApi(APIView):
    """A new single-use payment code for the signed-in citizen (valid 3 minutes)."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={201: PaymentCodeOutput})
    def post(self, request):
        issued = payment_code_issue(user=request.user)
        return Response(
            {"code": issued.number, "qr_token": issued.qr_token, "expires_at": issued.expires_at},
            status=201,
        )
