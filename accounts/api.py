from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.http import client_ip

from .services import OTP_LIFETIME, api_token_for_user, api_token_obtain, otp_request, otp_verify


class TokenInput(serializers.Serializer):
    """Either ``email`` and ``password``, or ``phone`` and ``code`` (from ``POST auth/otp``)."""

    email = serializers.EmailField(label=_("Email"), required=False)
    password = serializers.CharField(
        label=_("Password"), max_length=200, trim_whitespace=False, required=False
    )
    phone = serializers.CharField(label=_("Mobile number"), max_length=20, required=False)
    code = serializers.RegexField(
        r"^\d{6}$", label=_("Code"), required=False, max_length=6, min_length=6
    )

    def validate(self, attrs):
        by_password = "email" in attrs or "password" in attrs
        by_code = "phone" in attrs or "code" in attrs
        if by_password == by_code:
            raise serializers.ValidationError(
                _("Send either email and password, or phone and code.")
            )
        missing = [
            name
            for name in (("email", "password") if by_password else ("phone", "code"))
            if not attrs.get(name)
        ]
        if missing:
            raise serializers.ValidationError(
                {name: [_("This field is required.")] for name in missing}
            )
        return attrs


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class TokenObtainApi(APIView):
    """Exchange email and password, or a mobile number and the code sent to it, for an API
    token (``Authorization: Token <token>``). Both are throttled like a password."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "phone" in values:
            user = otp_verify(
                phone=values["phone"], code=values["code"], client_ip=client_ip(request)
            )
            return Response({"token": api_token_for_user(user=user)})
        token = api_token_obtain(
            email=values["email"], password=values["password"], client_ip=client_ip(request)
        )
        return Response({"token": token})


class OtpRequestInput(serializers.Serializer):
    phone = serializers.CharField(label=_("Mobile number"), max_length=20)


class OtpRequestOutput(serializers.Serializer):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField()


class OtpRequestApi(APIView):
    """Send a sign-in code by text message to a mobile number. The answer is the same whether
    the number has an account or not; then ``POST auth/token`` with ``phone`` and ``code``."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=OtpRequestInput, responses={202: OtpRequestOutput})
    def post(self, request):
        data = OtpRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        otp_request(phone=data.validated_data["phone"], client_ip=client_ip(request))
        return Response(
            {
                "detail": str(_("If the number belongs to an account, a code is on its way.")),
                "expires_in": int(OTP_LIFETIME.total_seconds()),
            },
            status=status.HTTP_202_ACCEPTED,
        )
