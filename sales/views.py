"""Charge-day pages: the citizen's sale, ticket (a position that updates itself) and payment;
the staff's set-up, live figures, pause, resume, draw, and the draw's audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role
from jeonju_prepay.exceptions import ApplicationError

from . import selectors, services
from .forms import JoinForm, SaleForm
from .models import Sale

MANAGE = "sales.manage_sale"


def citizen_required(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(Role.CITIZEN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@login_required
@citizen_required
def sale_list(request):
    sales = list(selectors.sales_open_for_citizens())
    tickets = {t.sale_id: t for t in selectors.tickets_of_user(user=request.user)}
    return render(
        request,
        "sales/list.html",
        {"sales": [(s, tickets.get(s.pk)) for s in sales]},
    )


@login_required
@citizen_required
def sale_join(request, sale_id):
    sale = services.sale_get(sale_id)
    if selectors.ticket_of(sale_id=sale.pk, user=request.user):
        return redirect("sales:ticket", sale_id=sale.pk)
    form = JoinForm(request.POST or None, initial={"amount": sale.per_person_limit})
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_issue(
                sale_id=sale.pk,
                user=request.user,
                amount=form.cleaned_data["amount"],
                birth_year=form.cleaned_data.get("birth_year"),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("sales:ticket", sale_id=sale.pk)
    return render(request, "sales/join.html", {"sale": sale, "form": form})


def _ticket_context(request, sale_id) -> dict:
    sale = services.sale_get(sale_id)
    ticket = selectors.ticket_of(sale_id=sale.pk, user=request.user)
    if ticket is None:
        raise Http404
    return {
        "sale": sale,
        "ticket": ticket,
        "status": selectors.ticket_status(sale=sale, ticket=ticket),
    }


@login_required
@citizen_required
def ticket_page(request, sale_id):
    return render(request, "sales/ticket.html", _ticket_context(request, sale_id))


@login_required
@citizen_required
def ticket_fragment(request, sale_id):
    """The part of the ticket page that updates itself (htmx, every few seconds)."""
    services.sale_tick_maybe(sale_id=services.sale_get(sale_id).pk)
    return render(request, "sales/partials/ticket_status.html", _ticket_context(request, sale_id))


@login_required
@citizen_required
@require_POST
def ticket_pay(request, sale_id):
    context = _ticket_context(request, sale_id)
    try:
        _charge, url = services.ticket_pay(ticket_id=context["ticket"].pk, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("sales:ticket", sale_id=sale_id)
    return redirect(url)


@login_required
def draw_audit(request, sale_id):
    """Anyone signed in may check the draw: the commitment, the seed, and every ticket's
    number, request and rank (no names)."""
    sale = services.sale_get(sale_id)
    rows = list(selectors.draw_rows(sale=sale)[:2_000]) if sale.drawn_at else []
    return render(
        request,
        "sales/draw.html",
        {"sale": sale, "rows": rows, "fairness": selectors.sale_fairness(sale=sale)},
    )


@login_required
@permission_required(MANAGE, raise_exception=True)
def staff_list(request):
    form = SaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sale = services.sale_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The sale is set up."))
            return redirect("sales:staff-detail", sale_id=sale.pk)
    return render(
        request, "sales/staff_list.html", {"form": form, "sales": selectors.sales_for_staff()}
    )


def _staff_context(sale_id) -> dict:
    services.sale_tick_maybe(sale_id=services.sale_get(sale_id).pk)
    sale = Sale.objects.get(pk=sale_id)
    return {
        "sale": sale,
        "figures": selectors.sale_figures(sale_id=sale.pk),
        "fairness": selectors.sale_fairness(sale=sale),
        "events": sale.events.all()[:50],
    }


@login_required
@permission_required(MANAGE, raise_exception=True)
def staff_detail(request, sale_id):
    return render(request, "sales/staff_detail.html", _staff_context(sale_id))


@login_required
@permission_required(MANAGE, raise_exception=True)
def staff_figures(request, sale_id):
    return render(request, "sales/partials/staff_figures.html", _staff_context(sale_id))


ACTIONS = {"pause": services.sale_pause, "resume": services.sale_resume, "draw": services.sale_draw}


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def staff_action(request, sale_id, action):
    sale = services.sale_get(sale_id)
    if action not in ACTIONS:
        raise Http404
    try:
        ACTIONS[action](sale_id=sale.pk, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("sales:staff-detail", sale_id=sale.pk)
