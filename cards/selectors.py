"""Reads for the card, note and desk pages (and seed_demo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from accounts.models import User
from ledger.models import Account
from ledger.selectors import citizen_balances
from ledger.services import business_date_today

from .exceptions import DeskForbiddenError
from .models import AssistedAction, Card, Desk, DeskCharge, DeskClose, Note, NoteBatch


def desks_of(*, user: User) -> QuerySet[Desk]:
    return Desk.objects.filter(staff=user, is_active=True).order_by("name")


def desk_for_staff(*, user: User, desk_id: int) -> Desk:
    """The desk ``user`` serves at, or 404 (someone else's desk: 403)."""
    desk = get_object_or_404(Desk, pk=desk_id, is_active=True)
    if not desk.staff.filter(pk=user.pk).exists():
        raise DeskForbiddenError()
    return desk


def cards_of(*, user: User) -> QuerySet[Card]:
    return Card.objects.filter(user=user).order_by("-issued_at", "-id")


def card_by_number(number: str) -> Card | None:
    return Card.objects.select_related("user").filter(number=number).first()


@dataclass(frozen=True)
class CitizenAtDesk:
    user: User
    cards: list[Card]
    wallet_balance: int
    principal: int
    incentive: int


def citizen_at_desk(*, user: User) -> CitizenAtDesk:
    balances = citizen_balances(user_id=user.pk)
    return CitizenAtDesk(
        user=user,
        cards=list(cards_of(user=user)),
        wallet_balance=balances.principal + balances.incentive,
        principal=balances.principal,
        incentive=balances.incentive,
    )


def desk_cash_expected(*, desk: Desk) -> int:
    """The cash the ledger says the desk holds for the city (since its last close)."""
    account = Account.objects.filter(
        kind=Account.Kind.PROVIDER_CLEARING, provider=desk.cash_provider
    ).first()
    return -account.balance if account is not None else 0


def desk_today(*, desk: Desk, today: date | None = None) -> dict:
    """The desk's day so far: its charges and sales by method, and the close if made."""
    today = today or business_date_today()
    charges = DeskCharge.objects.filter(desk=desk, business_date=today)
    by_method = dict(
        charges.values_list("method").annotate(total=Sum("amount")).values_list("method", "total")
    )
    return {
        "business_date": today,
        "cash_charges": by_method.get(DeskCharge.Method.CASH, 0),
        "transfer_charges": by_method.get(DeskCharge.Method.TRANSFER, 0),
        "expected_cash": desk_cash_expected(desk=desk),
        "close": DeskClose.objects.filter(desk=desk, business_date=today).first(),
        "recent": list(
            AssistedAction.objects.filter(desk=desk)
            .select_related("staff", "citizen")
            .order_by("-created_at", "-id")[:20]
        ),
    }


@dataclass(frozen=True)
class BatchFigures:
    batch: NoteBatch
    stock: int
    sold: int
    redeemed: int
    outstanding: int
    expired: int
    cancelled: int

    @property
    def outstanding_value(self) -> int:
        return self.outstanding * self.batch.face_value


def batch_figures(*, today: date | None = None) -> list[BatchFigures]:
    """Per batch: notes in stock, sold (ever), redeemed, outstanding (sold, not yet used and
    still valid), expired (sold, unused, past the validity) and cancelled. One query."""
    today = today or business_date_today()
    valid = Q(notes__batch__expires_on__gt=today)
    rows = NoteBatch.objects.order_by("-id").annotate(
        n_stock=Count("notes", filter=Q(notes__status=Note.Status.STOCK) & valid),
        n_sold=Count("notes", filter=Q(notes__status__in=[Note.Status.SOLD, Note.Status.REDEEMED])),
        n_redeemed=Count("notes", filter=Q(notes__status=Note.Status.REDEEMED)),
        n_outstanding=Count("notes", filter=Q(notes__status=Note.Status.SOLD) & valid),
        n_expired=Count("notes", filter=Q(notes__status=Note.Status.SOLD) & ~valid),
        n_cancelled=Count("notes", filter=Q(notes__status=Note.Status.CANCELLED)),
    )
    return [
        BatchFigures(
            batch=row,
            stock=row.n_stock,
            sold=row.n_sold,
            redeemed=row.n_redeemed,
            outstanding=row.n_outstanding,
            expired=row.n_expired,
            cancelled=row.n_cancelled,
        )
        for row in rows
    ]


def notes_of_batch(*, batch: NoteBatch) -> QuerySet[Note]:
    return batch.notes.order_by("id")


def desk_charge_for_receipt(*, desk: Desk, charge_id: int) -> DeskCharge:
    return get_object_or_404(
        DeskCharge.objects.select_related("user", "staff", "card", "desk"), pk=charge_id, desk=desk
    )
