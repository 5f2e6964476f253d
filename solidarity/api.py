"""Solidarity's API: gifts, donations, the year-end statement. Money-moving POSTs take an
``Idempotency-Key`` header (a retry with the same key and body replays the first answer)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.api import MoneyField, idempotency_key_from
from ledger.services import Idem
from merchants.api import IsCitizen
from vouchers.api import IDEMPOTENCY_PARAM, idempotent_response

from . import selectors, services, statements


class GiftInput(serializers.Serializer):
    to = serializers.CharField(max_length=254, help_text="email address or mobile number")
    amount = MoneyField(min_value=1, max_value=10_000_000)
    pin = serializers.CharField(max_length=6, min_length=6)
    message = serializers.CharField(max_length=100, required=False, allow_blank=True)


class GiftOutput(serializers.Serializer):
    gift_id = serializers.IntegerField()
    status = serializers.CharField()
    amount = serializers.IntegerField()
    principal = serializers.IntegerField()
    incentive = serializers.IntegerField()


def _gift_row(gift, user) -> dict:
    return {
        "gift_id": gift.pk,
        "status": gift.status,
        "amount": gift.amount,
        "principal": gift.principal,
        "incentive": gift.incentive,
        "direction": "sent" if gift.sender_id == user.pk else "received",
        "created_at": gift.created_at.isoformat() if gift.created_at else None,
        "expires_at": gift.expires_at.isoformat() if gift.status == "held" else None,
    }


class GiftsApi(APIView):
    """GET: the citizen's gifts (claiming first any that waited for them). POST: give part of
    the wallet to someone by email address or mobile number, with the PIN."""

    permission_classes = [IsCitizen]

    @extend_schema(
        responses={200: inline_serializer("GiftList", fields={"gifts": GiftOutput(many=True)})}
    )
    def get(self, request):
        services.gifts_claim(user=request.user)
        gifts = selectors.gifts_of(user=request.user)[:100]
        return Response({"gifts": [_gift_row(g, request.user) for g in gifts]})

    @extend_schema(request=GiftInput, responses={201: GiftOutput}, parameters=[IDEMPOTENCY_PARAM])
    def post(self, request):
        key = idempotency_key_from(request)
        data = GiftInput(data=request.data)
        data.is_valid(raise_exception=True)
        to = data.validated_data["to"]
        amount = data.validated_data["amount"]
        result = services.gift_send(
            sender=request.user,
            to=to,
            amount=amount,
            pin=data.validated_data["pin"],
            message=data.validated_data.get("message", ""),
            idem=Idem.of(f"user:{request.user.pk}", key, "gift", to.strip().lower(), amount),
        )
        return idempotent_response(result)


class GiftCancelApi(APIView):
    """Cancel a gift still waiting for its recipient: the money returns to the wallet."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: GiftOutput})
    def post(self, request, gift_id: int):
        gift = services.gift_cancel(gift_id=gift_id, by=request.user)
        return Response(_gift_row(gift, request.user))


class DonationInput(serializers.Serializer):
    amount = MoneyField(min_value=1, max_value=10_000_000)


class DonationOutput(serializers.Serializer):
    donation_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    principal = serializers.IntegerField()
    incentive = serializers.IntegerField()


class DonationsApi(APIView):
    """A one-off donation from the wallet to the city's community fund."""

    permission_classes = [IsCitizen]

    @extend_schema(
        request=DonationInput, responses={201: DonationOutput}, parameters=[IDEMPOTENCY_PARAM]
    )
    def post(self, request):
        key = idempotency_key_from(request)
        data = DonationInput(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data["amount"]
        result = services.donation_give(
            user=request.user,
            amount=amount,
            idem=Idem.of(f"user:{request.user.pk}", key, "donation", amount),
        )
        return idempotent_response(result)


class JsonUnlessFile(DefaultContentNegotiation):
    """Answers JSON whatever ``?format=`` says: here ``format`` asks for a file (PDF, CSV) that
    the view writes itself, not for one of DRF's renderers (which would answer 404)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StatementApi(APIView):
    """The citizen's year: spending with the Love Gift Certificate by month (what counts toward
    the income deduction and what does not), donations, grants received. ``?format=pdf`` for
    the PDF, ``?format=csv`` for the CSV."""

    permission_classes = [IsCitizen]
    content_negotiation_class = JsonUnlessFile

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "pdf", "csv"], required=False)],
        responses={200: dict},
    )
    def get(self, request, year: int):
        statement = statements.statement_for(user=request.user, year=year)
        wanted = request.query_params.get("format", "json")
        if wanted == "pdf":
            response = HttpResponse(
                statements.statement_pdf(statement), content_type="application/pdf"
            )
            response["Content-Disposition"] = f'attachment; filename="statement-{year}.pdf"'
            return response
        if wanted == "csv":
            response = HttpResponse(
                statements.statement_csv(statement), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="statement-{year}.csv"'
            return response
        return Response(statement.as_dict())
