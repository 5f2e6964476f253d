"""Pages: the citizen's cards, the desks (a community centre, a bank branch), and the city's
paper-note batches. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import logging

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.phone import PhoneNumberError, phone_normalise
from accounts.roles import Role
from accounts.selectors import user_by_phone
from jeonju_prepay.exceptions import ApplicationError
from jeonju_prepay.http import client_ip
from ledger.services import Idem

from . import selectors, services
from .exceptions import DeskForbiddenError
from .forms import (
    AccountCreateForm,
    BatchCancelForm,
    BatchForm,
    BlockForm,
    CardIssueForm,
    ChargeForm,
    CloseForm,
    NotesSellForm,
    PhoneFindForm,
)
from .models import Card, Desk, NoteBatch

logger = logging.getLogger(__name__)
SHEET_PAGE = 500  # notes per printed sheet page (a batch holds up to 10,000)

# --- The citizen ---------------------------------------------------------------------------------


@login_required
def my_cards(request):
    """The citizen's cards, with a button that blocks a lost one at once."""
    return render(
        request,
        "cards/my_cards.html",
        {"cards": selectors.cards_of(user=request.user), "form": BlockForm()},
    )


@login_required
@require_POST
def card_block(request, card_id):
    card = get_object_or_404(Card, pk=card_id, user=request.user)
    form = BlockForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.card_block(card=card, by=request.user, reason=reason or "lost")
    messages.success(
        request, _("Card %(card)s is blocked. Ask a desk for a new one.") % {"card": card.masked}
    )
    return redirect("cards:mine")


# --- The desk ------------------------------------------------------------------------------------


@login_required
def desk_home(request):
    if not services.is_card_staff(request.user):
        raise DeskForbiddenError()
    desks = list(selectors.desks_of(user=request.user))
    if len(desks) == 1:
        return redirect("cards:desk", desk_id=desks[0].pk)
    return render(request, "cards/desk_home.html", {"desks": desks})


def _desk(request, desk_id) -> Desk:
    return selectors.desk_for_staff(user=request.user, desk_id=desk_id)


def _citizen(user_id) -> User:
    user = get_object_or_404(User, pk=user_id, is_active=True)
    if not user.has_role(Role.CITIZEN):
        raise DeskForbiddenError(_("This account is not a citizen's."))
    return user


@login_required
def desk(request, desk_id):
    """The desk: find a citizen by mobile number (or make their account), the day's figures."""
    desk = _desk(request, desk_id)
    find = PhoneFindForm(request.GET or None)
    if find.is_valid():
        try:
            phone = phone_normalise(find.cleaned_data["phone"])
        except PhoneNumberError as exc:
            find.add_error("phone", exc.message)
        else:
            user = user_by_phone(phone=phone)
            if user is not None and user.has_role(Role.CITIZEN):
                return redirect("cards:desk-citizen", desk_id=desk.pk, user_id=user.pk)
            find.add_error("phone", _("No citizen has this number: make an account below."))
    context = {
        "desk": desk,
        "find": find,
        "account_form": AccountCreateForm(initial={"phone": request.GET.get("phone", "")[:20]}),
        "today": selectors.desk_today(desk=desk),
    }
    return render(request, "cards/desk.html", context)


@login_required
@require_POST
def desk_account_new(request, desk_id):
    desk = _desk(request, desk_id)
    form = AccountCreateForm(request.POST)
    if form.is_valid():
        try:
            user = services.desk_account_create(
                desk=desk,
                staff=request.user,
                phone=form.cleaned_data["phone"],
                name=form.cleaned_data["name"],
                ip_address=client_ip(request),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("The account is made. The citizen signs in with the mobile number."),
            )
            return redirect("cards:desk-citizen", desk_id=desk.pk, user_id=user.pk)
    context = {
        "desk": desk,
        "find": PhoneFindForm(),
        "account_form": form,
        "today": selectors.desk_today(desk=desk),
    }
    return render(request, "cards/desk.html", context, status=400)


def _citizen_page(request, desk, user, status=200, **forms):
    context = {
        "desk": desk,
        "citizen": selectors.citizen_at_desk(user=user),
        "issue_form": forms.get("issue_form") or CardIssueForm(),
        "charge_form": forms.get("charge_form") or ChargeForm(),
        "notes_form": forms.get("notes_form") or NotesSellForm(),
        "block_form": BlockForm(),
        "sale": forms.get("sale"),
    }
    return render(request, "cards/desk_citizen.html", context, status=status)


@login_required
def desk_citizen(request, desk_id, user_id):
    desk, user = _desk(request, desk_id), _citizen(user_id)
    logger.info("desk %s: staff %s opened citizen %s", desk.pk, request.user.pk, user.pk)
    return _citizen_page(request, desk, user)


