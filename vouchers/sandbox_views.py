"""The sandbox payment gateway's pages: what the citizen sees at the "provider" when charging.

It stands in for a real Korean PG: it keeps its own payment record, shows the amount, and on
approval sends the signed callback to our callback handler (in-process, through the same
verification as an HTTP callback), then sends the browser back to our return page.
Enabled when ``SANDBOX_PG_ENABLED`` (development, tests, demos).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError

from .models_sandbox import SandboxPayment
from .providers import SandboxProvider
from .services import charge_callback_handle


def _enabled():
    if not settings.SANDBOX_PG_ENABLED:
        raise Http404


def sandbox_approve(order_id: str, *, approve: bool = True) -> dict:
    """The gateway approves (or declines) a payment and calls back. Returns the outcome."""
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().filter(order_id=order_id).first()
        if payment is None:
            raise Http404
        if payment.status == "ready":
            payment.status = "approved" if approve else "failed"
            payment.payment_key = "pay_" + secrets.token_hex(10)
            payment.save(update_fields=["status", "payment_key"])
    body, headers = SandboxProvider.build_callback(
        order_id=payment.order_id,
        amount=payment.amount,
        event_type="payment.approved" if payment.status == "approved" else "payment.failed",
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
    payment = get_object_or_404(SandboxPayment, order_id=order_id)
    if request.method == "POST":
        sandbox_approve(order_id, approve=request.POST.get("decision") == "approve")
        return redirect(payment.return_path or "/")
    return render(request, "vouchers/sandbox_checkout.html", {"payment": payment})


@csrf_exempt
@require_POST
def api_approve(request, order_id):
    """For scripts (the bank test): the citizen approves the payment at the gateway."""
    _enabled()
    return JsonResponse(sandbox_approve(order_id, approve=request.GET.get("decline") is None))
