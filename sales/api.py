"""Charge-day API: staff set a sale up and watch it; citizens take a ticket, watch their
position and pay. The queue's POST takes an ``Idempotency-Key``; the same citizen asking again
gets the same ticket."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.api import MoneyField, idempotency_key_from
from merchants.api import IsCitizen, IsPerson

from . import selectors, services
from .models import Sale

MANAGE = "sales.manage_sale"


class IsSaleStaff(permissions.BasePermission):
    message = "Only city staff can run a sale."

    def has_permission(self, request, view):
        return IsPerson().has_permission(request, view) and request.user.has_perm(MANAGE)


class SaleInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    amount = MoneyField(min_value=1_000, max_value=1_000_000_000_000)
    incentive_bp = serializers.IntegerField(min_value=0, max_value=3000)
    per_person_limit = MoneyField(min_value=1_000, max_value=100_000_000)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    mode = serializers.ChoiceField(choices=Sale.Mode.values)
    priority_groups = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=10
    )
    pay_minutes = serializers.IntegerField(min_value=1, max_value=1440, required=False)
    max_in_flight = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    batch_size = serializers.IntegerField(min_value=1, max_value=10_000, required=False)


class SaleFiguresOutput(serializers.Serializer):
    amount = serializers.IntegerField()
    reserved = serializers.IntegerField()
    sold = serializers.IntegerField()
    remaining = serializers.IntegerField()
    queued = serializers.IntegerField()
    arrivals = serializers.IntegerField()
    admitted = serializers.IntegerField()
    paid = serializers.IntegerField()
    expired = serializers.IntegerField()
    not_allocated = serializers.IntegerField()
    status = serializers.CharField()
    mode = serializers.CharField()


class SaleCreateApi(APIView):
    """Set a tranche up (staff)."""

    permission_classes = [IsSaleStaff]

    @extend_schema(request=SaleInput, responses={201: dict})
    def post(self, request):
        data = SaleInput(data=request.data)
        data.is_valid(raise_exception=True)
        sale = services.sale_create(by=request.user, **data.validated_data)
        return Response({"sale_id": sale.pk}, status=201)


def _figures(sale_id: int) -> dict:
    sale = services.sale_get(sale_id)
    body = selectors.sale_figures(sale_id=sale.pk).as_dict()
    body.update(status=sale.status, mode=sale.mode)
    return body


class SaleDetailApi(APIView):
    """The tranche now: ``reserved + sold + remaining == amount`` in every answer (staff)."""

    permission_classes = [IsSaleStaff]

    @extend_schema(responses={200: SaleFiguresOutput})
    def get(self, request, sale_id):
        services.sale_tick_maybe(sale_id=services.sale_get(sale_id).pk)
        return Response(_figures(sale_id))


class SaleActionApi(APIView):
    """Pause, resume or draw a sale (staff)."""

    permission_classes = [IsSaleStaff]
    action: str = ""

    @extend_schema(request=None, responses={200: SaleFiguresOutput})
    def post(self, request, sale_id):
        sale = services.sale_get(sale_id)
        {
            "pause": services.sale_pause,
            "resume": services.sale_resume,
            "draw": services.sale_draw,
        }[self.action](sale_id=sale.pk, by=request.user)
        return Response(_figures(sale.pk))


class QueueInput(serializers.Serializer):
    amount = MoneyField(min_value=1_000, max_value=100_000_000)
    birth_year = serializers.IntegerField(min_value=1900, max_value=2100, required=False)


class TicketOutput(serializers.Serializer):
    ticket = serializers.IntegerField()
    position = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()
    allocated = serializers.IntegerField()
    ahead = serializers.IntegerField(allow_null=True)
    estimate_minutes = serializers.IntegerField(allow_null=True)


class QueueApi(APIView):
    """Join the sale: a ticket at once, numbered in arrival order (citizen)."""

    permission_classes = [IsCitizen]

    @extend_schema(request=QueueInput, responses={201: TicketOutput})
    def post(self, request, sale_id):
        key = idempotency_key_from(request)
        data = QueueInput(data=request.data)
        data.is_valid(raise_exception=True)
        ticket, created = services.ticket_issue(
            sale_id=sale_id,
            user=request.user,
            amount=data.validated_data["amount"],
            birth_year=data.validated_data.get("birth_year"),
            idempotency_key=key,
        )
        response = Response(
            selectors.ticket_status(sale=ticket.sale, ticket=ticket).as_api(), status=201
        )
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class TicketApi(APIView):
    """Where a ticket stands (its citizen). Cheap: the ticket's row and the cached sale; it
    also drives the admission step at most once a second."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={200: TicketOutput})
    def get(self, request, sale_id, ticket):
        sale = services.sale_get(sale_id)
        services.sale_tick_maybe(sale_id=sale.pk)
        found = services.ticket_for_user(sale_id=sale.pk, ticket_number=ticket, user=request.user)
        sale = services.sale_get(sale_id)
        return Response(selectors.ticket_status(sale=sale, ticket=found).as_api())


class TicketPayApi(APIView):
    """Pay an admitted ticket: a wallet charge of its allocation; go to ``checkout_url``."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={201: dict})
    def post(self, request, sale_id, ticket):
        found = services.ticket_for_user(sale_id=sale_id, ticket_number=ticket, user=request.user)
        charge, url = services.ticket_pay(ticket_id=found.pk, user=request.user)
        return Response(
            {
                "order_id": charge.order_id,
                "amount": charge.amount,
                "checkout_url": request.build_absolute_uri(url),
            },
            status=201,
        )


class DrawOutput(serializers.Serializer):
    seed_commitment = serializers.CharField()
    seed = serializers.CharField(allow_null=True)
    mode = serializers.CharField()
    tickets = serializers.ListField()


class DrawApi(APIView):
    """The draw's audit: the commitment, the seed once drawn, and every ticket's number,
    request and rank (no names), so that anyone can re-run ``sales.allocation``."""

    permission_classes = [IsPerson]

    @extend_schema(responses={200: DrawOutput})
    def get(self, request, sale_id):
        sale = services.sale_get(sale_id)
        drawn = sale.drawn_at is not None
        rows = (
            [
                {"ticket": r[0], "requested": r[1], "rank": r[3], "target": r[4]}
                for r in selectors.draw_rows(sale=sale)
            ]
            if drawn
            else []
        )
        return Response(
            {
                "seed_commitment": sale.seed_commitment,
                "seed": sale.seed if drawn else None,
                "mode": sale.mode,
                "tickets": rows,
            }
        )
