"""Campaign, pledge and counter-redemption API."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.api import MoneyField, idempotency_key_from
from ledger.services import Idem
from merchants.api import IsCitizen, IsPerson
from merchants.models import Shop
from vouchers.api import IDEMPOTENCY_PARAM, idempotent_response

from . import selectors, services
from .models import Campaign, Pledge


class ProgressSerializer(serializers.Serializer):
    participants = serializers.IntegerField()
    pledged = serializers.IntegerField()
    redeemed = serializers.IntegerField()
    outstanding = serializers.IntegerField()
    pledges = serializers.IntegerField()
    target_participants = serializers.IntegerField()
    target_amount = serializers.IntegerField()
    participants_percent = serializers.IntegerField()
    amount_percent = serializers.IntegerField()


class CampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    min_pledge = serializers.IntegerField()
    max_pledge = serializers.IntegerField()
    max_per_citizen = serializers.IntegerField()
    cap_per_shop = serializers.IntegerField(allow_null=True)
    validity_days = serializers.IntegerField()
    progress = ProgressSerializer()


def _campaign(campaign: Campaign) -> dict:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "min_pledge": campaign.min_pledge,
        "max_pledge": campaign.max_pledge,
        "max_per_citizen": campaign.max_per_citizen,
        "cap_per_shop": campaign.cap_per_shop,
        "validity_days": campaign.validity_days,
        "progress": selectors.campaign_progress(campaign).as_dict(),
    }


class CampaignListApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(responses={200: CampaignOutput(many=True)})
    def get(self, request):
        return Response([_campaign(c) for c in selectors.campaigns_all()[:50]])


class CampaignDetailApi(APIView):
    """A campaign with progress toward each target, per phase and per organisation."""

    permission_classes = [IsPerson]

    @extend_schema(responses={200: CampaignOutput})
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        body = _campaign(campaign)
        body["phases"] = [
            {
                "number": phase.number,
                "name": phase.name,
                "starts_on": phase.starts_on,
                "ends_on": phase.ends_on,
                "members_only": phase.members_only,
                "progress": progress.as_dict(),
            }
            for phase, progress in selectors.phase_progress(campaign)
        ]
        body["organisations"] = [
            {
                "id": s.organisation_id,
                "name": s.name,
                "kind": s.kind,
                "members": s.members,
                "participants": s.participants,
                "pledged": s.pledged,
            }
            for s in selectors.organisation_standings(campaign)
        ]
        return Response(body)


class CampaignShopOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.CharField()
    district = serializers.CharField()
    bonus_bp = serializers.IntegerField()


class CampaignShopsApi(APIView):
    permission_classes = [IsPerson]

    @extend_schema(responses={200: CampaignShopOutput(many=True)})
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        shops = selectors.campaign_shops(
            campaign=campaign,
            district=request.query_params.get("district", "")[:50],
            category=request.query_params.get("category", "")[:30],
            query=request.query_params.get("q", "")[:50],
        )[:500]
        return Response(
            [
                {
                    "id": cs.shop_id,
                    "name": cs.shop.name,
                    "category": cs.shop.category,
                    "district": cs.shop.district,
                    "bonus_bp": cs.bonus_bp,
                }
                for cs in shops
            ]
        )


class PledgeInput(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1, max_value=2**62)
    shop = serializers.IntegerField(min_value=1, max_value=2**62)
    amount = MoneyField(min_value=1, max_value=100_000_000)
    pay_with = serializers.ChoiceField(choices=["wallet", "card"], default="wallet")
    pin = serializers.CharField(max_length=6, required=False, allow_blank=True)


class PledgeOutput(serializers.Serializer):
    pledge_id = serializers.IntegerField()
    campaign = serializers.IntegerField()
    shop = serializers.IntegerField()
    amount = serializers.IntegerField()
    bonus = serializers.IntegerField()
    value = serializers.IntegerField()
    status = serializers.CharField()
    valid_until = serializers.CharField()
    prepaid_balance = serializers.IntegerField()


class PledgesApi(APIView):
    """My pledges with the prepaid balances (GET); pledge to a shop (POST)."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={200: PledgeOutput(many=True)})
    def get(self, request):
        pledges = (
            Pledge.objects.filter(user=request.user)
            .exclude(status="failed")
            .order_by("-created_at")[:200]
        )
        return Response([services.pledge_body(p) for p in pledges])

    @extend_schema(
        request=PledgeInput, responses={201: PledgeOutput}, parameters=[IDEMPOTENCY_PARAM]
    )
    def post(self, request):
        key = idempotency_key_from(request)
        data = PledgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        campaign = get_object_or_404(Campaign, pk=values["campaign"])
        shop = get_object_or_404(Shop, pk=values["shop"])
        if values["pay_with"] == "card":
            pledge, url = services.pledge_with_card(
                user=request.user, campaign=campaign, shop=shop, amount=values["amount"]
            )
            body = services.pledge_body(pledge)
            body["order_id"] = pledge.charge.order_id
            body["checkout_url"] = request.build_absolute_uri(url)
            return Response(body, status=201)
        result = services.pledge_with_wallet(
            user=request.user,
            campaign=campaign,
            shop=shop,
            amount=values["amount"],
            pin=values.get("pin"),
            idem=Idem.of(
                f"user:{request.user.pk}", key, "pledge", campaign.pk, shop.pk, values["amount"]
            ),
        )
        return idempotent_response(result)


class PledgeCancelApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: PledgeOutput})
    def post(self, request, pledge_id: int):
        pledge = get_object_or_404(Pledge, pk=pledge_id, user=request.user)
        return Response(
            services.pledge_body(services.pledge_cancel(pledge=pledge, by=request.user))
        )
