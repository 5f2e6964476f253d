"""Pages for shop owners and clerks (their shops, devices, clerks, statements) and for city
staff (the review queue and the shop policy). Thin: parse, call one service or selector.
The counter's pages are the ``counter`` app's."""

from __future__ import annotations

import uuid
from datetime import date

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError
from ledger.services import Idem

from . import selectors, services, settlement, shop_payments
from .forms import (
    DeviceForm,
    InviteForm,
    ReviewForm,
    ShopEditForm,
    ShopPayForm,
    ShopPaymentPolicyForm,
    ShopPolicyForm,
    ShopRegisterForm,
)
from .models import EligibilityRefusal, Shop, ShopMember


@login_required
def shop_list(request):
    shops = selectors.shops_of_user(request.user)
    roles = dict(ShopMember.objects.filter(user=request.user).values_list("shop_id", "role"))
    return render(request, "merchants/shop_list.html", {"shops": shops, "roles": roles})


@login_required
def shop_register(request):
    form = ShopRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shop = services.shop_register(
                owner=request.user, details=services.ShopDetails(**form.cleaned_data)
            )
        except ApplicationError as exc:
            for reason in exc.extra.get("reasons", [exc.message]):
                form.add_error(None, reason)
        else:
            messages.success(request, _("Registered. The city will review your shop soon."))
            return redirect("merchants:shop-detail", shop_id=shop.pk)
    return render(request, "merchants/shop_register.html", {"form": form})


