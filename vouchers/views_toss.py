"""Pages and endpoints of charges through Toss Payments (vouchers/toss.py): the checkout page that
opens Toss's payment window, the success and fail URLs Toss sends the browser back to, Toss's
webhook, and the confirm for app clients."""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from jeonju_prepay.exceptions import ApplicationError, NotFoundError
from jeonju_prepay.metrics import refusal_count
from merchants.api import IsCitizen

from .models import Charge
from .provider_toss import toss_config
from .toss import toss_charge_confirm, toss_charge_fail, toss_webhook_handle


def _toss_origins() -> list[str]:
    """Where Toss's payment window loads from (its SDK and its frames): the page's CSP."""
    js = urlsplit(settings.TOSS_JS_URL)
    return sorted({f"{js.scheme}://{js.netloc}", *settings.TOSS_CSP_ORIGINS})


wallet_required = permission_required("vouchers.use_wallet", raise_exception=True)


def customer_key(user) -> str:
    """An opaque, stable key for the citizen at Toss (no id, no e-mail leaves us)."""
    return "jp-" + salted_hmac("jeonju_prepay.toss-customer", str(user.pk)).hexdigest()[:40]


@login_required
@wallet_required
@require_GET
def checkout(request, order_id):
    charge = get_object_or_404(Charge, order_id=order_id, user=request.user, provider="toss")
    if charge.status != Charge.Status.CREATED:
        return redirect("vouchers:charge-done", order_id=charge.order_id)
    config = toss_config()
    base = request.build_absolute_uri("/")[:-1]
    context = {
        "charge": charge,
        "client_key": config.client_key,
        "js_url": config.js_url,
        "customer_key": customer_key(request.user),
        "order_name": _("Love Gift Certificate charge")
        if charge.purpose == "wallet"
        else _("Good prepayment pledge"),
        "success_url": base + reverse("vouchers_toss:success", args=[charge.order_id]),
        "fail_url": base + reverse("vouchers_toss:fail", args=[charge.order_id]),
    }
    response = render(request, "vouchers/toss_checkout.html", context)
    origins = _toss_origins()
    return csp_update(
        {"script-src": origins, "frame-src": origins, "connect-src": origins, "img-src": origins}
    )(lambda: response)()


@login_required
@wallet_required
@require_GET
def success(request, order_id):
    """Toss sends the browser here with paymentKey, orderId and amount: confirm, then show the
    charge (credited, or still waiting when Toss did not answer in time)."""
    if request.GET.get("orderId") != order_id:
        raise Http404
    try:
        outcome = toss_charge_confirm(
            user=request.user,
            order_id=order_id,
            payment_key=request.GET.get("paymentKey"),
            amount=request.GET.get("amount"),
        )
    except NotFoundError:
        raise  # another citizen's order is as unknown as none (the 404 page)
    except ApplicationError as exc:
        refusal_count(code=exc.code, status=exc.status)
        messages.error(request, exc.message)
    else:
        if outcome.status == "pending":
            messages.info(
                request,
                _(
                    "The card company has not answered yet. This page shows the charge once it does."
                ),
            )
    return redirect("vouchers:charge-done", order_id=order_id)


@login_required
@wallet_required
@require_GET
def fail(request, order_id):
    """Toss sends the browser here when the payment window was closed or the card refused."""
    try:
        toss_charge_fail(user=request.user, order_id=order_id, code=request.GET.get("code"))
    except ApplicationError as exc:
        refusal_count(code=exc.code, status=exc.status)
        raise Http404 from exc
    messages.error(request, _("The payment did not go through; nothing was charged."))
    return redirect("vouchers:charge-done", order_id=order_id)


@csrf_exempt
@require_POST
def webhook(request):
    """Toss's webhook. 200 when applied or already applied (Toss stops sending); 400 for what is
    not Toss's; 503 while Toss's API does not answer (Toss sends it again later)."""
    try:
        outcome = toss_webhook_handle(raw_body=request.body, headers=request.headers)
    except ApplicationError as exc:
        refusal_count(code=exc.code, status=exc.status)
        return JsonResponse({"error": exc.as_dict()}, status=exc.status)
    return JsonResponse({"status": outcome.status, "message": outcome.message})


class ConfirmInput(serializers.Serializer):
    paymentKey = serializers.CharField(max_length=200)
    amount = serializers.IntegerField(min_value=1, max_value=100_000_000)


class ConfirmOutput(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    charge_status = serializers.CharField()


class ConfirmApi(APIView):
    """For app clients: confirm the payment Toss's window returned (``paymentKey``, ``amount``).
    ``status`` is ``credited``, ``failed`` or ``pending`` (ask again: the same confirm is safe)."""

    permission_classes = [IsCitizen]

    @extend_schema(request=ConfirmInput, responses={200: ConfirmOutput})
    def post(self, request, order_id):
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = toss_charge_confirm(
            user=request.user,
            order_id=order_id,
            payment_key=data.validated_data["paymentKey"],
            amount=data.validated_data["amount"],
        )
        charge = Charge.objects.get(order_id=order_id, user=request.user)
        return Response(
            {"status": outcome.status, "message": outcome.message, "charge_status": charge.status}
        )
