"""Wallet and counter-payment API. Money-moving POSTs take an ``Idempotency-Key`` header."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.api import MoneyField, idempotency_key_from
from ledger.services import Idem
from merchants.api import IsCitizen
from merchants.models import Shop

from . import selectors, services

IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per operation; a retry with the same key and body replays.",
)


def idempotent_response(result) -> Response:
    response = Response(result.body, status=result.status_code)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    charged = serializers.IntegerField()
    charge_limit = serializers.IntegerField()
    charge_remaining = serializers.IntegerField()
    carried_in = serializers.IntegerField()
    incentive = serializers.IntegerField()
    cashback = serializers.IntegerField()
    cashback_cap = serializers.IntegerField()


class WalletOutput(serializers.Serializer):
    balance = serializers.IntegerField()
    principal = serializers.IntegerField()
    incentive = serializers.IntegerField()
    grant = serializers.IntegerField(help_text="grant balances; included in balance")
    month = MonthSerializer(allow_null=True)
    rates = serializers.DictField(allow_null=True)
    pin_set = serializers.BooleanField()


class WalletApi(APIView):
    """The citizen's balances and this month's figures against the limits."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={200: WalletOutput})
    def get(self, request):
        return Response(selectors.wallet_summary(user=request.user).as_dict())


class AmountInput(serializers.Serializer):
    amount = MoneyField(min_value=1, max_value=100_000_000)


class ChargeOutput(serializers.Serializer):
    charge_id = serializers.IntegerField()
    order_id = serializers.CharField()
    amount = serializers.IntegerField()
    incentive = serializers.IntegerField()
    status = serializers.CharField()
    checkout_url = serializers.CharField(required=False)


def _charge_body(charge, checkout_url=None) -> dict:
    body = {
        "charge_id": charge.pk,
        "order_id": charge.order_id,
        "amount": charge.amount,
        "incentive": charge.incentive,
        "status": charge.status,
    }
    if checkout_url:
        body["checkout_url"] = checkout_url
    return body


class ChargeCreateApi(APIView):
    """Start a charge: the payment is registered with the provider; go to ``checkout_url``."""

    permission_classes = [IsCitizen]

    @extend_schema(request=AmountInput, responses={201: ChargeOutput})
    def post(self, request):
        data = AmountInput(data=request.data)
        data.is_valid(raise_exception=True)
        charge, url = services.charge_create(
            user=request.user, amount=data.validated_data["amount"]
        )
        return Response(_charge_body(charge, request.build_absolute_uri(url)), status=201)


class ChargeDetailApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: ChargeOutput})
    def get(self, request, order_id):
        return Response(
            _charge_body(services.charge_for_user(user=request.user, order_id=order_id))
        )


class ChargeCancelApi(APIView):
    """Cancel an unused charge within 7 days (principal to the card, incentive to the budget),
    or close one still waiting for its payment (nothing was taken)."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: ChargeOutput})
    def post(self, request, order_id):
        charge = services.charge_for_user(user=request.user, order_id=order_id)
        return Response(_charge_body(services.charge_cancel(charge=charge, by=request.user)))


class CallbackOutput(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()


class CallbackApi(APIView):
    """The payment provider's signed server-to-server callback (verified over the raw body)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={200: CallbackOutput})
    def post(self, request, provider):
        outcome = services.charge_callback_handle(
            provider_name=provider, raw_body=request.body, headers=request.headers
        )
        return Response({"status": outcome.status, "message": outcome.message})


class PaymentOutput(serializers.Serializer):
    payment_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    cashback = serializers.IntegerField()
    from_principal = serializers.IntegerField()
    from_incentive = serializers.IntegerField()
    from_grant = serializers.IntegerField(help_text="the part a grant paid (spent first)")
    shop = serializers.DictField()
    method = serializers.CharField()
    business_date = serializers.CharField()
    wallet_balance = serializers.DictField(required=False)


class QrPaymentInput(serializers.Serializer):
    shop_code = serializers.CharField(max_length=32, help_text="the code in the shop's QR")
    amount = MoneyField(min_value=1, max_value=100_000_000)
    pin = serializers.CharField(max_length=6, min_length=6)


class QrPaymentApi(APIView):
    """The citizen pays a shop whose QR they scanned, with the PIN."""

    permission_classes = [IsCitizen]

    @extend_schema(
        request=QrPaymentInput, responses={201: PaymentOutput}, parameters=[IDEMPOTENCY_PARAM]
    )
    def post(self, request):
        key = idempotency_key_from(request)
        data = QrPaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        shop = get_object_or_404(Shop, public_code=data.validated_data["shop_code"])
        amount = data.validated_data["amount"]
        result = services.qr_pay(
            user=request.user,
            shop=shop,
            amount=amount,
            pin=data.validated_data["pin"],
            idem=Idem.of(f"user:{request.user.pk}", key, "qr_payment", shop.pk, amount),
        )
        return idempotent_response(result)


class RefundOutput(serializers.Serializer):
    refund_id = serializers.IntegerField()
    principal_refunded = serializers.IntegerField()
    incentive_returned = serializers.IntegerField()


class RefundApi(APIView):
    """Refund the remaining balance when the city's rule allows it."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={201: RefundOutput}, parameters=[IDEMPOTENCY_PARAM])
    def post(self, request):
        key = idempotency_key_from(request)
        result = services.wallet_refund(
            user=request.user, idem=Idem.of(f"user:{request.user.pk}", key, "wallet_refund")
        )
        return idempotent_response(result)


class HistoryItem(serializers.Serializer):
    entry_id = serializers.IntegerField()
    kind = serializers.CharField()
    account = serializers.CharField()
    amount = serializers.IntegerField()
    business_date = serializers.DateField()
    created_at = serializers.DateTimeField()
    memo = serializers.CharField()


class HistoryApi(APIView):
    """Every movement of the citizen's wallet, newest first (at most 200)."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={200: HistoryItem(many=True)})
    def get(self, request):
        postings = selectors.wallet_history(user=request.user, limit=200)
        return Response(
            [
                {
                    "entry_id": p.entry.pk,
                    "kind": p.kind,
                    "account": p.account_kind,
                    "amount": p.amount,
                    "business_date": p.business_date,
                    "created_at": p.entry.created_at,
                    "memo": p.entry.memo,
                }
                for p in postings
            ]
        )