@login_required
def shop_detail(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    role = selectors.member_role(user=request.user, shop=shop)
    context = {"shop": shop, "role": role, "is_owner": role == ShopMember.Role.OWNER}
    if role == ShopMember.Role.OWNER:
        context["events"] = shop.events.select_related("actor")[:10]
    return render(request, "merchants/shop_detail.html", context)


@login_required
def shop_edit(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    form = ShopEditForm(request.POST or None, instance=Shop.objects.get(pk=shop.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.shop_update(
                shop=shop,
                by=request.user,
                **{f: form.cleaned_data[f] for f in services.EDITABLE_FIELDS},
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("merchants:shop-detail", shop_id=shop.pk)
    return render(request, "merchants/shop_edit.html", {"shop": shop, "form": form})


@login_required
@require_POST
def shop_resubmit(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    services.shop_resubmit(shop=shop, by=request.user)
    messages.success(request, _("Sent for review again."))
    return redirect("merchants:shop-detail", shop_id=shop.pk)


@login_required
def shop_qr(request, shop_id):
    """The shop's static QR (merchant-presented): citizens scan it to pay this shop."""
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    url = request.build_absolute_uri(reverse("vouchers:pay-shop", args=[shop.public_code]))
    svg = segno.make(url, error="m").svg_inline(scale=6, border=2)
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
def devices(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    form = DeviceForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _device, new_token = services.device_register(
            shop=shop, by=request.user, name=form.cleaned_data["name"]
        )
        messages.success(request, _("Device registered. Copy its token now: it is shown once."))
        form = DeviceForm()
    return render(
        request,
        "merchants/devices.html",
        {
            "shop": shop,
            "devices": selectors.devices_of_shop(shop),
            "form": form,
            "new_token": new_token,
        },
    )


@login_required
@require_POST
def device_revoke(request, shop_id, device_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    device = get_object_or_404(shop.devices, pk=device_id)
    services.device_revoke(device=device, by=request.user)
    messages.success(request, _("Device %(name)s revoked.") % {"name": device.name})
    return redirect("merchants:devices", shop_id=shop.pk)


@login_required
def clerks(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    form = InviteForm(request.POST or None)
    invite_url = None
    if request.method == "POST" and form.is_valid():
        try:
            token = services.clerk_invite(
                shop=shop, by=request.user, email=form.cleaned_data["email"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            invite_url = request.build_absolute_uri(
                reverse("merchants:invitation-accept", args=[token])
            )
            form = InviteForm()
    members = shop.members.select_related("user").order_by("role", "created_at")
    invitations = shop.invitations.filter(accepted_at__isnull=True).order_by("-created_at")
    return render(
        request,
        "merchants/clerks.html",
        {
            "shop": shop,
            "members": members,
            "invitations": invitations,
            "form": form,
            "invite_url": invite_url,
        },
    )


@login_required
@require_POST
def clerk_remove(request, shop_id, member_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    services.clerk_remove(shop=shop, by=request.user, member_id=member_id)
    messages.success(request, _("Clerk removed."))
    return redirect("merchants:clerks", shop_id=shop.pk)


@login_required
def invitation_accept(request, token):
    if request.method == "POST":
        member = services.clerk_invitation_accept(token=token, user=request.user)
        messages.success(request, _("You are now a clerk of %(shop)s.") % {"shop": member.shop})
        return redirect("counter:counter", shop_id=member.shop_id)
    return render(request, "merchants/invitation_accept.html", {"token": token})


@login_required
def statements(request, shop_id):
    """Settlements and payouts: the owner's page (clerks do not see payouts)."""
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    rows = settlement.statements_of_shop(shop=shop)
    return render(request, "merchants/statements.html", {"shop": shop, "statements": rows})


@login_required
def statement_csv(request, shop_id, business_date):
    """One statement as CSV (the figures, then the day's transactions), for the owner."""
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    try:
        day = date.fromisoformat(business_date)
    except ValueError:
        day = None
    statement = settlement.statement_for(shop=shop, business_date=day) if day else None
    if statement is None:
        raise Http404(_("No statement for that date."))
    tenant = connection.tenant

    def lines():
        if connection.schema_name != tenant.schema_name:  # read after the view has returned
            connection.set_tenant(tenant)
        yield from settlement.statement_csv_lines(statement=statement)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{shop.pk}-{day:%Y%m%d}.csv"'
    return response


# --- City staff ---------------------------------------------------------------------------------


@login_required
@permission_required("merchants.review_shop", raise_exception=True)
def review_list(request):
    status = request.GET.get("status", "pending")
    if status not in Shop.Status.values and status != "all":
        status = "pending"
    shops = selectors.shops_for_review(
        status=None if status == "all" else status, query=request.GET.get("q", "")[:50]
    )
    refusals = EligibilityRefusal.objects.select_related("user").order_by("-created_at")[:20]
    return render(
        request,
        "merchants/review_list.html",
        {
            "shops": shops[:200],
            "status": status,
            "statuses": Shop.Status.choices,
            "refusals": refusals,
            "q": request.GET.get("q", ""),
        },
    )


@login_required
@permission_required("merchants.review_shop", raise_exception=True)
def review_detail(request, shop_id):
    shop = get_object_or_404(Shop.objects.select_related("owner", "reviewed_by"), pk=shop_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.shop_review(
                shop=shop,
                by=request.user,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            done = {
                "approve": _("%(shop)s is approved: it can take payments and pledges."),
                "reject": _("%(shop)s is rejected; the owner sees the reason."),
                "suspend": _("%(shop)s is suspended: it takes no payments until approved again."),
                "close": _("%(shop)s is marked closed."),
            }[form.cleaned_data["action"]]
            messages.success(request, done % {"shop": shop.name})
            return redirect("merchants:review-detail", shop_id=shop.pk)
    outstanding = _outstanding_prepaid(shop)
    return render(
        request,
        "merchants/review_detail.html",
        {
            "shop": shop,
            "form": form,
            "events": shop.events.select_related("actor")[:20],
            "outstanding_prepaid": outstanding,
        },
    )


def _outstanding_prepaid(shop) -> int:
    from ledger.models import Account

    balance = (
        Account.objects.filter(owner_shop_id=shop.pk, kind=Account.Kind.PREPAID_ISSUED)
        .values_list("balance", flat=True)
        .first()
    )
    return -(balance or 0)


@login_required
@permission_required("merchants.review_shop", raise_exception=True)
def policy(request):
    current = selectors.shop_policy_current()
    form = ShopPolicyForm(
        request.POST or None,
        initial={
            "sales_ceiling": current.sales_ceiling,
            "excluded_categories": current.excluded_categories,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.shop_policy_set(
            by=request.user,
            sales_ceiling=form.cleaned_data["sales_ceiling"],
            excluded_categories=list(form.cleaned_data["excluded_categories"]),
        )
        messages.success(request, _("Shop policy saved."))
        return redirect("merchants:policy")
    return render(request, "merchants/policy.html", {"form": form, "current": current})


# --- Shop-to-shop payments ---------------------------------------------------------------------


@login_required
def shop_pay(request, shop_id):
    """The owner pays another shop from the unsettled sales (``shop_payments.shop_payment_pay``)."""
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    initial = {"idempotency_key": uuid.uuid4().hex, "payee_code": request.GET.get("to", "")}
    form = ShopPayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        idem = Idem.of(
            f"user:{request.user.pk}",
            data["idempotency_key"],
            shop.pk,
            data["payee_code"],
            data["amount"],
        )
        try:
            result = shop_payments.shop_payment_pay(
                payer=shop,
                payee_code=data["payee_code"],
                amount=data["amount"],
                by=request.user,
                idem=idem,
                memo=data["memo"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Paid %(amount)s won to %(shop)s.")
                % {"amount": f"{result.body['amount']:,}", "shop": result.body["payee_name"]},
            )
            return redirect("merchants:shop-pay", shop_id=shop.pk)
    context = {
        "shop": shop,
        "form": form,
        "unsettled": selectors.shop_unsettled(shop),
        "policy": selectors.shop_payment_policy_current(),
        "payments": selectors.shop_payments_of(shop),
    }
    return render(request, "merchants/shop_pay.html", context)


@login_required
@permission_required("merchants.review_shop", raise_exception=True)
def shop_payment_policy(request):
    current = selectors.shop_payment_policy_current()
    form = ShopPaymentPolicyForm(
        request.POST or None,
        initial={
            "enabled": current.enabled,
            "payee_categories": current.payee_categories,
            "per_payment_limit": current.per_payment_limit,
            "daily_limit": current.daily_limit,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            shop_payments.shop_payment_policy_set(
                by=request.user,
                enabled=form.cleaned_data["enabled"],
                payee_categories=list(form.cleaned_data["payee_categories"]),
                per_payment_limit=form.cleaned_data["per_payment_limit"],
                daily_limit=form.cleaned_data["daily_limit"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Shop-to-shop payment rules saved."))
            return redirect("merchants:shop-payment-policy")
    return render(request, "merchants/shop_payment_policy.html", {"form": form, "current": current})
