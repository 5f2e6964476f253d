"""The sandbox payment gateway's pages: what the citizen sees at the "provider" when charging.

It stands in for a real Korean PG: it keeps its own payment record, shows the amount, and on
approval sends the signed callback to our callback handler (in-process, through the same
verification as an HTTP callback), then sends the browser back to our return page. Like a real
gateway's checkout, it acts only for the customer who placed the order (its ``customer_key``):
anyone else, signed in or not, is told the order does not exist.
Enabled when ``SANDBOX_PG_ENABLED`` (development, tests, demos).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import UserTokenAuthentication
from jeonju_prepay.exceptions import ApplicationError

from .models_sandbox import SandboxPayment
from .providers import SandboxProvider
from .services import charge_callback_handle


def _enabled():
    if not settings.SANDBOX_PG_ENABLED:
        raise Http404


def _payment_of(user, order_id: str) -> SandboxPayment:
    payment = SandboxPayment.objects.filter(order_id=order_id).first()
    if payment is None or not user.pk or payment.customer_key != str(user.pk):
        raise Http404
    return payment


def sandbox_approve(order_id: str, *, approve: bool = True) -> dict:
    """The gateway approves (or declines) a payment and calls back. Returns the outcome."""
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().filter(order_id=order_id).first()
        if payment is None:
            raise Http404
        if payment.status == "ready":
            payment.status = "approved" if approve else "failed"
            payment.payment_key = "pay_" + secrets.token_hex(10)
            if approve:
                payment.approved_at = timezone.now()
            payment.save(update_fields=["status", "payment_key", "approved_at"])
    body, headers = SandboxProvider.build_callback(
        order_id=payment.order_id,
        amount=payment.amount,
        event_type="payment.failed" if payment.status == "failed" else "payment.approved",
        payment_key=payment.payment_key,
    )
    try:
        outcome = charge_callback_handle(provider_name="sandbox", raw_body=body, headers=headers)
    except ApplicationError as exc:
        return {"status": "rejected", "code": exc.code, "message": exc.message}
    return {"status": outcome.status, "message": outcome.message}


@login_required
def checkout(request, order_id):
    _enabled()
    payment = _payment_of(request.user, order_id)
    if request.method == "POST":
        sandbox_approve(order_id, approve=request.POST.get("decision") == "approve")
        return redirect(payment.return_path or "/")
    return render(request, "vouchers/sandbox_checkout.html", {"payment": payment})


class ApproveApi(APIView):
    """For scripts (the bank test): the citizen who ordered approves (or, with ``?decline``,
    declines) the payment at the gateway, with their session or token."""

    # A person's session or token: a counter device is nobody's customer.
    authentication_classes = [UserTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    schema = None  # the sandbox gateway is not part of the API

    def post(self, request, order_id):
        _enabled()
        _payment_of(request.user, order_id)
        return Response(sandbox_approve(order_id, approve=request.GET.get("decline") is None))


api_approve = ApproveApi.as_view()