@login_required
@require_POST
def desk_card_issue(request, desk_id, user_id):
    desk, user = _desk(request, desk_id), _citizen(user_id)
    form = CardIssueForm(request.POST)
    if form.is_valid():
        try:
            card = services.card_issue(
                user=user, by=request.user, pin=form.cleaned_data["pin"], desk=desk
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Card %(card)s issued.") % {"card": card.number})
            return redirect("cards:desk-citizen", desk_id=desk.pk, user_id=user.pk)
    return _citizen_page(request, desk, user, status=400, issue_form=CardIssueForm())


def _desk_card(request, desk_id, card_id) -> tuple[Desk, Card]:
    desk = _desk(request, desk_id)
    return desk, get_object_or_404(Card.objects.select_related("user"), pk=card_id)


@login_required
@require_POST
def desk_card_block(request, desk_id, card_id):
    desk, card = _desk_card(request, desk_id, card_id)
    form = BlockForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.card_block(card=card, by=request.user, reason=reason, desk=desk)
    messages.success(request, _("Card %(card)s is blocked.") % {"card": card.masked})
    return redirect("cards:desk-citizen", desk_id=desk.pk, user_id=card.user_id)


@login_required
@require_POST
def desk_card_replace(request, desk_id, card_id):
    desk, card = _desk_card(request, desk_id, card_id)
    form = CardIssueForm(request.POST)
    if form.is_valid():
        try:
            new = services.card_replace(
                card=card, by=request.user, pin=form.cleaned_data["pin"], desk=desk
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("New card %(card)s issued; the balance stays in the wallet.")
                % {"card": new.number},
            )
    else:
        messages.error(request, _("A card PIN is exactly 6 digits."))
    return redirect("cards:desk-citizen", desk_id=desk.pk, user_id=card.user_id)


@login_required
@require_POST
def desk_charge(request, desk_id, user_id):
    desk, user = _desk(request, desk_id), _citizen(user_id)
    form = ChargeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        card = Card.objects.filter(user=user, status=Card.Status.ACTIVE).first()
        try:
            result = services.desk_charge(
                desk=desk,
                staff=request.user,
                user=user,
                amount=data["amount"],
                method=data["method"],
                card=card,
                idem=Idem.of(
                    f"user:{request.user.pk}",
                    data["idempotency_key"],
                    "desk_charge",
                    user.pk,
                    data["amount"],
                    data["method"],
                ),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(
                "cards:desk-receipt", desk_id=desk.pk, charge_id=result.body["charge_id"]
            )
    return _citizen_page(request, desk, user, status=400, charge_form=form)


@login_required
@require_POST
def desk_notes_sell(request, desk_id, user_id):
    desk, user = _desk(request, desk_id), _citizen(user_id)
    form = NotesSellForm(request.POST)
    sale = None
    if form.is_valid():
        try:
            sale = services.notes_sell(
                desk=desk,
                teller=request.user,
                buyer=user,
                counts=form.counts(),
                idem=Idem.of(
                    f"user:{request.user.pk}",
                    form.cleaned_data["idempotency_key"],
                    "notes_sell",
                    user.pk,
                    sorted(form.counts().items()),
                ),
            ).body
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _citizen_page(request, desk, user, sale=sale)
    return _citizen_page(request, desk, user, status=400, notes_form=form)


@login_required
def desk_receipt(request, desk_id, charge_id):
    desk = _desk(request, desk_id)
    charge = selectors.desk_charge_for_receipt(desk=desk, charge_id=charge_id)
    return render(request, "cards/receipt.html", {"desk": desk, "charge": charge})


@login_required
def desk_close(request, desk_id):
    """The end of the day: count the drawer; the ledger says what it should hold."""
    desk = _desk(request, desk_id)
    form = CloseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                close = services.desk_close(
                    desk=desk, staff=request.user, counted=form.cleaned_data["counted"]
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                if close.difference:
                    messages.warning(
                        request,
                        _("Closed with a difference of %(diff)s won: report it.")
                        % {"diff": f"{close.difference:,}"},
                    )
                else:
                    messages.success(request, _("The desk balances. Closed for today."))
                return redirect("cards:desk-close", desk_id=desk.pk)
        status = 400
    context = {"desk": desk, "form": form, "today": selectors.desk_today(desk=desk)}
    return render(request, "cards/desk_close.html", context, status=status)


# --- The city: paper-note batches -----------------------------------------------------------------


@login_required
@permission_required("cards.manage_cards", raise_exception=True)
def batches(request):
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Batch %(n)s printed.") % {"n": batch.pk})
            return redirect("cards:batches")
    context = {"form": form, "figures": selectors.batch_figures(), "cancel_form": BatchCancelForm()}
    return render(request, "cards/batches.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("cards.manage_cards", raise_exception=True)
def batch_sheet(request, batch_id):
    """The printable sheet of a batch: each note's value, serial, check code and QR."""
    batch = get_object_or_404(NoteBatch, pk=batch_id)
    # The sheet is the only place the check codes appear: every viewing is logged.
    logger.warning("note sheet of batch %s viewed by staff %s", batch.pk, request.user.pk)
    try:
        start = min(max(0, int(request.GET.get("from", "0"))), 10_000)
    except ValueError:
        start = 0
    page = list(selectors.notes_of_batch(batch=batch)[start : start + SHEET_PAGE])
    notes = [
        {
            "serial": note.serial,
            "check": (check := services.note_check_code(note.serial)),
            "qr": segno.make(f"{note.serial}:{check}", error="m").svg_inline(scale=3, border=1),
            "status": note.get_status_display(),
        }
        for note in page
    ]
    more = start + SHEET_PAGE < batch.count
    context = {"batch": batch, "notes": notes, "start": start, "next": start + SHEET_PAGE}
    context["more"] = more
    return render(request, "cards/batch_sheet.html", context)


@login_required
@permission_required("cards.manage_cards", raise_exception=True)
@require_POST
def batch_cancel(request, batch_id):
    batch = get_object_or_404(NoteBatch, pk=batch_id)
    form = BatchCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the batch is cancelled."))
        return redirect("cards:batches")
    try:
        n = services.batch_cancel(batch=batch, by=request.user, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)s notes in stock cancelled.") % {"n": n})
    return redirect(reverse("cards:batches"))
