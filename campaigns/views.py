"""Campaign pages: for citizens (campaigns, shop finder, pledge, my prepaid balances), for shop
owners (take part) and for city staff (run campaigns, closed shops). Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jeonju_prepay.exceptions import ApplicationError
from ledger.models import Account
from ledger.selectors import citizen_balances
from ledger.services import Idem, business_date_today
from merchants.models import Shop
from merchants.selectors import shops_of_user
from vouchers import services as wallet_services
from vouchers.selectors import wallet_summary

from . import selectors, services
from .forms import (
    CampaignForm,
    GuaranteeFundForm,
    JoinOrganisationForm,
    OrganisationForm,
    PhaseForm,
    PledgeForm,
    ShopFilterForm,
    ShopJoinForm,
)
from .models import Campaign, CampaignShop, Pledge

staff_required = permission_required("campaigns.manage_campaign", raise_exception=True)


@login_required
def campaign_list(request):
    campaigns = [(c, selectors.campaign_progress(c)) for c in selectors.campaigns_all()[:20]]
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "campaigns": campaigns,
            "join_form": JoinOrganisationForm(),
            "organisations": selectors.organisations_of(request.user),
        },
    )


@login_required
def campaign_detail(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    districts = selectors.campaign_districts(campaign)
    filters = ShopFilterForm(
        request.GET or None,
        districts=districts,
        categories=selectors.campaign_categories(campaign),
    )
    criteria = filters.cleaned_data if filters.is_valid() else {}
    shops = selectors.campaign_shops(
        campaign=campaign,
        district=criteria.get("district", ""),
        category=criteria.get("category", ""),
        query=criteria.get("q", ""),
    )
    context = {
        "campaign": campaign,
        "progress": selectors.campaign_progress(campaign),
        "phases": selectors.phase_progress(campaign),
        "phase_now": services.phase_on(campaign, business_date_today()),
        "standings": selectors.organisation_standings(campaign),
        "filters": filters,
        "shops": shops[:100],
    }
    template = (
        "campaigns/partials/shop_list.html" if request.htmx else "campaigns/campaign_detail.html"
    )
    return render(request, template, context)


@login_required
@permission_required("campaigns.add_pledge", raise_exception=True)
def pledge_new(request, campaign_id, shop_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    campaign_shop = get_object_or_404(
        CampaignShop.objects.select_related("shop"), campaign=campaign, shop_id=shop_id, active=True
    )
    shop = campaign_shop.shop
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["pay_with"] == "card":
                _pledge, checkout_url = services.pledge_with_card(
                    user=request.user, campaign=campaign, shop=shop, amount=data["amount"]
                )
                return redirect(checkout_url)
            result = services.pledge_with_wallet(
                user=request.user,
                campaign=campaign,
                shop=shop,
                amount=data["amount"],
                pin=data["pin"],
                idem=Idem.of(
                    f"user:{request.user.pk}",
                    data["idempotency_key"],
                    "pledge",
                    campaign.pk,
                    shop.pk,
                    data["amount"],
                ),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Pledged %(amount)s won to %(shop)s: you can spend %(value)s won there.")
                % {
                    "amount": f"{result.body['amount']:,}",
                    "shop": shop.name,
                    "value": f"{result.body['value']:,}",
                },
            )
            return redirect("campaigns:pledge-list")
    return render(
        request,
        "campaigns/pledge_new.html",
        {
            "campaign": campaign,
            "campaign_shop": campaign_shop,
            "shop": shop,
            "form": form,
            "summary": wallet_summary(user=request.user),
            "outlook": selectors.pledge_outlook(user=request.user, campaign=campaign, shop=shop),
            "join_form": JoinOrganisationForm(),
        },
    )


@login_required
def pledge_list(request):
    return render(
        request,
        "campaigns/pledge_list.html",
        {"prepaid": selectors.citizen_prepaid(user=request.user)},
    )


@login_required
def pledge_done(request, pledge_id):
    """One pledge and how it ended: where a card pledge returns from the payment provider
    (paid, still waiting with a way to finish or cancel the payment, or not paid)."""
    pledge = selectors.pledge_of_user(user=request.user, pledge_id=pledge_id)
    if pledge is None:
        raise Http404
    charge = pledge.charge
    return render(
        request,
        "campaigns/pledge_done.html",
        {
            "pledge": pledge,
            "charge": charge,
            "checkout_url": wallet_services.charge_checkout_url(charge=charge) if charge else None,
            "prepaid_balance": citizen_balances(
                user_id=request.user.pk, shop_id=pledge.shop_id
            ).prepaid,
        },
    )


@login_required
def prepaid_history(request, shop_id):
    shop = get_object_or_404(Shop, pk=shop_id)
    if not Account.objects.filter(
        kind="prepaid", owner_user=request.user, owner_shop_id=shop.pk
    ).exists():
        return render(request, "404.html", status=404)
    return render(
        request,
        "campaigns/prepaid_history.html",
        {"shop": shop, "history": selectors.prepaid_history(user=request.user, shop=shop)},
    )


@login_required
@require_POST
def pledge_cancel(request, pledge_id):
    pledge = get_object_or_404(Pledge, pk=pledge_id, user=request.user)
    try:
        services.pledge_cancel(pledge=pledge, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The pledge is cancelled and the money is back where it came from.")
        )
    return redirect("campaigns:pledge-list")


@login_required
@require_POST
def organisation_join(request):
    form = JoinOrganisationForm(request.POST)
    if form.is_valid():
        try:
            membership = services.organisation_join(
                user=request.user, invite_code=form.cleaned_data["invite_code"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("You joined %(organisation)s; your pledges count for it.")
                % {"organisation": membership.organisation.name},
            )
    # Back to the page the form was on (the pledge page offers it to a non-member), if ours.
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("campaigns:campaign-list")


@login_required
def shop_join(request, campaign_id):
    """A shop owner opts a shop into the campaign, with an optional bonus it pays itself."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    owned = [s for s in shops_of_user(request.user) if s.owner_id == request.user.pk]
    form = ShopJoinForm(request.POST or None, shops=owned)
    if request.method == "POST" and form.is_valid():
        shop = next(s for s in owned if str(s.pk) == form.cleaned_data["shop"])
        try:
            services.campaign_shop_join(
                shop=shop,
                by=request.user,
                campaign=campaign,
                bonus_bp=form.cleaned_data["bonus_bp"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(shop)s takes part in %(campaign)s.")
                % {"shop": shop.name, "campaign": campaign.name},
            )
            return redirect("campaigns:campaign-detail", campaign_id=campaign.pk)
    return render(
        request, "campaigns/shop_join.html", {"campaign": campaign, "form": form, "owned": owned}
    )


# --- City staff -----------------------------------------------------------------------------


@login_required
@staff_required
def manage(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("campaigns:manage-detail", campaign_id=campaign.pk)
    return render(
        request,
        "campaigns/manage.html",
        {
            "form": form,
            "campaigns": [(c, selectors.campaign_progress(c)) for c in selectors.campaigns_all()],
        },
    )


@login_required
@staff_required
def manage_detail(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    phase_form = PhaseForm(request.POST if request.POST.get("form") == "phase" else None)
    organisation_form = OrganisationForm(
        request.POST if request.POST.get("form") == "organisation" else None
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "phase" and phase_form.is_valid():
                services.phase_add(by=request.user, campaign=campaign, **phase_form.cleaned_data)
                messages.success(request, _("Phase added."))
                return redirect("campaigns:manage-detail", campaign_id=campaign.pk)
            if request.POST.get("form") == "organisation" and organisation_form.is_valid():
                organisation = services.organisation_create(
                    by=request.user, campaigns=[campaign], **organisation_form.cleaned_data
                )
                messages.success(
                    request,
                    _("%(name)s joined; its invitation code is %(code)s.")
                    % {"name": organisation.name, "code": organisation.invite_code},
                )
                return redirect("campaigns:manage-detail", campaign_id=campaign.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "campaigns/manage_detail.html",
        {
            "campaign": campaign,
            "progress": selectors.campaign_progress(campaign),
            "phases": selectors.phase_progress(campaign),
            "standings": selectors.organisation_standings(campaign),
            "organisations": campaign.organisations.order_by("name"),
            "phase_form": phase_form,
            "organisation_form": organisation_form,
        },
    )


@login_required
@staff_required
def closed_shops(request):
    """Closed shops that still owe prepaid balances, with the guarantee fund to refund them."""
    fund_form = GuaranteeFundForm(request.POST if request.POST.get("form") == "fund" else None)
    if request.method == "POST":
        done = False  # an invalid fund form is shown again with its errors, not redirected
        try:
            if request.POST.get("form") == "fund" and fund_form.is_valid():
                services.guarantee_fund_add(
                    by=request.user,
                    amount=fund_form.cleaned_data["amount"],
                    idempotency_key=fund_form.cleaned_data["idempotency_key"],
                )
                messages.success(request, _("Guarantee fund topped up."))
                done = True
            elif request.POST.get("form") == "refund":
                shop_id = request.POST.get("shop", "")  # not a number: no such shop (not a 500)
                shop = get_object_or_404(
                    Shop,
                    pk=int(shop_id) if shop_id.isascii() and shop_id.isdigit() else 0,
                    status=Shop.Status.CLOSED,
                )
                result = services.closed_shop_refund(shop=shop, by=request.user)
                messages.success(
                    request,
                    _("%(amount)s won refunded to %(citizens)s citizens.")
                    % {"amount": f"{result['amount']:,}", "citizens": result["citizens"]},
                )
                done = True
        except ApplicationError as exc:
            if request.POST.get("form") == "fund":
                fund_form.add_error("amount", exc.message)
            else:
                messages.error(request, exc.message)
        if done:
            return redirect("campaigns:closed-shops")
    return render(
        request,
        "campaigns/closed_shops.html",
        {
            "shops": selectors.closed_shops_outstanding(),
            "fund": selectors.guarantee_fund_balance(),
            "fund_form": fund_form,
        },
    )
