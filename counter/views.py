"""The counter's pages for a shop's clerks and owner: identify the customer from a typed or
scanned code, take one bill (the prepaid balance first, the rest from the wallet), see today's
payments and redemptions, and (the owner) cancel one of them. Thin: parse, call one service or
selector, render; htmx swaps the fragments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Redemption
from campaigns.services import redemption_cancel
from cards.forms import CardPayForm, NoteAcceptForm
from cards.services import card_pay, note_redeem
from jeonju_prepay.exceptions import ApplicationError
from jeonju_prepay.http import client_ip
from ledger.services import Idem
from merchants.selectors import member_role, shop_for_member, shops_of_user
from merchants.services import payment_code_resolve
from vouchers.models import Payment
from vouchers.services import payment_cancel

from . import selectors, services
from .forms import BillForm, CodeForm


@login_required
def counter_home(request):
    shops = list(shops_of_user(request.user))
    if len(shops) == 1:
        return redirect("counter:counter", shop_id=shops[0].pk)
    return render(request, "counter/counter_home.html", {"shops": shops})


@login_required
def counter(request, shop_id):
    shop = shop_for_member(user=request.user, shop_id=shop_id)
    return render(request, "counter/counter.html", {"shop": shop, "form": CodeForm()})


def _identified(request, shop, code: str, *, error: str = "") -> dict:
    """The identified customer's panel (the code is not spent), or the refusal."""
    context: dict = {"shop": shop, "error": error}
    try:
        resolved = payment_code_resolve(
            code=code, shop=shop, actor=request.user, client_ip=client_ip(request)
        )
    except ApplicationError as exc:
        context["error"] = error or exc.message
        context["status"] = exc.status if exc.status == 429 else 200
        return context
    context["found"] = selectors.identify_body(code_obj=resolved, shop=shop)
    context["bill_form"] = BillForm(initial={"code": code})
    return context


@login_required
@require_POST
def counter_identify(request, shop_id):
    """htmx: identify the citizen from a typed or scanned code (the code is not spent)."""
    shop = shop_for_member(user=request.user, shop_id=shop_id)
    form = CodeForm(request.POST)
    if not form.is_valid():
        context = {"shop": shop, "form": form}
        return render(request, "counter/partials/counter_result.html", context)
    context = _identified(request, shop, form.cleaned_data["code"])
    status = context.pop("status", 200)
    return render(request, "counter/partials/counter_result.html", context, status=status)


@login_required
@require_POST
def counter_bill(request, shop_id):
    """htmx: take the bill from the identified customer. After a refusal the customer stays
    identified (the code was not spent) with the reason shown, so the clerk only fixes the
    amount."""
    shop = shop_for_member(user=request.user, shop_id=shop_id)
    form = BillForm(request.POST)
    if not form.is_valid():
        code = (request.POST.get("code") or "")[:200]
        context = _identified(request, shop, code, error=_("Enter the bill in won."))
        context.pop("status", None)
        return render(request, "counter/partials/counter_result.html", context)
    data = form.cleaned_data
    try:
        result = services.bill_pay(
            shop=shop,
            code=data["code"],
            amount=data["amount"],
            idem=Idem.of(
                f"user:{request.user.pk}",
                data["idempotency_key"],
                "counter_bill",
                data["code"],
                data["amount"],
            ),
            actor=request.user,
            client_ip=client_ip(request),
        )
    except ApplicationError as exc:
        context = _identified(request, shop, data["code"], error=exc.message)
        context.pop("status", None)
        context["bill_form"] = BillForm(initial={"code": data["code"], "amount": data["amount"]})
        return render(request, "counter/partials/counter_result.html", context)
    response = render(
        request, "counter/partials/counter_done.html", {"shop": shop, "bill": result.body}
    )
    response["HX-Trigger"] = "counter-paid"  # today's list shows it now, not at the next poll
    return response


@login_required
def counter_recent(request, shop_id):
    """htmx, polled every 2 seconds: today's payments and redemptions at this shop, so a
    payment made by a citizen scanning the shop's QR shows at the counter at once."""
    shop = shop_for_member(user=request.user, shop_id=shop_id)
    return render(
        request,
        "counter/partials/counter_recent.html",
        {
            "shop": shop,
            "lines": selectors.today_at_shop(shop=shop),
            "is_owner": member_role(user=request.user, shop=shop) == "owner",
        },
    )


@login_required
@require_POST
def counter_payment_cancel(request, shop_id, payment_id):
    """The owner cancels one of today's payments (the money goes back to the wallet)."""
    shop = shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    payment = get_object_or_404(Payment, pk=payment_id, shop=shop)
    try:
        payment_cancel(payment=payment, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Payment of %(amount)s won cancelled.") % {"amount": f"{payment.amount:,}"}
        )
    return redirect("counter:counter", shop_id=shop.pk)


@login_required
@require_POST
def counter_redemption_cancel(request, shop_id, redemption_id):
    """The owner cancels one of today's redemptions (the prepaid value back to its pledges,
    a wallet part back to the wallet)."""
    shop = shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    redemption = get_object_or_404(Redemption, pk=redemption_id, shop=shop)
    try:
        redemption_cancel(redemption=redemption, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Prepaid use of %(amount)s won cancelled.") % {"amount": f"{redemption.amount:,}"},
        )
    return redirect("counter:counter", shop_id=shop.pk)


@login_required
def counter_card(request, shop_id):
    """A payment with a card: the clerk types or scans the card number and the amount, then
    hands the device over and the customer enters the PIN (a password field: never shown, never
    sent back to the page)."""
    shop = shop_for_member(user=request.user, shop_id=shop_id)
    form = CardPayForm(request.POST or None)
    context: dict = {"shop": shop}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = card_pay(
                    shop=shop,
                    number=data["card"],
                    pin=data["pin"],
                    amount=data["amount"],
                    idem=Idem.of(
                        f"user:{request.user.pk}",
                        data["idempotency_key"],
                        "counter_card",
                        data["card"],
                        data["amount"],
                    ),
                    actor=request.user,
                )
            except ApplicationError as exc:
                # The bound form keeps the card and the amount (and the key: nothing was
                # stored); the PIN field never renders its value back.
                form.add_error(None, exc.message)
                status = 400
            else:
                context["paid"] = result.body
                form = CardPayForm()
        else:
            status = 400
    context["form"] = form
    return render(request, "counter/counter_card.html", context, status=status)


@login_required
def counter_note(request, shop_id):
    """The clerk accepts a paper note: scan its QR or type its serial and check code."""
    shop = shop_for_member(user=request.user, shop_id=shop_id)
    form = NoteAcceptForm(request.POST or None)
    context: dict = {"shop": shop}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = note_redeem(
                    shop=shop,
                    serial=data["serial"],
                    check=data["check"],
                    idem=Idem.of(
                        f"user:{request.user.pk}",
                        data["idempotency_key"],
                        "counter_note",
                        data["serial"],
                        data["check"],
                    ),
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                context["accepted"] = result.body
                form = NoteAcceptForm()
                status = 200
    context["form"] = form
    return render(request, "counter/counter_note.html", context, status=status)
