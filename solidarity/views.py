"""Solidarity's pages: gifts, donations, the community fund (public), the year-end statement."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign, Organisation
from jeonju_prepay.exceptions import ApplicationError
from ledger.services import Idem
from merchants.selectors import shop_for_member
from vouchers.selectors import wallet_summary

from . import selectors, services, statements
from .forms import (
    AngelShopForm,
    DonationForm,
    DonationPreferenceForm,
    FundGrantForm,
    GiftForm,
    RelayNominationForm,
)
from .models import AngelShop, Donation

wallet_required = permission_required("vouchers.use_wallet", raise_exception=True)
staff_required = permission_required("vouchers.change_policy", raise_exception=True)


@login_required
@wallet_required
def home(request):
    return render(
        request,
        "solidarity/home.html",
        {"fund": selectors.fund_summary(), "year": timezone.localdate().year},
    )


@login_required
@wallet_required
def gifts(request):
    """Send a gift; list the gifts sent and received (claiming first any that waited)."""
    claimed = services.gifts_claim(user=request.user)
    for gift in claimed:
        messages.success(
            request,
            _("You received a gift of %(amount)s won.") % {"amount": f"{gift.amount:,}"},
        )
    form = GiftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            idem = Idem.of(
                f"user:{request.user.pk}",
                data["idempotency_key"],
                "gift",
                data["to"].strip().lower(),
                data["amount"],
            )
            try:
                result = services.gift_send(
                    sender=request.user,
                    to=data["to"],
                    amount=data["amount"],
                    pin=data["pin"],
                    message=data["message"],
                    idem=idem,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status if 400 <= exc.status < 500 else 400
            else:
                if result.body["status"] == "held":
                    messages.success(
                        request,
                        _(
                            "Your gift of %(amount)s won waits for its recipient for 30 days; "
                            "until then you can cancel it."
                        )
                        % {"amount": f"{result.body['amount']:,}"},
                    )
                else:
                    messages.success(
                        request,
                        _("Your gift of %(amount)s won was delivered.")
                        % {"amount": f"{result.body['amount']:,}"},
                    )
                return redirect("solidarity:gifts")
        else:
            status = 400
    return render(
        request,
        "solidarity/gifts.html",
        {
            "form": form,
            "summary": wallet_summary(user=request.user),
            "gifts": selectors.gifts_of(user=request.user)[:50],
        },
        status=status,
    )


@login_required
@wallet_required
@require_POST
def gift_cancel(request, gift_id: int):
    try:
        gift = services.gift_cancel(gift_id=gift_id, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The gift of %(amount)s won was cancelled and is back in your wallet.")
            % {"amount": f"{gift.amount:,}"},
        )
    return redirect("solidarity:gifts")


@login_required
@wallet_required
def donations(request):
    """Give once from the wallet; choose to give every cashback; this year's donations."""
    form = DonationForm(request.POST if "amount" in request.POST else None)
    preference = DonationPreferenceForm(
        request.POST if "preference" in request.POST else None,
        initial={"cashback_to_fund": selectors.cashback_to_fund(user=request.user)},
    )
    status = 200
    if request.method == "POST":
        if "preference" in request.POST and preference.is_valid():
            services.donation_preference_set(
                user=request.user, cashback_to_fund=preference.cleaned_data["cashback_to_fund"]
            )
            messages.success(request, _("Your choice was saved."))
            return redirect("solidarity:donations")
        if form.is_bound and form.is_valid():
            idem = Idem.of(
                f"user:{request.user.pk}",
                form.cleaned_data["idempotency_key"],
                "donation",
                form.cleaned_data["amount"],
            )
            try:
                result = services.donation_give(
                    user=request.user, amount=form.cleaned_data["amount"], idem=idem
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = 400
            else:
                messages.success(
                    request,
                    _("Thank you: %(amount)s won went to the community fund.")
                    % {"amount": f"{result.body['amount']:,}"},
                )
                return redirect("solidarity:donations")
        else:
            status = 400
    year = timezone.localdate().year
    mine = selectors.donations_of(user=request.user, year=year)
    return render(
        request,
        "solidarity/donations.html",
        {
            "form": form,
            "preference": preference,
            "summary": wallet_summary(user=request.user),
            "donations": mine[:50],
            "year": year,
            "year_total": sum(d.amount for d in mine),
        },
        status=status,
    )


def fund(request):
    """The community fund, public: its balance, what came in, and where it went."""
    return render(
        request,
        "solidarity/fund.html",
        {
            "fund": selectors.fund_summary(),
            "grants": selectors.fund_grants(),
            "angels": selectors.angel_shops(),
        },
    )


@login_required
@wallet_required
def statement(request, year: int):
    """The citizen's year-end statement; ``?format=pdf`` or ``csv`` to download."""
    try:
        figures = statements.statement_for(user=request.user, year=year)
    except ApplicationError as exc:
        return render(request, "error.html", {"message": exc.message}, status=400)
    wanted = request.GET.get("format")
    if wanted == "pdf":
        body = statements.statement_pdf(
            figures,
            city=getattr(request.tenant, "name", ""),
            name=request.user.get_full_name(),
        )
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="statement-{year}.pdf"'
        return response
    if wanted == "csv":
        response = HttpResponse(statements.statement_csv(figures), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="statement-{year}.csv"'
        return response
    donations = selectors.donations_of(user=request.user, year=year)
    return render(
        request,
        "solidarity/statement.html",
        {"statement": figures, "data": figures.as_dict(), "year": year, "donations": donations},
    )


@login_required
@wallet_required
def donation_receipt(request, year: int):
    """The citizen's donation receipt for ``year`` (PDF)."""
    try:
        body = statements.donation_receipt_pdf(
            user=request.user, year=year, city=getattr(request.tenant, "name", "")
        )
    except ApplicationError as exc:
        return render(request, "error.html", {"message": exc.message}, status=400)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="donation-receipt-{year}.pdf"'
    return response


@login_required
@staff_required
def city_statement(request, year: int):
    """City staff: the year's totals over every citizen (CSV with ``?format=csv``)."""
    try:
        figures = statements.statement_city(year=year)
    except ApplicationError as exc:
        return render(request, "error.html", {"message": exc.message}, status=400)
    if request.GET.get("format") == "csv":
        response = HttpResponse(statements.statement_csv(figures), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="city-statement-{year}.csv"'
        return response
    return render(
        request,
        "solidarity/statement.html",
        {"statement": figures, "data": figures.as_dict(), "year": year, "city_wide": True},
    )


@login_required
def relay(request, campaign_id: int):
    """A campaign's relay as a tree (for anyone signed in, like the campaign's page). Members
    of a joined organisation pass the baton here; members of an invited one accept."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    nominators = Organisation.objects.filter(
        memberships__user=request.user, campaigns=campaign
    ).distinct()
    form = None
    status = 200
    if nominators.exists():
        nominees = Organisation.objects.exclude(campaigns=campaign).order_by("name")
        form = RelayNominationForm(request.POST or None, nominators=nominators, nominees=nominees)
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    services.relay_nominate(
                        campaign=campaign,
                        nominator=form.cleaned_data["nominator"],
                        nominee=form.cleaned_data["nominee"],
                        message=form.cleaned_data["message"],
                        by=request.user,
                    )
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("The baton was passed; they are invited."))
                    return redirect("solidarity:relay", campaign_id=campaign.pk)
    invitations = [
        n
        for n in selectors.relay_invitations_for(user=request.user)
        if n.campaign_id == campaign.pk
    ]
    return render(
        request,
        "solidarity/relay.html",
        {
            "campaign": campaign,
            "tree": selectors.relay_tree(campaign=campaign),
            "form": form,
            "invitations": invitations,
        },
        status=status,
    )


@login_required
def relay_tree(request, campaign_id: int):
    """The relay tree alone (htmx: loaded into the campaign's page)."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(
        request,
        "solidarity/partials/relay_tree.html",
        {"tree": selectors.relay_tree(campaign=campaign)},
    )


@login_required
@require_POST
def relay_join(request, nomination_id: int):
    try:
        nomination = services.relay_join(nomination_id=nomination_id, by=request.user)
    except ApplicationError as exc:
        return render(
            request,
            "error.html",
            {"message": exc.message},
            status={"forbidden": 403, "not_found": 404}.get(exc.code, 400),
        )
    messages.success(
        request,
        _("%(organisation)s joined the campaign.") % {"organisation": nomination.nominee.name},
    )
    return redirect("solidarity:relay", campaign_id=nomination.campaign_id)


@login_required
def angel_shop(request, shop_id: int):
    """The shop's owner makes it a donation-angel shop (or changes the share, or leaves)."""
    shop = shop_for_member(user=request.user, shop_id=shop_id, roles=("owner",))
    angel = AngelShop.objects.filter(shop=shop, left_at__isnull=True).first()
    form = AngelShopForm(
        request.POST if "share_bp" in request.POST else None,
        initial={"share_bp": angel.share_bp if angel else 300},
    )
    status = 200
    if request.method == "POST":
        try:
            if "leave" in request.POST:
                services.angel_shop_leave(shop=shop, by=request.user)
                messages.success(request, _("The shop is no longer a donation-angel shop."))
                return redirect("solidarity:angel-shop", shop_id=shop.pk)
            if form.is_valid():
                services.angel_shop_join(
                    shop=shop, share_bp=form.cleaned_data["share_bp"], by=request.user
                )
                messages.success(request, _("Thank you: the shop is a donation-angel shop."))
                return redirect("solidarity:angel-shop", shop_id=shop.pk)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        status = 400
    donated = Donation.objects.filter(shop=shop).aggregate(total=Sum("amount"))["total"] or 0
    return render(
        request,
        "solidarity/angel_shop.html",
        {"shop": shop, "angel": angel, "form": form, "donated": donated},
        status=status,
    )


@login_required
@staff_required
def fund_manage(request):
    """City staff grant money from the community fund to a good cause."""
    form = FundGrantForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.fund_grant(
                    by=request.user,
                    recipient=data["recipient"],
                    purpose=data["purpose"],
                    amount=data["amount"],
                    idempotency_key=data["idempotency_key"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The grant was paid from the fund."))
                return redirect("solidarity:fund")
    return render(
        request,
        "solidarity/fund_manage.html",
        {"form": form, "fund": selectors.fund_summary()},
        status=status,
    )
