"""The citizen's wallet pages: balance and limits, charge, payment code, pay a shop by its QR,
history, PIN, refund; the return page from the payment provider; and the city staff's page for
the wallet policy, its dated overrides and the incentive budget."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError
from ledger.services import Idem, business_date_today
from merchants.models import SalesBracket, Shop
from merchants.services import payment_code_issue

from . import selectors, services
from .forms import (
    BudgetFundForm,
    ChargeForm,
    OverrideWithdrawForm,
    PayForm,
    PinForm,
    PolicyForm,
    PolicyOverrideForm,
    RefundForm,
)
from .models import Charge, CitizenGroup, Payment, PolicyOverride, ProviderDiscrepancy

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
    """Where the provider sends the citizen back: the charge's outcome with the new balance, or,
    while it waits, a way to finish or cancel it. A card pledge shows its own page."""
    charge = services.charge_for_user(user=request.user, order_id=order_id)
    result_url = services.charge_result_url(charge=charge)
    if result_url is not None:
        return redirect(result_url)
    return render(
        request,
        "vouchers/charge_done.html",
        {
            "charge": charge,
            "summary": selectors.wallet_summary(user=request.user),
            "checkout_url": services.charge_checkout_url(charge=charge),
        },
    )


@login_required
@wallet_required
@require_POST
def charge_cancel(request, order_id):
    """Cancel a paid charge (the card refunded), or close one still waiting for payment."""
    charge = services.charge_for_user(user=request.user, order_id=order_id)
    waiting = charge.status == Charge.Status.CREATED
    try:
        services.charge_cancel(charge=charge, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if waiting:  # its page says so, or the pledge's page for a card pledge
            return redirect("vouchers:charge-done", order_id=charge.order_id)
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
def payment_code_status(request):
    """htmx, asked every 2 seconds by the code screen: nothing (204, the screen stays) while the
    code on it is unused; once a counter has spent it, what was paid and the balances now, in
    place of the code."""
    outcome = selectors.code_outcome(user=request.user)
    if outcome is None:
        return HttpResponse(status=204)
    return render(request, "vouchers/partials/code_paid.html", {"outcome": outcome})


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


# --- The city's wallet policy (city staff) -------------------------------------------------------

policy_required = permission_required("vouchers.change_policy", raise_exception=True)


def _policy_page(request, *, status: int = 200, **forms):
    """The policy page, with any form given in ``forms`` (bound, showing its errors) in place of
    a fresh one."""
    overview = selectors.policy_overview()
    today = overview.today
    rules = overview.rules
    brackets, groups = dict(SalesBracket.choices), dict(CitizenGroup.choices)
    context = {
        "overview": overview,
        # What a shop of each listed class gives today, override and nightly ceiling included.
        "shop_classes": [
            (brackets.get(key, key), rules.cashback_rate(sales_bracket=key, citizen_group=""))
            for key in rules.shop_class_cashback_bp
        ]
        if rules
        else [],
        "group_bonuses": [
            (groups.get(key, key), bonus)
            for key, bonus in (rules.citizen_group_bonus_bp.items() if rules else ())
            if bonus
        ],
        "policy_form": forms.get("policy_form")
        or PolicyForm(initial=PolicyForm.initial_from(overview.current, today), today=today),
        "override_form": forms.get("override_form") or PolicyOverrideForm(today=today),
        "budget_form": forms.get("budget_form")
        or BudgetFundForm(
            initial={
                "starts_on": today.replace(month=1, day=1),
                "ends_on": today.replace(month=12, day=31),
            }
        ),
    }
    return render(request, "vouchers/policy.html", context, status=status)


@login_required
@policy_required
def policy(request):
    """The rules in force, every version with who made it, overrides and budgets; a new version
    (POST)."""
    if request.method != "POST":
        return _policy_page(request)
    form = PolicyForm(request.POST, today=business_date_today())
    if form.is_valid():
        try:
            version = services.policy_set(by=request.user, **form.policy_fields())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("The new rules take effect on %(day)s.")
                % {"day": version.effective_from.isoformat()},
            )
            return redirect("vouchers:policy")
    return _policy_page(request, status=400, policy_form=form)


@login_required
@policy_required
def policy_override(request):
    if request.method != "POST":
        return redirect("vouchers:policy")
    form = PolicyOverrideForm(request.POST, today=business_date_today())
    if form.is_valid():
        try:
            services.policy_override_add(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Override added."))
            return redirect("vouchers:policy")
    return _policy_page(request, status=400, override_form=form)


@login_required
@policy_required
def policy_override_withdraw(request):
    if request.method != "POST":
        return redirect("vouchers:policy")
    form = OverrideWithdrawForm(request.POST)
    override = None
    if form.is_valid():
        override = PolicyOverride.objects.filter(pk=form.cleaned_data["override"]).first()
    if override is None:
        messages.error(request, _("That override does not exist or was already withdrawn."))
        return redirect("vouchers:policy")
    try:
        services.policy_override_withdraw(by=request.user, override=override)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Override withdrawn."))
    return redirect("vouchers:policy")


@login_required
@policy_required
def policy_budget(request):
    if request.method != "POST":
        return redirect("vouchers:policy")
    form = BudgetFundForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            budget = services.budget_fund(
                by=request.user,
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                amount=data["amount"],
                idempotency_key=f"staff{request.user.pk}:{data['idempotency_key']}",
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(amount)s won added to the incentive budget.")
                % {"amount": f"{budget.amount:,}"},
            )
            return redirect("vouchers:policy")
    return _policy_page(request, status=400, budget_form=form)


@login_required
@policy_required
@require_POST
def discrepancy_resolve(request, discrepancy_id):
    """Staff record how a difference with a payment provider was settled (operations page)."""
    discrepancy = get_object_or_404(ProviderDiscrepancy, pk=discrepancy_id)
    try:
        services.discrepancy_resolve(
            discrepancy=discrepancy,
            by=request.user,
            resolution=request.POST.get("resolution", "")[:300],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The difference is recorded as settled."))
    return redirect("operations:operations")
