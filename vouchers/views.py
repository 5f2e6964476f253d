"""The citizen's wallet pages: balance and limits, charge, payment code, pay a shop by its QR,
history, PIN, refund; and the return page from the payment provider."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError
from ledger.services import Idem
from merchants.models import Shop
from merchants.services import payment_code_issue

from . import selectors, services
from .forms import ChargeForm, PayForm, PinForm, RefundForm
from .models import Payment

wallet_required = permission_required("vouchers.use_wallet", raise_exception=True)


@login_required
@wallet_required
def wallet(request):
    summary = selectors.wallet_summary(user=request.user)
    return render(
        request,
        "vouchers/wallet.html",
        {
            "summary": summary,
            "charges": selectors.charges_of_user(user=request.user, limit=5),
            "history": selectors.wallet_history(user=request.user, limit=10),
            "refund": services.refund_check(user=request.user),
            "charge_form": ChargeForm(),
            "refund_form": RefundForm(),
        },
    )


@login_required
@wallet_required
def history(request):
    return render(
        request,
        "vouchers/history.html",
        {
            "history": selectors.wallet_history(user=request.user, limit=200),
            "payments": selectors.payments_of_user(user=request.user, limit=50),
            "charges": selectors.charges_of_user(user=request.user, limit=50),
        },
    )


@login_required
@wallet_required
def charge(request):
    form = ChargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _charge, checkout_url = services.charge_create(
                user=request.user, amount=form.cleaned_data["amount"]
            )
        except ApplicationError as exc:
            form.add_error("amount", exc.message)
        else:
            return redirect(checkout_url)
    summary = selectors.wallet_summary(user=request.user)
    return render(request, "vouchers/charge.html", {"form": form, "summary": summary})


@login_required
@wallet_required
def charge_done(request, order_id):
    charge = services.charge_for_user(user=request.user, order_id=order_id)
    return render(request, "vouchers/charge_done.html", {"charge": charge})


@login_required
@wallet_required
@require_POST
def charge_cancel(request, order_id):
    charge = services.charge_for_user(user=request.user, order_id=order_id)
    try:
        services.charge_cancel(charge=charge, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The charge is cancelled; the card payment is refunded."))
    return redirect("vouchers:wallet")


def _code_context(user) -> dict:
    issued = payment_code_issue(user=user)
    qr_svg = segno.make(issued.qr_token, error="m").svg_inline(scale=5, border=2)
    return {"issued": issued, "qr_svg": qr_svg}


@login_required
@wallet_required
def payment_code(request):
    """The code the citizen shows at the counter: a QR and 16 digits, single-use, 3 minutes."""
    summary = selectors.wallet_summary(user=request.user)
    return render(
        request, "vouchers/code.html", {**_code_context(request.user), "summary": summary}
    )


@login_required
@wallet_required
@require_POST
def payment_code_fragment(request):
    """htmx: a fresh code (the page asks before the old one expires, or on a tap)."""
    return render(request, "vouchers/partials/code.html", _code_context(request.user))


@login_required
@wallet_required
def pay_shop(request, public_code):
    """Pay a shop whose QR the citizen scanned (merchant-presented): amount and PIN."""
    shop = get_object_or_404(Shop, public_code=public_code)
    form = PayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        idem = Idem.of(
            f"user:{request.user.pk}",
            form.cleaned_data["idempotency_key"],
            "qr_pay",
            shop.pk,
            form.cleaned_data["amount"],
        )
        try:
            result = services.qr_pay(
                user=request.user,
                shop=shop,
                amount=form.cleaned_data["amount"],
                pin=form.cleaned_data["pin"],
                idem=idem,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("vouchers:payment-done", payment_id=result.body["payment_id"])
    summary = selectors.wallet_summary(user=request.user)
    return render(
        request, "vouchers/pay_shop.html", {"shop": shop, "form": form, "summary": summary}
    )


@login_required
@wallet_required
def payment_done(request, payment_id):
    payment = get_object_or_404(
        Payment.objects.select_related("shop"), pk=payment_id, user=request.user
    )
    summary = selectors.wallet_summary(user=request.user)
    return render(request, "vouchers/payment_done.html", {"payment": payment, "summary": summary})


@login_required
@wallet_required
def pin(request):
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pin_set(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your payment PIN is set."))
            return redirect("vouchers:wallet")
    return render(request, "vouchers/pin.html", {"form": form})


@login_required
@wallet_required
@require_POST
def refund(request):
    form = RefundForm(request.POST)
    if form.is_valid():
        idem = Idem.of(
            f"user:{request.user.pk}", form.cleaned_data["idempotency_key"], "wallet_refund"
        )
        try:
            result = services.wallet_refund(user=request.user, idem=idem)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(amount)s won will be paid back to your account.")
                % {"amount": f"{result.body['principal_refunded']:,}"},
            )
    return redirect("vouchers:wallet")
