"""Card certificates: issue, PIN, block, replace, and payment at the counter.

The card holds no money: it names the citizen's wallet. A payment by card is a wallet payment
(``vouchers.services.wallet_pay``, the same SQL function, limits, cashback and history as the
phone), recorded against the card in ``CardPayment`` in the same transaction. A replacement
card points at the same wallet, so the balance stays where it was.

The PIN is the card's own (hashed like a password). Five wrong PINs lock the card's payments for
30 minutes; failures are counted in a transaction of their own, so the payment that needed the
PIN changes nothing else. A counter device that keeps sending unknown numbers or wrong PINs is
slowed down as well (``CARD_FAILURES_PER_DEVICE``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exceptions import TooManyAttemptsError
from accounts.models import User
from accounts.roles import Role
from jeonju_prepay import ratelimit
from jeonju_prepay.exceptions import ApplicationError
from ledger.money import parse_amount
from ledger.services import Idem, IdempotentResult, idempotency_replay, with_retries
from merchants.models import Device, Shop
from vouchers.models import Payment
from vouchers.services import wallet_get_or_create, wallet_pay

from ..exceptions import (
    CardBlockedError,
    CardError,
    CardNotFoundError,
    CardPinInvalidError,
    CardPinLockedError,
)
from ..models import AssistedAction, Card, CardPayment, Desk
from .common import action_record, staff_check

CARD_PREFIX = "9410"  # the city's card range; the rest is random, the last digit Luhn's
PIN_MAX_FAILURES = 5
PIN_LOCK = timedelta(minutes=30)
CARD_FAILURES_PER_DEVICE = ratelimit.Limit("card-failures-device", 20, 15 * 60)


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of ``digits`` (``luhn_digit("7992739871") == "3"``)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card_number_normalise(raw) -> str:
    """The 16 digits of a typed or scanned card number, or ``CardNotFoundError`` (a mistyped
    number fails the Luhn check before any look-up)."""
    digits = "".join(ch for ch in str(raw or "") if not ch.isspace() and ch != "-")
    if len(digits) != 16 or not digits.isascii() or not digits.isdigit():
        raise CardNotFoundError()
    if luhn_digit(digits[:15]) != digits[15]:
        raise CardNotFoundError(_("This card number is mistyped: check the 16 digits."))
    return digits


def _pin_shape(pin) -> str:
    pin = "" if pin is None else str(pin)
    if len(pin) != 6 or not pin.isascii() or not pin.isdigit():
        raise CardPinInvalidError(_("A card PIN is exactly 6 digits."))
    return pin


def _new_number() -> str:
    body = CARD_PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(11))
    return body + luhn_digit(body)


def card_issue(
    *, user: User, by: User, pin: str, desk: Desk | None = None, replaces: Card | None = None
) -> Card:
    """Issue a card linked to ``user``'s wallet, with ``pin`` (6 digits, chosen by the citizen
    on the keypad). Refused (``CardError``) when the citizen already has an active card (block
    it first, or replace it), or is not a citizen; ``DeskForbiddenError`` for anyone but staff.
    The database keeps one active card per citizen even against a race."""
    staff_check(by)
    if not user.has_role(Role.CITIZEN) or not user.is_active:
        raise CardError(_("Cards are issued to citizens only."))
    pin = _pin_shape(pin)
    wallet_get_or_create(user=user)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                card = Card.objects.create(
                    number=_new_number(),
                    user=user,
                    pin_hash=make_password(pin),
                    issued_by=by,
                    desk=desk,
                    replaces=replaces,
                )
                action_record(
                    kind=AssistedAction.Kind.CARD_REPLACED
                    if replaces
                    else AssistedAction.Kind.CARD_ISSUED,
                    staff=by,
                    desk=desk,
                    citizen=user,
                    card=card.masked,
                )
                return card
        except IntegrityError as exc:
            if Card.objects.filter(user=user, status=Card.Status.ACTIVE).exists():
                raise CardError(
                    _("This citizen has an active card already: block it and issue a replacement.")
                ) from exc
            # else: the random number was taken; draw another
    raise CardError(_("No card number could be drawn; try again."))


def card_block(*, card: Card, by: User, reason: str = "", desk: Desk | None = None) -> Card:
    """Block a card at once: by its holder (web or phone) or by staff. Payments with it are
    refused from the moment this commits; the wallet and its balance are untouched. Blocking a
    blocked card changes nothing. Locks the card row."""
    if by.pk != card.user_id:
        staff_check(by)
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if locked.status == Card.Status.BLOCKED:
            return locked
        locked.status = Card.Status.BLOCKED
        locked.blocked_at = timezone.now()
        locked.blocked_by = by
        locked.block_reason = (reason or "")[:200]
        locked.save(update_fields=["status", "blocked_at", "blocked_by", "block_reason"])
        if by.pk != card.user_id:
            action_record(
                kind=AssistedAction.Kind.CARD_BLOCKED,
                staff=by,
                desk=desk,
                citizen=locked.user,
                card=locked.masked,
            )
    return locked


def card_replace(*, card: Card, by: User, pin: str, desk: Desk | None = None) -> Card:
    """Block ``card`` (if it is not already) and issue a new one on the same wallet: the balance
    stays. Refused when the card has been replaced already."""
    staff_check(by)
    pin = _pin_shape(pin)
    if Card.objects.filter(replaces=card).exists():
        raise CardError(_("This card has been replaced already."))
    with transaction.atomic():
        card_block(card=card, by=by, reason="replaced", desk=desk)
        return card_issue(user=card.user, by=by, pin=pin, desk=desk, replaces=card)


def card_pin_verify(*, card: Card, pin) -> None:
    """Check the card's PIN in a transaction of its own, so a failure is counted even though
    the payment that needed it changes nothing. Locks the card row.

    Raises ``CardBlockedError``, ``CardPinInvalidError`` (with the tries left) or
    ``CardPinLockedError`` (429)."""
    if pin in (None, ""):
        raise CardPinInvalidError(_("The citizen must enter the card's 6-digit PIN."))
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if locked.status != Card.Status.ACTIVE:
            raise CardBlockedError()
        now = timezone.now()
        if locked.pin_locked_until and locked.pin_locked_until > now:
            raise CardPinLockedError(
                _("Too many wrong PINs. This card is locked until %(time)s.")
                % {"time": timezone.localtime(locked.pin_locked_until).strftime("%H:%M")}
            )
        if check_password(str(pin), locked.pin_hash):
            if locked.pin_failures:
                locked.pin_failures = 0
                locked.pin_locked_until = None
                locked.save(update_fields=["pin_failures", "pin_locked_until"])
            return
        locked.pin_failures += 1
        error: ApplicationError
        if locked.pin_failures >= PIN_MAX_FAILURES:
            locked.pin_locked_until = now + PIN_LOCK
            locked.pin_failures = 0
            error = CardPinLockedError(_("Five wrong PINs: this card is locked for 30 minutes."))
        else:
            error = CardPinInvalidError(
                _("Wrong PIN. %(left)s tries left before the card is locked.")
                % {"left": PIN_MAX_FAILURES - locked.pin_failures}
            )
        locked.save(update_fields=["pin_failures", "pin_locked_until"])
    raise error


def card_pay(
    *,
    shop: Shop,
    number,
    pin,
    amount,
    idem: Idem,
    device: Device | None = None,
    actor: User | None = None,
) -> IdempotentResult:
    """A wallet payment at the counter with a card and its PIN (entered by the citizen on the
    counter's keypad). The answer is the wallet payment's (the same as for a code); a retry gets
    the first answer.

    Raises ``CardNotFoundError`` (404), ``CardBlockedError`` (403), ``CardPinInvalidError``,
    ``CardPinLockedError`` (429), ``TooManyAttemptsError`` (429, a device or clerk past its
    failures) and the wallet's refusals (``InsufficientBalanceError``, ``ShopNotApprovedError``).
    Nothing moves on a refusal. Locks the card row (PIN), then what ``wallet_pay`` locks."""
    amount = parse_amount(amount)
    replay = idempotency_replay(idem)
    if replay is not None:
        return replay
    subject = f"device:{device.pk}" if device is not None else f"user:{getattr(actor, 'pk', '')}"
    if ratelimit.is_limited(CARD_FAILURES_PER_DEVICE, subject):
        raise TooManyAttemptsError()
    try:
        card = (
            Card.objects.select_related("user").filter(number=card_number_normalise(number)).first()
        )
        if card is None:
            raise CardNotFoundError()
        if card.status != Card.Status.ACTIVE:
            raise CardBlockedError()
        card_pin_verify(card=card, pin=pin)
    except (CardNotFoundError, CardPinInvalidError):
        ratelimit.hit(CARD_FAILURES_PER_DEVICE, subject)
        raise

    def attempt() -> IdempotentResult:
        with transaction.atomic():
            # The card may have been blocked between the PIN and now: read it under its lock.
            if (
                not Card.objects.select_for_update()
                .filter(pk=card.pk, status=Card.Status.ACTIVE)
                .exists()
            ):
                raise CardBlockedError()
            result = wallet_pay(
                user=card.user,
                shop=shop,
                amount=amount,
                method=Payment.Method.CUSTOMER_CODE,
                idem=idem,
                device=device,
                actor=actor,
            )
            if not result.replayed:
                CardPayment.objects.create(card=card, payment_id=result.body["payment_id"])
            return result

    return with_retries(attempt)
