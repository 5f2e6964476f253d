"""Counter API for devices and the citizen's payment-code endpoint."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role

from .authentication import DevicePrincipal
from .services import payment_code_issue


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
