from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.http import client_ip

from .services import api_token_obtain


class TokenInput(serializers.Serializer):
    email = serializers.EmailField(label=_("Email"))
    password = serializers.CharField(label=_("Password"), max_length=200, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class TokenObtainApi(APIView):
    """Exchange email and password for an API token (``Authorization: Token <token>``)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        token = api_token_obtain(
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            client_ip=client_ip(request),
        )
        return Response({"token": token})
