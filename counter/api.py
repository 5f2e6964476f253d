"""The counter's API: counter devices (their own token) identify a customer and take bills;
the shop's owner (a person's session or token) cancels today's payments and redemptions.
Money-moving POSTs take an ``Idempotency-Key`` header."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import services as campaign_services
from campaigns.models import Redemption
from cards import services as card_services
from jeonju_prepay.api import MoneyField, idempotency_key_from
from jeonju_prepay.http import client_ip
from ledger.services import Idem
from merchants.api import IsCounterDevice, IsPerson
from merchants.selectors import shop_for_member
from merchants.services import payment_code_resolve
from vouchers import services as wallet_services
from vouchers.api import IDEMPOTENCY_PARAM, PaymentOutput, idempotent_response
from vouchers.models import Payment

from . import services
from .selectors import identify_body


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
    grant = serializers.IntegerField(help_text="grant balances (spent first where allowed)")
    code_expires_at = serializers.DateTimeField()


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


class CounterCodePaymentInput(serializers.Serializer):
    """The common case of ``CounterPaymentInput``: a code and an amount, no card. A serializer
    copies its declared fields for every request, so the counter's busiest call validates with
    these two only (the same rules: the full form is used whenever a card is named)."""

    code = serializers.CharField(max_length=200)
    amount = MoneyField(min_value=1, max_value=100_000_000)


class CounterPaymentInput(CounterCodePaymentInput):
    card = serializers.CharField(max_length=40, required=False, help_text="16 digits")
    pin = serializers.CharField(
        max_length=20, required=False, write_only=True, help_text="the card's 6-digit PIN"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False  # a card may stand in for it

    def validate(self, attrs):
        if bool(attrs.get("code")) == bool(attrs.get("card")):
            raise serializers.ValidationError("Send either a code or a card number.")
        return attrs


class CounterPaymentApi(APIView):
    """A wallet payment at the counter (device token): from the customer's code, or from a card
    with the PIN the customer entered on the device. The answer is the same either way."""

    permission_classes = [IsCounterDevice]

    @extend_schema(
        request=CounterPaymentInput, responses={201: PaymentOutput}, parameters=[IDEMPOTENCY_PARAM]
    )
    def post(self, request):
        key = idempotency_key_from(request)
        body = request.data
        code_only = isinstance(body, dict) and "code" in body and "card" not in body
        data = (CounterCodePaymentInput if code_only else CounterPaymentInput)(data=body)
        data.is_valid(raise_exception=True)
        device = request.user.device
        values = data.validated_data
        amount = values["amount"]
        if values.get("card"):
            card = values["card"]
            result = card_services.card_pay(
                shop=device.shop,
                number=card,
                pin=values.get("pin"),
                amount=amount,
                # The PIN is not part of the fingerprint: a retry after a wrong PIN with the
                # right one is the same payment.
                idem=Idem.of(f"device:{device.pk}", key, "counter_card_payment", card, amount),
                device=device,
            )
            return idempotent_response(result)
        code = values["code"]
        result = services.counter_pay(
            shop=device.shop,
            code=code,
            amount=amount,
            idem=Idem.of(f"device:{device.pk}", key, "counter_payment", code, amount),
            device=device,
            client_ip=client_ip(request),
        )
        return idempotent_response(result)


class NoteInput(serializers.Serializer):
    serial = serializers.CharField(max_length=40)
    check = serializers.CharField(max_length=40)


class NoteOutput(serializers.Serializer):
    note_id = serializers.IntegerField()
    face_value = serializers.IntegerField()
    serial = serializers.CharField()
    business_date = serializers.CharField()


class CounterNoteApi(APIView):
    """A shop accepts a paper note (device token): 201 with the note's face value, owed to the
    shop at the next settlement; 409 naming where and when for a note already used; 422 for a
    note whose check code does not match (forged)."""

    permission_classes = [IsCounterDevice]

    @extend_schema(request=NoteInput, responses={201: NoteOutput}, parameters=[IDEMPOTENCY_PARAM])
    def post(self, request):
        key = idempotency_key_from(request)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = request.user.device
        serial, check = data.validated_data["serial"], data.validated_data["check"]
        result = card_services.note_redeem(
            shop=device.shop,
            serial=serial,
            check=check,
            idem=Idem.of(f"device:{device.pk}", key, "counter_note", serial, check),
            device=device,
        )
        return idempotent_response(result)


class BillInput(serializers.Serializer):
    code = serializers.CharField(max_length=200)
    amount = MoneyField(min_value=1, max_value=100_000_000, help_text="the whole bill, in won")


class BillOutput(serializers.Serializer):
    bill = serializers.IntegerField()
    from_prepaid = serializers.IntegerField()
    from_wallet = serializers.IntegerField(help_text="includes from_grant")
    from_grant = serializers.IntegerField(help_text="the part a grant paid (grants app)")
    cashback = serializers.IntegerField()
    redemption_id = serializers.IntegerField(allow_null=True)
    payment_id = serializers.IntegerField(allow_null=True)
    prepaid_balance = serializers.IntegerField(allow_null=True)
    wallet_balance = serializers.DictField(allow_null=True)
    business_date = serializers.CharField()


class CounterBillApi(APIView):
    """A bill at the counter (device token): the customer's prepaid balance at this shop first,
    the rest from the wallet, in one step."""

    permission_classes = [IsCounterDevice]

    @extend_schema(request=BillInput, responses={201: BillOutput}, parameters=[IDEMPOTENCY_PARAM])
    def post(self, request):
        key = idempotency_key_from(request)
        data = BillInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = request.user.device
        code, amount = data.validated_data["code"], data.validated_data["amount"]
        result = services.bill_pay(
            shop=device.shop,
            code=code,
            amount=amount,
            idem=Idem.of(f"device:{device.pk}", key, "counter_bill", code, amount),
            device=device,
            client_ip=client_ip(request),
        )
        return idempotent_response(result)


class RedemptionCancelOutput(serializers.Serializer):
    redemption_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    cancelled = serializers.BooleanField()


class ShopRedemptionCancelApi(APIView):
    """The shop's owner cancels one of today's redemptions: the prepaid value back to the
    pledges it came from, the wallet part back to the wallet."""

    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: RedemptionCancelOutput})
    def post(self, request, shop_id: int, redemption_id: int):
        shop = shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
        redemption = get_object_or_404(Redemption, pk=redemption_id, shop=shop)
        redemption = campaign_services.redemption_cancel(redemption=redemption, by=request.user)
        return Response(
            {"redemption_id": redemption.pk, "amount": redemption.amount, "cancelled": True}
        )


class RedemptionInput(serializers.Serializer):
    code = serializers.CharField(max_length=200)
    amount = MoneyField(min_value=1, max_value=100_000_000)
    wallet_amount = MoneyField(min_value=1, max_value=100_000_000, required=False)


class RedemptionOutput(serializers.Serializer):
    redemption_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    prepaid_balance = serializers.IntegerField()
    shop = serializers.DictField()
    business_date = serializers.CharField()
    wallet_payment = serializers.DictField(required=False)


class CounterRedemptionApi(APIView):
    """Redeem a prepaid balance at the counter (device token); optionally pay the rest of the
    bill from the wallet in the same step (``wallet_amount``)."""

    permission_classes = [IsCounterDevice]

    @extend_schema(
        request=RedemptionInput, responses={201: RedemptionOutput}, parameters=[IDEMPOTENCY_PARAM]
    )
    def post(self, request):
        key = idempotency_key_from(request)
        data = RedemptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        device = request.user.device
        result = services.counter_redeem(
            shop=device.shop,
            code=values["code"],
            amount=values["amount"],
            wallet_amount=values.get("wallet_amount"),
            idem=Idem.of(
                f"device:{device.pk}",
                key,
                "counter_redemption",
                values["code"],
                values["amount"],
                values.get("wallet_amount"),
            ),
            device=device,
            client_ip=client_ip(request),
        )
        return idempotent_response(result)


class PaymentCancelOutput(serializers.Serializer):
    payment_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    status = serializers.CharField()


class ShopPaymentCancelApi(APIView):
    """The shop's owner cancels one of today's payments (the money back to the wallet). A
    payment that paid for a pledge, or the wallet part of a redemption, is refused with 409:
    it is cancelled only with its pledge or redemption."""

    permission_classes = [IsPerson]

    @extend_schema(request=None, responses={200: PaymentCancelOutput})
    def post(self, request, shop_id: int, payment_id: int):
        shop = shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
        payment = get_object_or_404(Payment, pk=payment_id, shop=shop)
        payment = wallet_services.payment_cancel(payment=payment, by=request.user)
        return Response(
            {"payment_id": payment.pk, "amount": payment.amount, "status": payment.status}
        )
