"""Every state change of a charge-day sale.

The record of truth is PostgreSQL. A ticket's place is its number, drawn from the sale's own
sequence when it arrives (no counter row to fight over); ``sales_chunk_never_oversold`` refuses
any reservation or sale past a chunk's amount; one ticket per citizen per sale is a UNIQUE.
Redis only throttles how often the admission step runs and caches the sale's row for the
position page: with Redis gone or emptied, the step runs under a row lock instead and nothing
is lost.

Life of a ticket: ``waiting`` → ``admitted`` (a reservation of ``allocated`` won held in one
chunk for ``pay_minutes``) → ``paid`` (the wallet charge was credited, the chunk's reservation
became sold) or ``expired`` (not paid in time: the reservation goes back to the pool for the
next in line). A ticket that can get nothing ends ``not_allocated``.

Locks, in this order: the sale row (the admission step only, ``SKIP LOCKED``), ticket rows,
then chunk rows in ascending id. The purchase callback (``sale_charge_terms``) runs inside the
wallet's callback transaction: the charge row, then the ticket, then the chunk, then the
wallet's usage row and accounts.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from jeonju_prepay.exceptions import ApplicationError
from ledger.money import LEDGER_MAX_AMOUNT, parse_amount
from ledger.services import with_retries
from vouchers.models import Charge, Wallet
from vouchers.services import ChargeTerms, charge_create

from . import allocation
from .allocation import UNIT
from .exceptions import (
    NotAdmittedError,
    SaleClosedError,
    SaleError,
    SaleNotFoundError,
    SaleStateError,
    TicketError,
    TicketNotFoundError,
)
from .models import Sale, SaleChunk, SaleEvent, Ticket, TicketCharge

CHUNKS = 16
TICK_SECONDS = 1.0
# How long a missing ticket number holds up the tickets after it (see _up_to_a_gap).
ARRIVAL_GRACE_SECONDS = 2


def _event(sale: Sale, kind: str, actor: User | None = None, **detail) -> None:
    SaleEvent.objects.create(sale=sale, kind=kind, actor=actor, detail=detail)


# --- Setting a sale up ----------------------------------------------------------------------------


@transaction.atomic
def sale_create(
    *,
    by: User | None,
    name: str,
    amount,
    incentive_bp: int,
    per_person_limit,
    opens_at: datetime,
    closes_at: datetime,
    mode: str,
    priority_groups: list[str] | tuple[str, ...] = (),
    pay_minutes: int = 10,
    max_in_flight: int = 2_000,
    batch_size: int = 500,
    chunks: int = CHUNKS,
) -> Sale:
    """Set a tranche up: its chunks, its ticket sequence and the lottery seed's commitment."""
    name = (name or "").strip()
    if not name:
        raise SaleError(_("Give the sale a name."))
    # A tranche is far above one payment's ceiling (MONEY_MAX_AMOUNT): the ledger's bounds it.
    amount = parse_amount(amount, minimum=UNIT, maximum=LEDGER_MAX_AMOUNT)
    per_person_limit = parse_amount(per_person_limit, minimum=UNIT)
    if amount % UNIT or per_person_limit % UNIT:
        raise SaleError(_("Amounts on sale are in steps of 1,000 won."))
    if not isinstance(incentive_bp, int) or not 0 <= incentive_bp <= 3000:
        raise SaleError(_("The incentive rate is between 0 and 3,000 basis points (30%)."))
    if mode not in Sale.Mode.values:
        raise SaleError(_("Choose an allocation mode."))
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        raise SaleError(_("The sale must close after it opens."))
    if not 1 <= pay_minutes <= 24 * 60 or not 1 <= batch_size <= 10_000:
        raise SaleError(_("The pacing figures are out of range."))
    groups = [g for g in priority_groups if g]
    if mode == Sale.Mode.PRIORITY and not groups:
        raise SaleError(_("Name at least one priority group."))
    chunks = max(1, min(chunks, amount // UNIT))
    seed = secrets.token_hex(32)
    sale = Sale.objects.create(
        name=name[:100],
        amount=amount,
        incentive_bp=incentive_bp,
        per_person_limit=per_person_limit,
        opens_at=opens_at,
        closes_at=closes_at,
        mode=mode,
        priority_groups=groups,
        pay_minutes=pay_minutes,
        max_in_flight=max(max_in_flight, 1),
        batch_size=batch_size,
        seed=seed,
        seed_commitment=allocation.seed_commitment(seed),
        created_by=by,
    )
    units = amount // UNIT
    sizes = [(units // chunks + (1 if i < units % chunks else 0)) * UNIT for i in range(chunks)]
    SaleChunk.objects.bulk_create(
        SaleChunk(sale=sale, index=i, amount=size) for i, size in enumerate(sizes)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE {sale.sequence_name}")
    _event(sale, "created", by, mode=mode, amount=amount, seed_commitment=sale.seed_commitment)
    return sale


def _sale_for_update(sale_id: int) -> Sale:
    sale = Sale.objects.select_for_update().filter(pk=sale_id).first()
    if sale is None:
        raise SaleNotFoundError()
    return sale


@transaction.atomic
def sale_pause(*, sale_id: int, by: User | None) -> Sale:
    """Stop admitting (tickets are still issued; reservations held may still be paid)."""
    sale = _sale_for_update(sale_id)
    if sale.status not in (Sale.Status.SCHEDULED, Sale.Status.OPEN, Sale.Status.DRAWN):
        raise SaleStateError(_("Only a running sale can be paused."))
    _event(sale, "paused", by, was=sale.status)
    sale.status = Sale.Status.PAUSED
    sale.save(update_fields=["status"])
    _snapshot_forget(sale.pk)
    return sale


@transaction.atomic
def sale_resume(*, sale_id: int, by: User | None) -> Sale:
    sale = _sale_for_update(sale_id)
    if sale.status != Sale.Status.PAUSED:
        raise SaleStateError(_("Only a paused sale can be resumed."))
    was = SaleEvent.objects.filter(sale=sale, kind="paused").order_by("-at", "-id").first()
    sale.status = (was.detail.get("was") if was else None) or Sale.Status.OPEN
    sale.save(update_fields=["status"])
    _event(sale, "resumed", by)
    _snapshot_forget(sale.pk)
    return sale


# --- Tickets --------------------------------------------------------------------------------------


def _now_day(sale: Sale, now: datetime) -> int:
    tz = timezone.get_current_timezone()
    return (now.astimezone(tz).date() - sale.opens_at.astimezone(tz).date()).days


# Redis only caches and paces: when it fails, the database answers and nothing is lost.
def _cache_get(key: str):
    with contextlib.suppress(Exception):
        return cache.get(key)
    return None


def _cache_set(key: str, value, timeout: float) -> None:
    with contextlib.suppress(Exception):
        cache.set(key, value, timeout=timeout)


def sale_get(sale_id: int) -> Sale:
    """The sale's row, cached for a second (the position page and the queue read it often)."""
    key = f"sales:sale:{sale_id}"
    sale = _cache_get(key)
    if sale is None:
        sale = Sale.objects.filter(pk=sale_id).first()
        if sale is None:
            raise SaleNotFoundError()
        _cache_set(key, sale, TICK_SECONDS)
    return sale


def _snapshot_forget(sale_id: int) -> None:
    with contextlib.suppress(Exception):
        cache.delete(f"sales:sale:{sale_id}")


def _ticket_held(sale: Sale, user: User) -> Ticket | None:
    """The citizen's ticket in the sale, if any, carrying the sale as read (for the answer)."""
    ticket = Ticket.objects.filter(sale_id=sale.pk, user=user).first()
    if ticket is not None:
        ticket.sale = sale
    return ticket


def ticket_issue(
    *,
    sale_id: int,
    user: User,
    amount,
    birth_year=None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> tuple[Ticket, bool]:
    """A citizen's ticket: issued at once, numbered in arrival order. The same citizen asking
    again gets the same ticket (``created`` False). The ticket carries the sale as read (from
    the cache), for the answer. Refused (nothing written) outside the
    window, above the per-person limit, and in a staggered sale on another birth year's day."""
    now = now or timezone.now()
    sale = sale_get(sale_id)
    try:
        amount, digit, group = _application_check(sale, user, amount, birth_year, now)
    except ApplicationError:
        # The same citizen again (after the window, or on another day) gets the same ticket.
        existing = _ticket_held(sale, user)
        if existing is not None:
            return existing, False
        raise
    ordered_now = not sale.is_window
    target = amount if ordered_now else 0
    # One statement (sales/sql/sales_ticket_issue.sql): the number is drawn only when the
    # citizen has no ticket yet (so a retry leaves no gap), and the UNIQUE settles two
    # requests of the same citizen racing.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM sales_ticket_issue(%s, %s, %s, %s, %s, %s, %s, %s::smallint, %s)",
            [
                sale.pk,
                sale.sequence_name,
                user.pk,
                ordered_now,
                amount,
                target,
                group,
                digit,
                idempotency_key[:100],
            ],
        )
        row = cursor.fetchone()
    if row is None:  # the citizen's ticket from before (or from a request racing this one)
        existing = _ticket_held(sale, user)
        if existing is None:  # the UNIQUE said it exists; never expected
            raise Ticket.DoesNotExist(f"sale {sale.pk}: no ticket for user {user.pk}")
        return existing, False
    ticket_id, number, order_key, arrived_at = row
    ticket = Ticket(
        pk=ticket_id,
        sale=sale,
        user=user,
        number=number,
        order_key=order_key,
        requested=amount,
        target=target,
        allocated=0,
        state=Ticket.State.WAITING,
        group=group,
        birth_digit=digit,
        idempotency_key=idempotency_key[:100],
        arrived_at=arrived_at,
    )
    return ticket, True


def _application_check(sale: Sale, user: User, amount, birth_year, now: datetime):
    """(amount, birth digit, group) of an application, or the domain error refusing it."""
    if not sale.opens_at <= now < sale.closes_at or sale.status in (
        Sale.Status.DRAWN,
        Sale.Status.CLOSED,
    ):
        raise SaleClosedError()
    amount = parse_amount(amount, minimum=UNIT)
    if amount % UNIT:
        raise TicketError(_("Ask for an amount in steps of 1,000 won."))
    if amount > sale.per_person_limit:
        raise TicketError(
            _("You may buy at most %(limit)s won in this sale.")
            % {"limit": f"{sale.per_person_limit:,}"}
        )
    digit = None
    if sale.mode == Sale.Mode.STAGGERED:
        digit = _birth_digit(birth_year, now)
        day_digits = allocation.stagger_day_digits(_now_day(sale, now))
        if day_digits is not None and digit not in day_digits:
            raise TicketError(
                _("Today is for birth years ending in %(digits)s. Please come on your day.")
                % {"digits": ", ".join(str(d) for d in sorted(day_digits))}
            )
    group = ""
    if sale.mode == Sale.Mode.PRIORITY:
        group = (
            Wallet.objects.filter(user=user).values_list("citizen_group", flat=True).first() or ""
        )
    return amount, digit, group


def _birth_digit(birth_year, now: datetime) -> int:
    try:
        year = int(str(birth_year).strip())
    except (TypeError, ValueError):
        year = 0
    if not 1900 <= year <= now.year:
        raise TicketError(_("Enter your year of birth, like 1985."))
    return year % 10


# --- Admission ------------------------------------------------------------------------------------


def _reserve(sale: Sale, want: int, prefer: int) -> tuple[int, int] | None:
    """Reserve up to ``want`` won of ``sale`` in one chunk; returns (chunk id, won reserved), or
    None when nothing is free. Runs in the caller's transaction; the chunk's CHECK refuses an
    oversell whatever happens here.

    Tickets start from chunk ``prefer`` (their number) so that reservations and payments spread
    over the chunks, skipping chunks that others hold. Near the end of a sale no chunk may hold
    ``want`` while the chunks together do: then every chunk is locked (in id order) and free
    room is moved into one of them (the chunks' amounts still add up to the tranche), so that
    the next in line gets all that is left, up to ``want``."""
    with connection.cursor() as cursor:
        n = len(_chunk_ids(sale.pk)) or 1
        for skip in (True, False):
            cursor.execute(
                f"""
                UPDATE sales_salechunk c SET reserved = c.reserved + %(want)s
                WHERE c.id = (
                    SELECT id FROM sales_salechunk
                    WHERE sale_id = %(sale)s AND amount - reserved - sold >= %(want)s
                    ORDER BY (index - %(prefer)s + %(n)s) %% %(n)s
                    LIMIT 1 FOR UPDATE {"SKIP LOCKED" if skip else ""})
                  AND c.amount - c.reserved - c.sold >= %(want)s
                RETURNING c.id
                """,  # noqa: S608 (a fixed choice of two texts)
                {"sale": sale.pk, "want": want, "prefer": prefer % n, "n": n},
            )
            row = cursor.fetchone()
            if row is not None:
                return row[0], want
        cursor.execute(
            "SELECT id, amount - reserved - sold FROM sales_salechunk WHERE sale_id = %s"
            " ORDER BY id FOR UPDATE",
            [sale.pk],
        )
        free = dict(cursor.fetchall())
        got = min(want, sum(free.values()) // UNIT * UNIT)
        if got <= 0:
            return None
        target = max(free, key=lambda chunk_id: (free[chunk_id], -chunk_id))
        need = got - free[target]
        for chunk_id in sorted(free):
            if need <= 0:
                break
            if chunk_id == target or free[chunk_id] <= 0:
                continue
            move = min(need, free[chunk_id])
            cursor.execute(
                "UPDATE sales_salechunk SET amount = amount - %s WHERE id = %s", [move, chunk_id]
            )
            cursor.execute(
                "UPDATE sales_salechunk SET amount = amount + %s WHERE id = %s", [move, target]
            )
            need -= move
        cursor.execute(
            "UPDATE sales_salechunk SET reserved = reserved + %s WHERE id = %s", [got, target]
        )
        return target, got


def _chunk_ids(sale_id: int) -> list[int]:
    key = f"sales:chunks:{sale_id}"
    ids = _cache_get(key)
    if ids is None:
        ids = list(SaleChunk.objects.filter(sale_id=sale_id).values_list("pk", flat=True))
        _cache_set(key, ids, 60)
    return ids


def ticket_admit(*, ticket_id: int, now: datetime | None = None, cap: int | None = None) -> bool:
    """Admit one waiting ticket: reserve its target in a chunk and give it ``pay_minutes`` to
    pay. Safe to call from many processes at once (the ticket's state and the chunk's CHECK
    decide). Returns False when nothing is left for it now (it keeps waiting) or when it was
    no longer waiting. ``cap``: the most that may be reserved plus sold (a staggered day)."""

    def attempt() -> bool:
        at = now or timezone.now()
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .select_related("sale")
                .filter(pk=ticket_id, state=Ticket.State.WAITING)
                .first()
            )
            if ticket is None or ticket.target <= 0:
                return False
            sale = ticket.sale
            want = ticket.target
            if cap is not None:
                held = _held(sale.pk)
                want = min(want, (cap - held) // UNIT * UNIT)
                if want <= 0:
                    return False
            # First come keeps the order exactly: the next in line takes what is left.
            got = _reserve(sale, want, ticket.number)
            if got is None:
                return False
            ticket.chunk_id, ticket.allocated = got
            ticket.state = Ticket.State.ADMITTED
            ticket.admitted_at = at
            ticket.decided_at = at
            ticket.expires_at = at + timedelta(minutes=sale.pay_minutes)
            ticket.save(
                update_fields=[
                    "chunk",
                    "allocated",
                    "state",
                    "admitted_at",
                    "decided_at",
                    "expires_at",
                ]
            )
            return True

    return with_retries(attempt)


def _held(sale_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(reserved + sold), 0) FROM sales_salechunk WHERE sale_id = %s",
            [sale_id],
        )
        return int(cursor.fetchone()[0])


def _release(rows: list[tuple[int, int]]) -> None:
    """Give reservations back to their chunks: (chunk id, won) pairs; chunks in id order."""
    by_chunk: dict[int, int] = {}
    for chunk_id, won in rows:
        by_chunk[chunk_id] = by_chunk.get(chunk_id, 0) + won
    with connection.cursor() as cursor:
        for chunk_id in sorted(by_chunk):
            cursor.execute(
                "UPDATE sales_salechunk SET reserved = reserved - %s WHERE id = %s",
                [by_chunk[chunk_id], chunk_id],
            )


def tickets_expire(*, sale_id: int, now: datetime | None = None) -> int:
    """Expire the admitted tickets whose time to pay has passed; their reservations go back to
    the pool. A ticket whose payment the provider confirms at the same moment is either paid
    (the callback locked it first) or expired (and the card is given back), never both."""

    def attempt() -> int:
        at = now or timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE sales_ticket SET state = 'expired', decided_at = %s
                WHERE sale_id = %s AND state = 'admitted' AND expires_at < %s
                RETURNING chunk_id, allocated
                """,
                [at, sale_id, at],
            )
            rows = cursor.fetchall()
            _release(rows)
            return len(rows)

    return with_retries(attempt)


@dataclass
class TickReport:
    expired: int = 0
    admitted: int = 0
    refused: int = 0
    notes: list[str] = field(default_factory=list)


def sale_tick(*, sale_id: int, now: datetime | None = None) -> TickReport | None:
    """One admission step: expire overdue reservations, then admit the next waiting tickets in
    order, paced (at most ``batch_size`` a step, ``max_in_flight`` admitted and unpaid). Runs in
    one process at a time (the sale row, ``SKIP LOCKED``; None when another holds it)."""
    now = now or timezone.now()
    report = TickReport()
    with transaction.atomic():
        sale = Sale.objects.select_for_update(skip_locked=True).filter(pk=sale_id).first()
        if sale is None:
            return None
        if sale.status == Sale.Status.CLOSED:
            return report
        if sale.status == Sale.Status.SCHEDULED and now >= sale.opens_at:
            sale.status = Sale.Status.OPEN
            sale.save(update_fields=["status"])
            _event(sale, "opened")
    report.expired = tickets_expire(sale_id=sale.pk, now=now)
    if sale.status == Sale.Status.PAUSED or now < sale.opens_at:
        return report
    if sale.is_window and sale.status != Sale.Status.DRAWN:
        return report
    cap = None
    if sale.mode == Sale.Mode.STAGGERED:
        caps = allocation.staggered_caps(sale.amount)
        day = _now_day(sale, now)
        cap = caps[min(max(day, 0), len(caps) - 1)]
    in_flight = Ticket.objects.filter(sale_id=sale.pk, state=Ticket.State.ADMITTED).count()
    slots = min(sale.batch_size, max(0, sale.max_in_flight - in_flight))
    if slots:
        report.admitted = with_retries(lambda: _admit_batch(sale, slots, now, cap))
    report.refused = _refuse_when_done(sale, now)
    decided = (
        Ticket.objects.filter(sale_id=sale.pk)
        .exclude(state=Ticket.State.WAITING)
        .aggregate(m=Max("order_key"))["m"]
    )
    if decided and decided != sale.decided_through:
        Sale.objects.filter(pk=sale.pk).update(decided_through=decided)
        _snapshot_forget(sale.pk)
    return report


def _admit_batch(sale: Sale, slots: int, now: datetime, cap: int | None) -> int:
    """Admit up to ``slots`` waiting tickets in order, as one short transaction of four
    statements: lock the next waiting tickets (in order), lock the sale's chunks (id order),
    share the free room out in Python (each ticket from the chunk of its number when it has
    room, else another; the next in line takes what is left, moving free room between chunks
    when no single one holds it), then write the chunks and the tickets, each in one UPDATE.
    The chunks' CHECK still refuses any oversell; ``ticket_admit`` is the one-ticket form."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, number, target, order_key,"
            " arrived_at < clock_timestamp() - %s * interval '1 second' FROM sales_ticket"
            " WHERE sale_id = %s AND state = 'waiting' ORDER BY order_key LIMIT %s FOR UPDATE",
            [ARRIVAL_GRACE_SECONDS, sale.pk, slots],
        )
        waiting = _up_to_a_gap(sale, cursor.fetchall())
        if not waiting:
            return 0
        cursor.execute(
            "SELECT id, amount - reserved - sold FROM sales_salechunk WHERE sale_id = %s"
            " ORDER BY id FOR UPDATE",
            [sale.pk],
        )
        free = dict(cursor.fetchall())
        chunk_ids = sorted(free)
        n = len(chunk_ids)
        held = sale.amount - sum(free.values())
        grow = dict.fromkeys(chunk_ids, 0)  # amount moved in (+) or out (-)
        reserve = dict.fromkeys(chunk_ids, 0)
        admitted: list[tuple[int, int, int]] = []
        for ticket_id, number, target in waiting:
            want = target
            if cap is not None:
                want = min(want, (cap - held) // UNIT * UNIT)
            if want <= 0:
                break
            start = number % n
            chunk = next(
                (
                    chunk_ids[(start + k) % n]
                    for k in range(n)
                    if free[chunk_ids[(start + k) % n]] >= want
                ),
                None,
            )
            got = want
            if chunk is None:
                got = min(want, sum(free.values()) // UNIT * UNIT)
                if got <= 0:
                    break  # nothing left now: nobody behind is served first
                chunk = max(chunk_ids, key=lambda c: (free[c], -c))
                need = got - free[chunk]
                for other in chunk_ids:
                    if need <= 0:
                        break
                    if other == chunk or free[other] <= 0:
                        continue
                    move = min(need, free[other])
                    free[other] -= move
                    grow[other] -= move
                    free[chunk] += move
                    grow[chunk] += move
                    need -= move
            free[chunk] -= got
            reserve[chunk] += got
            held += got
            admitted.append((ticket_id, chunk, got))
        if not admitted:
            return 0
        touched = [c for c in chunk_ids if grow[c] or reserve[c]]
        cursor.execute(
            """
            UPDATE sales_salechunk c SET amount = c.amount + v.grow,
                reserved = c.reserved + v.reserve
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, grow, reserve)
            WHERE c.id = v.id
            """,
            [touched, [grow[c] for c in touched], [reserve[c] for c in touched]],
        )
        cursor.execute(
            """
            UPDATE sales_ticket t SET state = 'admitted', chunk_id = v.chunk,
                allocated = v.allocated, admitted_at = %s, decided_at = %s, expires_at = %s
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, chunk, allocated)
            WHERE t.id = v.id AND t.state = 'waiting'
            """,
            [
                now,
                now,
                now + timedelta(minutes=sale.pay_minutes),
                [a[0] for a in admitted],
                [a[1] for a in admitted],
                [a[2] for a in admitted],
            ],
        )
        return len(admitted)


def _up_to_a_gap(sale: Sale, rows: list[tuple]) -> list[tuple[int, int, int]]:
    """The waiting tickets (id, number, target) that may be admitted now, in order: first come
    keeps arrival order exactly. A ticket's number is drawn when its INSERT runs, and a request
    that drew a lower number may commit a moment after a later one: admitting past the missing
    number would serve the later arrival first (the charge-day bench saw it, one place). So a
    first-come or staggered batch stops before the first number not seen yet, unless the
    ticket after it arrived more than ARRIVAL_GRACE_SECONDS ago: that number was drawn by an
    insert that was rolled back or lost the race of a citizen asking twice, and never comes.
    A window sale's order is the draw's, complete when drawn."""
    if sale.is_window:
        return [row[:3] for row in rows]
    expected = sale.decided_through + 1
    kept = []
    for ticket_id, number, target, order_key, settled in rows:
        if order_key > expected and not settled:
            break
        kept.append((ticket_id, number, target))
        expected = max(expected, order_key + 1)
    return kept


def _refuse_when_done(sale: Sale, now: datetime) -> int:
    """Waiting tickets that can no longer get anything become ``not_allocated``: when the
    tranche is sold or reserved to the last won with nothing in flight to come back, or when
    a first-come sale has closed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(amount - sold), 0), coalesce(sum(reserved), 0)"
            " FROM sales_salechunk WHERE sale_id = %s",
            [sale.pk],
        )
        unsold, reserved = cursor.fetchone()
    sold_out = unsold == 0 or (unsold - reserved < UNIT and reserved == 0)
    closed = not sale.is_window and now >= sale.closes_at
    if not (sold_out or closed):
        return 0
    with transaction.atomic():
        refused = Ticket.objects.filter(sale_id=sale.pk, state=Ticket.State.WAITING).update(
            state=Ticket.State.NOT_ALLOCATED, decided_at=now
        )
        in_flight = Ticket.objects.filter(sale_id=sale.pk, state=Ticket.State.ADMITTED).exists()
        closing = (
            Sale.objects.filter(pk=sale.pk)
            .exclude(status=Sale.Status.CLOSED)
            .update(status=Sale.Status.CLOSED)
            if sold_out and not in_flight
            else 0
        )
        if closing:
            _event(sale, "sold_out")
            _snapshot_forget(sale.pk)
    return refused


def sale_tick_maybe(*, sale_id: int) -> None:
    """Run the admission step if nobody has in the last second: any request may drive it,
    only one does. Redis decides who; without Redis the sale row's ``SKIP LOCKED`` does."""
    try:
        if not cache.add(f"sales:tick:{sale_id}", 1, timeout=TICK_SECONDS):
            return
    except Exception:  # noqa: S110 (Redis down: the row lock alone paces)
        pass
    sale_tick(sale_id=sale_id)


# --- Window modes: the draw ---------------------------------------------------------------------


@transaction.atomic
def sale_draw(*, sale_id: int, by: User | None, now: datetime | None = None) -> Sale:
    """Allocate a window sale once its window has closed: the lottery's order from the seed,
    priority groups first, or pro-rata shares. Then the admission step admits in that order
    (a lottery's or a priority sale's runners-up move up as reservations expire)."""
    now = now or timezone.now()
    sale = _sale_for_update(sale_id)
    if not sale.is_window:
        raise SaleStateError(_("Only a lottery, pro-rata or priority sale is drawn."))
    if sale.drawn_at is not None:
        raise SaleStateError(_("This sale has been drawn already."))
    if now < sale.closes_at:
        raise SaleStateError(_("The draw is made after the applications close."))
    tickets = list(
        Ticket.objects.select_for_update()
        .filter(sale=sale)
        .order_by("number")
        .values_list("pk", "number", "requested", "group")
    )
    numbers = [t[1] for t in tickets]
    requests = [min(t[2], sale.per_person_limit) for t in tickets]
    if sale.mode == Sale.Mode.LOTTERY:
        order = allocation.lottery_order(sale.seed, numbers)
        targets = dict(zip(numbers, requests, strict=True))
    elif sale.mode == Sale.Mode.PRIORITY:
        order = allocation.priority_order(
            [allocation.Applicant(t[1], r, t[3]) for t, r in zip(tickets, requests, strict=True)],
            sale.priority_groups,
        )
        targets = dict(zip(numbers, requests, strict=True))
    else:
        order = numbers
        shares = allocation.pro_rata_shares(sale.amount, requests)
        targets = dict(zip(numbers, shares, strict=True))
    rank = {number: i + 1 for i, number in enumerate(order)}
    by_number = {t[1]: t[0] for t in tickets}
    updates = [Ticket(pk=by_number[n], order_key=rank[n], target=targets[n]) for n in numbers]
    Ticket.objects.bulk_update(updates, ["order_key", "target"], batch_size=2_000)
    Ticket.objects.filter(sale=sale, target=0).update(
        state=Ticket.State.NOT_ALLOCATED, decided_at=now
    )
    sale.drawn_at = now
    sale.status = Sale.Status.DRAWN
    sale.save(update_fields=["drawn_at", "status"])
    _event(sale, "drawn", by, seed=sale.seed, applicants=len(tickets))
    _snapshot_forget(sale.pk)
    return sale


# --- Paying -------------------------------------------------------------------------------------


def ticket_pay(*, ticket_id: int, user: User, now: datetime | None = None) -> tuple[Charge, str]:
    """Start the purchase of an admitted ticket: a wallet charge of its allocation (the
    wallet's monthly limit is checked there), sold at the tranche's incentive when the provider
    confirms. Returns the charge and the provider page to go to."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id, user=user).first()
        if ticket is None:
            raise TicketNotFoundError()
        if ticket.state != Ticket.State.ADMITTED or (
            ticket.expires_at is not None and ticket.expires_at <= now
        ):
            raise NotAdmittedError()
        charge, url = charge_create(user=user, amount=ticket.allocated)
        TicketCharge.objects.create(ticket=ticket, charge=charge)
        ticket.charge = charge
        ticket.save(update_fields=["charge"])
    return charge, url


def sale_charge_terms(charge: Charge) -> ChargeTerms | None:
    """The terms of a wallet charge made for a ticket (vouchers asks, in the callback's
    transaction that holds the charge row); None for any other charge. Locks the ticket."""
    link = TicketCharge.objects.filter(charge_id=charge.pk).values_list("ticket_id", flat=True)
    ticket_id = link.first()
    if ticket_id is None:
        return None
    ticket = Ticket.objects.select_for_update().select_related("sale").get(pk=ticket_id)
    if ticket.state != Ticket.State.ADMITTED or ticket.charge_id != charge.pk:
        return ChargeTerms(
            refusal=_("Your reservation in the sale had lapsed; the card payment is given back.")
        )
    if charge.amount != ticket.allocated:
        return ChargeTerms(refusal=_("The amount does not match your reservation."))
    return ChargeTerms(
        incentive_bp=ticket.sale.incentive_bp,
        credited=lambda _charge: _ticket_sold(ticket),
        failed=lambda _charge: _ticket_unpaid(ticket),
    )


def _ticket_sold(ticket: Ticket) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sales_salechunk SET reserved = reserved - %s, sold = sold + %s WHERE id = %s",
            [ticket.allocated, ticket.allocated, ticket.chunk_id],
        )
    ticket.state = Ticket.State.PAID
    ticket.save(update_fields=["state"])


def _ticket_unpaid(ticket: Ticket) -> None:
    """The card was declined or the wallet's limit refused it: the reservation stays until it
    expires, so the citizen may try again."""
    ticket.charge = None
    ticket.save(update_fields=["charge"])


def ticket_for_user(*, sale_id: int, ticket_number: int, user: User | None) -> Ticket:
    ticket = Ticket.objects.filter(sale_id=sale_id, number=ticket_number).first()
    if ticket is None or (user is not None and ticket.user_id != user.pk):
        raise TicketNotFoundError()
    return ticket


__all__ = [
    "TickReport",
    "sale_charge_terms",
    "sale_create",
    "sale_draw",
    "sale_pause",
    "sale_resume",
    "sale_tick",
    "sale_tick_maybe",
    "ticket_admit",
    "ticket_issue",
    "ticket_pay",
    "tickets_expire",
]
