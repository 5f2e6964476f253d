"""``GET /api/v1/rentals/agreements``: the city's rent-reduction agreements, for city staff."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.authentication import DevicePrincipal

from . import selectors
from .models import Agreement, Signature


class IsRentalStaff(permissions.BasePermission):
    message = _("Only city staff can list rent-reduction agreements.")

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated or isinstance(user, DevicePrincipal):
            return False
        return selectors.is_rental_staff(user)


class AgreementQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Agreement.Status.values, required=False)
    district = serializers.CharField(max_length=50, required=False, allow_blank=True)
    flagged = serializers.BooleanField(required=False, allow_null=True, default=None)
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=1_000_000_000, default=0)

    def validate(self, attrs):
        # ``?limit=1&limit=500``: a query string may repeat a name, and the last one would win
        # silently; each filter is one value.
        lists = getattr(self.initial_data, "lists", None)
        for name, values in lists() if lists else ():
            if len(values) > 1:
                raise serializers.ValidationError({name: _("Give this filter once.")})
            # "?limit=" is no number: refused, not read as "limit not given" (district= is any).
            if name in self.fields and name != "district" and values == [""]:
                raise serializers.ValidationError(
                    {name: self.fields[name].error_messages["required"]}
                )
        return attrs


class PartyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ShopOutput(PartyOutput):
    business_number = serializers.CharField()


class PropertyOutput(serializers.Serializer):
    address = serializers.CharField()
    unit = serializers.CharField()
    district = serializers.CharField()


class AgreementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Agreement.Status.values)
    landlord = PartyOutput()
    tenant_shop = ShopOutput()
    property = PropertyOutput()
    rent_before = serializers.IntegerField(help_text="won a month, before the cut")
    reduction_kind = serializers.ChoiceField(choices=Agreement.ReductionKind.values)
    reduction_rate_bp = serializers.IntegerField(allow_null=True, help_text="1000 = 10%")
    reduction_amount = serializers.IntegerField(allow_null=True, help_text="won a month")
    monthly_reduction = serializers.IntegerField(help_text="won a month")
    months = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    total_reduction = serializers.IntegerField(help_text="won")
    terms_hash = serializers.CharField(help_text="SHA-256 of the canonical terms")
    tenant_signed_current_terms = serializers.BooleanField()
    clawback = serializers.CharField(help_text="'' or above_pre_cut / renewal_over_cap")
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class AgreementListOutput(serializers.Serializer):
    count = serializers.IntegerField()
    results = AgreementOutput(many=True)


def agreement_body(agreement: Agreement) -> dict:
    lease = agreement.lease
    prop, shop = lease.property, lease.tenant_shop
    tenant_hashes = {s.terms_hash for s in agreement.tenant_signatures}
    return {
        "id": agreement.pk,
        "status": agreement.status,
        "landlord": {"id": prop.landlord_id, "name": str(prop.landlord)},
        "tenant_shop": {"id": shop.pk, "name": shop.name, "business_number": shop.business_number},
        "property": {"address": prop.address, "unit": prop.unit, "district": prop.district},
        "rent_before": agreement.rent_before,
        "reduction_kind": agreement.reduction_kind,
        "reduction_rate_bp": agreement.reduction_rate_bp,
        "reduction_amount": agreement.reduction_amount,
        "monthly_reduction": agreement.monthly_reduction,
        "months": agreement.months,
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "total_reduction": agreement.total_reduction,
        "terms_hash": agreement.terms_hash,
        "tenant_signed_current_terms": agreement.terms_hash in tenant_hashes,
        "clawback": agreement.clawback,
        "decided_at": agreement.decided_at,
        "created_at": agreement.created_at,
    }


class AgreementListApi(APIView):
    """The city's rent-reduction agreements, newest first (city staff only).

    Filters: ``status``, ``district`` (of the property), ``flagged`` (claw-back); pages with
    ``limit`` (1-500) and ``offset``. Amounts are whole won; rates are basis points.
    """

    permission_classes = [IsRentalStaff]

    @extend_schema(parameters=[AgreementQuery], responses={200: AgreementListOutput})
    def get(self, request):
        query = AgreementQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        qs = selectors.agreements_for_staff(
            status=params.get("status", ""),
            district=params.get("district", ""),
            flagged=params.get("flagged"),
        )
        count = qs.count()
        page = qs.prefetch_related(
            Prefetch(
                "signatures",
                queryset=Signature.objects.filter(party=Signature.Party.TENANT),
                to_attr="tenant_signatures",
            )
        )[params["offset"] : params["offset"] + params["limit"]]
        results = AgreementOutput([agreement_body(a) for a in page], many=True).data
        return Response({"count": count, "results": results})
