"""Paper notes: batches with serials and check codes, sale at a bank desk, redemption at a shop.

The check code
--------------
A note carries its serial and a 12-digit check code: the first 64 bits of
HMAC-SHA256(city key, serial), in decimal. The city key is itself an HMAC of the city's schema
under the installation's secret (``PAPER_NOTE_SECRET``, else ``SECRET_KEY``), so no two cities
share codes and the database holds no code at all: a copy of the database does not let anyone
print notes. A code is checked in constant time, and a device or clerk that keeps sending wrong
codes is stopped (``NOTE_FAILURES``), so guessing 10^12 codes is out of reach.

Money
-----
- Sale (``notes_sell``): the citizen pays the face value less the wallet's charging incentive
  (the discount, from the budget, within the month's incentive cap) in cash at the desk. The
  face value counts toward the month's purchase limit like a charge. One entry: the desk's cash
  account −price, the budget −discount, the notes-in-circulation account (one shard per
  ``note id mod 16``) +face value.
- Redemption (``note_redeem``): the notes account −face value, the shop's payable +face value,
  so the nightly settlement pays the shop for it with its other sales. Once per note: the note
  row is locked and ``NoteRedemption.note`` is unique, so a race at two shops has one winner.
- A cancelled batch's unsold notes can no longer be sold or redeemed; a sold note stays valid
  (its buyer paid for it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts.exceptions import TooManyAttemptsError
from accounts.models import User
from accounts.roles import Role
from jeonju_prepay import ratelimit
from jeonju_prepay.db import schema_name
from ledger.models import Account, Entry
from ledger.services import (
    Idem,
    IdempotentResult,
    Leg,
    account_get_or_create,
    business_date_today,
    entry_post,
    idempotent,
)
from merchants.exceptions import ShopNotApprovedError
from merchants.models import Device, Shop
from vouchers.rules import rules_on
from vouchers.services import (
    charge_incentive_legs,
    charge_limits_check,
    month_of,
    shard_count,
    wallet_get_or_create,
)
from vouchers.services.locks import wallet_lock

from ..exceptions import (
    NoteAlreadyRedeemedError,
    NoteError,
    NoteForgedError,
    NoteNotSellableError,
    NoteStockError,
)
from ..models import (
    NOTE_FACE_VALUES,
    PAPER_NOTES_PROVIDER,
    AssistedAction,
    Desk,
    Note,
    NoteBatch,
    NoteRedemption,
    NoteSale,
)
from .common import action_record, desk_check

NOTE_FAILURES = ratelimit.Limit("note-failures", 10, 15 * 60)
MAX_NOTES_PER_SALE = 200


def _city_key() -> bytes:
    secret = getattr(settings, "PAPER_NOTE_SECRET", "") or settings.SECRET_KEY
    return hmac.new(
        secret.encode(), f"jeonju-prepay:paper-note:{schema_name()}".encode(), hashlib.sha256
    ).digest()


def note_check_code(serial: str) -> str:
    """The 12-digit check code printed beside ``serial`` (this city's key)."""
    digest = hmac.new(_city_key(), serial.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


def note_serial(*, face_value: int, batch_id: int, n: int) -> str:
    """``<face in thousands, 2 digits><batch, 5 digits><n, 6 digits>``: 13 digits, e.g.
    ``05 00012 000001``, so the value is readable in the serial itself."""
    return f"{face_value // 1000 % 100:02d}{batch_id:05d}{n:06d}"


def notes_shard(note_id: int) -> int:
    return note_id % shard_count()


def _notes_account_id(shard: int) -> int:
    return account_get_or_create(
        kind=Account.Kind.PROVIDER_CLEARING, provider=PAPER_NOTES_PROVIDER, shard=shard
    ).pk


@transaction.atomic
def batch_create(*, by: User, face_value: int, count: int, expires_on: date) -> NoteBatch:
    """Print a batch: ``count`` notes of ``face_value`` won, in stock until sold. City staff
    only. Raises ``NoteError`` for a face value other than 5,000, 10,000 or 50,000 won, a count
    outside 1–10,000 or a validity that has passed."""
    if not by.has_role(Role.CITY_STAFF):
        raise NoteError(_("Only city staff print paper notes."), code="forbidden")
    if face_value not in NOTE_FACE_VALUES:
        raise NoteError(_("Notes are of 5,000, 10,000 or 50,000 won."))
    if not 1 <= count <= 10_000:
        raise NoteError(_("A batch holds 1 to 10,000 notes."))
    if expires_on <= business_date_today():
        raise NoteError(_("The notes must be valid after today."))
    batch = NoteBatch.objects.create(
        face_value=face_value, count=count, expires_on=expires_on, created_by=by
    )
    Note.objects.bulk_create(
        Note(
            batch=batch,
            face_value=face_value,
            serial=note_serial(face_value=face_value, batch_id=batch.pk, n=n),
        )
        for n in range(1, count + 1)
    )
    return batch


@transaction.atomic
def batch_cancel(*, batch: NoteBatch, by: User, reason: str) -> int:
    """Cancel a lost or stolen batch: its notes still in stock can no longer be sold or
    redeemed. Returns how many were cancelled. Sold notes stay valid (their buyers paid).
    Locks the batch row, then its notes in stock."""
    if not by.has_role(Role.CITY_STAFF):
        raise NoteError(_("Only city staff cancel batches."), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise NoteError(_("Say why the batch is cancelled."))
    locked = NoteBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status == NoteBatch.Status.CANCELLED:
        raise NoteError(_("This batch is cancelled already."))
    locked.status = NoteBatch.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = by
    locked.cancel_reason = reason[:200]
    locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    ids = list(
        Note.objects.select_for_update()
        .filter(batch=locked, status=Note.Status.STOCK)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return Note.objects.filter(pk__in=ids).update(status=Note.Status.CANCELLED)


def notes_sell(
    *, desk: Desk, teller: User, buyer: User, counts: Mapping[int, int], idem: Idem
) -> IdempotentResult:
    """Sell notes to ``buyer`` (identified at the desk) for cash: ``counts`` maps face value to
    how many. The body names the sale, the price, the discount and each note's serial.

    Raises ``DeskForbiddenError`` (not a teller of this bank desk), ``NoteStockError`` (not
    enough notes in stock), ``ChargeLimitError`` (past the month's purchase limit) and
    ``NoteError``. Idempotent on ``idem``. Locks the notes taken (``SKIP LOCKED``: two tellers
    never wait for each other's notes), the buyer's usage row, then the accounts in id order."""
    desk_check(desk=desk, staff=teller, kinds=(Desk.Kind.BANK_BRANCH,))
    if not buyer.has_role(Role.CITIZEN) or not buyer.is_active:
        raise NoteError(_("Notes are sold to identified citizens only."))
    counts = {int(face): int(n) for face, n in counts.items() if int(n)}
    if not counts or any(face not in NOTE_FACE_VALUES or n < 0 for face, n in counts.items()):
        raise NoteError(_("Choose how many notes of each value."))
    if sum(counts.values()) > MAX_NOTES_PER_SALE:
        raise NoteError(_("At most 200 notes in one sale."))
    wallet = wallet_get_or_create(user=buyer)
    desk_cash_id = account_get_or_create(
        kind=Account.Kind.PROVIDER_CLEARING, provider=desk.cash_provider
    ).pk

    def operation() -> tuple[int, dict]:
        today = business_date_today()
        rules = rules_on(today)
        notes: list[Note] = []
        for face, n in sorted(counts.items()):
            taken = list(
                Note.objects.select_for_update(skip_locked=True)
                .filter(
                    face_value=face,
                    status=Note.Status.STOCK,
                    batch__status=NoteBatch.Status.ACTIVE,
                    batch__expires_on__gt=today,
                )
                .order_by("id")[:n]
            )
            if len(taken) < n:
                raise NoteStockError(
                    _("Only %(n)s notes of %(face)s won are in stock.")
                    % {"n": len(taken), "face": f"{face:,}"}
                )
            notes.extend(taken)
        face_total = sum(note.face_value for note in notes)
        by_shard: dict[int, int] = {}
        for note in notes:
            shard_id = _notes_account_id(notes_shard(note.pk))
            by_shard[shard_id] = by_shard.get(shard_id, 0) + note.face_value
        held = wallet_lock(
            user_id=buyer.pk,
            month=month_of(today),
            rules=rules,
            shard=True,
            accounts=[desk_cash_id, *by_shard],
        )
        usage = held.usage
        assert usage is not None  # a month was named
        charge_limits_check(user_id=buyer.pk, amount=face_total, usage=usage, rules=rules)
        budget_legs = charge_incentive_legs(
            amount=face_total, citizen_group=wallet.citizen_group, rules=rules, held=held
        )
        discount = -sum(leg.amount for leg in budget_legs)
        price = face_total - discount
        entry = entry_post(
            kind=Entry.Kind.CHARGE,
            legs=[
                Leg(desk_cash_id, -price),
                *budget_legs,
                *(Leg(account_id, amount) for account_id, amount in sorted(by_shard.items())),
            ],
            idempotency_key=f"notes:sale:{idem.scope}:{idem.key}",
            actor=teller.pk,
            memo=f"paper notes {face_total:,} to {buyer.pk} at {desk.name}"[:150],
            business_date=today,
        )
        usage.charged += face_total
        usage.incentive += discount
        usage.save(update_fields=["charged", "incentive"])
        sale = NoteSale.objects.create(
            desk=desk,
            teller=teller,
            buyer=buyer,
            face_total=face_total,
            discount=discount,
            price=price,
            entry=entry,
            business_date=today,
        )
        Note.objects.filter(pk__in=[note.pk for note in notes]).update(
            status=Note.Status.SOLD, sale=sale
        )
        action_record(
            kind=AssistedAction.Kind.NOTES_SOLD,
            staff=teller,
            desk=desk,
            citizen=buyer,
            amount=price,
            sale=sale.pk,
            face_total=face_total,
        )
        return 201, {
            "sale_id": sale.pk,
            "face_total": face_total,
            "discount": discount,
            "price": price,
            "serials": [note.serial for note in notes],
            "business_date": today.isoformat(),
        }

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


def _serial_normalise(raw) -> str:
    return "".join(ch for ch in str(raw or "") if ch.isdigit())[:20]


def note_verify(*, serial, check, subject: str) -> Note:
    """The note with ``serial`` whose check code is ``check``, or ``NoteForgedError`` (also for
    a serial that was never printed). Wrong codes count against ``subject`` (a device or a
    clerk); past ``NOTE_FAILURES`` it raises ``TooManyAttemptsError`` without checking."""
    if ratelimit.is_limited(NOTE_FAILURES, subject):
        raise TooManyAttemptsError()
    serial = _serial_normalise(serial)
    check = _serial_normalise(check)
    note = Note.objects.filter(serial=serial).first() if serial else None
    if note is None or not constant_time_compare(note_check_code(serial), check):
        ratelimit.hit(NOTE_FAILURES, subject)
        raise NoteForgedError()
    return note


def note_redeem(
    *,
    shop: Shop,
    serial,
    check,
    idem: Idem,
    device: Device | None = None,
    actor: User | None = None,
) -> IdempotentResult:
    """A shop accepts a paper note: its face value is owed to the shop (settled nightly).

    Answers ``201 {"note_id", "face_value", "serial", "business_date"}``; a retry with the same
    key gets the first answer. Raises ``NoteForgedError`` (422), ``NoteAlreadyRedeemedError``
    (409, naming the shop and the time of the first redemption), ``NoteNotSellableError`` (a
    note never sold, cancelled or expired), ``ShopNotApprovedError``. Nothing moves on a
    refusal. Locks the note row, then the notes shard and the shop's payable (id order)."""
    subject = f"device:{device.pk}" if device is not None else f"user:{getattr(actor, 'pk', '')}"
    note = note_verify(serial=serial, check=check, subject=subject)
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotApprovedError()
    notes_id = _notes_account_id(notes_shard(note.pk))
    payable_id = account_get_or_create(kind=Account.Kind.SHOP_PAYABLE, shop=shop).pk

    def operation() -> tuple[int, dict]:
        today = business_date_today()
        locked = Note.objects.select_for_update().select_related("batch").get(pk=note.pk)
        if locked.status == Note.Status.REDEEMED:
            first = NoteRedemption.objects.select_related("shop").get(note=locked)
            when = timezone.localtime(first.created_at)
            raise NoteAlreadyRedeemedError(
                _("This note was already used at %(shop)s on %(when)s.")
                % {"shop": first.shop.name, "when": when.strftime("%Y-%m-%d %H:%M")},
                shop=first.shop.name,
                redeemed_at=when.isoformat(),
            )
        if locked.status == Note.Status.STOCK:
            raise NoteNotSellableError(_("This note was never sold: do not accept it."))
        if locked.status == Note.Status.CANCELLED:
            raise NoteNotSellableError(_("This note's batch was cancelled: do not accept it."))
        if locked.batch.expires_on <= today:
            raise NoteNotSellableError(
                _("This note expired on %(day)s.") % {"day": locked.batch.expires_on.isoformat()}
            )
        entry = entry_post(
            kind=Entry.Kind.REDEMPTION,
            legs=[Leg(notes_id, -locked.face_value), Leg(payable_id, locked.face_value)],
            idempotency_key=f"notes:redeem:{locked.pk}",
            actor=getattr(actor, "pk", None),
            device=device,
            memo=f"paper note {locked.serial}",
            business_date=today,
        )
        NoteRedemption.objects.create(
            note=locked,
            shop=shop,
            device=device,
            actor=actor,
            entry=entry,
            business_date=today,
            created_at=timezone.now(),  # the clock the business date was read from
        )
        locked.status = Note.Status.REDEEMED
        locked.save(update_fields=["status"])
        return 201, {
            "note_id": locked.pk,
            "face_value": locked.face_value,
            "serial": locked.serial,
            "business_date": today.isoformat(),
        }

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )
