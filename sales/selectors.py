"""Reads of a charge-day sale shared by pages, API and the dashboard."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from . import allocation
from .models import Sale, Ticket


@dataclass(frozen=True)
class SaleFigures:
    amount: int
    reserved: int
    sold: int
    remaining: int
    queued: int
    arrivals: int
    admitted: int
    paid: int
    expired: int
    not_allocated: int

    def as_dict(self) -> dict:
        return asdict(self)


def sale_figures(*, sale_id: int) -> SaleFigures:
    """The tranche as one statement sees it, so ``reserved + sold + remaining == amount``
    holds in every answer (each chunk holds it under its CHECK)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT coalesce(sum(amount), 0) FROM sales_salechunk WHERE sale_id = %(s)s),
              (SELECT coalesce(sum(reserved), 0) FROM sales_salechunk WHERE sale_id = %(s)s),
              (SELECT coalesce(sum(sold), 0) FROM sales_salechunk WHERE sale_id = %(s)s),
              count(*),
              count(*) FILTER (WHERE state = 'waiting'),
              count(*) FILTER (WHERE state = 'admitted'),
              count(*) FILTER (WHERE state = 'paid'),
              count(*) FILTER (WHERE state = 'expired'),
              count(*) FILTER (WHERE state = 'not_allocated')
            FROM sales_ticket WHERE sale_id = %(s)s
            """,
            {"s": sale_id},
        )
        amount, reserved, sold, arrivals, waiting, admitted, paid, expired, refused = (
            int(v) for v in cursor.fetchone()
        )
    return SaleFigures(
        amount=amount,
        reserved=reserved,
        sold=sold,
        remaining=amount - reserved - sold,
        queued=waiting,
        arrivals=arrivals,
        admitted=admitted,
        paid=paid,
        expired=expired,
        not_allocated=refused,
    )


@dataclass(frozen=True)
class TicketStatus:
    state: str
    number: int
    position: int | None
    ahead: int | None
    allocated: int
    requested: int
    expires_at: object
    estimate_minutes: int | None

    def as_api(self) -> dict:
        return {
            "state": self.state,
            "position": self.position,
            "allocated": self.allocated,
            "ticket": self.number,
            "ahead": self.ahead,
            "estimate_minutes": self.estimate_minutes,
        }


def ticket_status(*, sale: Sale, ticket: Ticket) -> TicketStatus:
    """Where a ticket stands. ``ahead`` counts the places between the last ticket decided and
    this one (an upper bound: a citizen ahead who left still counts until decided); the
    estimate divides it by the pace of the last minutes. Costs the ticket's row (the sale's
    comes from the cache)."""
    ahead = position = None
    estimate = None
    if ticket.state == Ticket.State.WAITING and ticket.order_key is not None:
        ahead = max(0, ticket.order_key - sale.decided_through - 1)
        position = ahead + 1
        per_minute = max(
            1, min(sale.batch_size * 60, sale.max_in_flight // max(sale.pay_minutes, 1))
        )
        estimate = -(-position // per_minute)
    return TicketStatus(
        state=ticket.state,
        number=ticket.number,
        position=position,
        ahead=ahead,
        allocated=ticket.allocated,
        requested=ticket.requested,
        expires_at=ticket.expires_at,
        estimate_minutes=estimate,
    )


def ticket_of(*, sale_id: int, user) -> Ticket | None:
    return Ticket.objects.filter(sale_id=sale_id, user=user).first()


def tickets_of_user(*, user):
    return Ticket.objects.filter(user=user)


def sales_open_for_citizens():
    now = timezone.now()
    return Sale.objects.filter(closes_at__gt=now - timedelta(days=7)).order_by("opens_at")


def sales_for_staff():
    return Sale.objects.order_by("-opens_at")


@dataclass(frozen=True)
class Fairness:
    mode: str
    largest_inversion: int | None
    seed: str | None
    seed_commitment: str
    seed_matches: bool | None
    order_reproduced: bool | None
    winners: int


def sale_fairness(*, sale: Sale) -> Fairness:
    """For first come: the largest arrival-order inversion among admissions (0 when nobody was
    served before an earlier arrival). For the lottery: the seed (after the draw), whether it
    matches the commitment published at opening, and the draw re-run from it."""
    admitted = [
        key
        for key in Ticket.objects.filter(sale=sale, admitted_at__isnull=False)
        .order_by("admitted_at", "order_key")
        .values_list("order_key", flat=True)
        if key is not None
    ]
    inversion = allocation.largest_inversion(admitted) if admitted else 0
    seed = sale.seed if sale.drawn_at else None
    matches = reproduced = None
    if sale.mode == Sale.Mode.LOTTERY and sale.drawn_at:
        matches = allocation.seed_commitment(sale.seed) == sale.seed_commitment
        rows = list(
            Ticket.objects.filter(sale=sale).order_by("order_key").values_list("number", flat=True)
        )
        reproduced = allocation.lottery_order(sale.seed, sorted(rows)) == rows
    return Fairness(
        mode=sale.mode,
        largest_inversion=inversion,
        seed=seed,
        seed_commitment=sale.seed_commitment,
        seed_matches=matches,
        order_reproduced=reproduced,
        winners=len(admitted),
    )


def draw_rows(*, sale: Sale):
    """What anyone needs to re-run the draw: ticket number, request, group, rank, allocation
    (no names: the ticket number is the citizen's own to recognise)."""
    return (
        Ticket.objects.filter(sale=sale)
        .order_by("order_key", "number")
        .values_list("number", "requested", "group", "order_key", "target", "allocated", "state")
    )
