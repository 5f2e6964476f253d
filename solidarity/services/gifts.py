"""Gifts from one wallet to another.

The rules
---------
- A gift moves principal and incentive in the proportion the sender's wallet holds them
  (``ledger.money.split``: the won that rounding leaves goes to principal, as in a payment), and
  each keeps its rules at the recipient (incentive is never refunded as cash).
- The PIN is checked first, in a transaction of its own (a wrong PIN is counted, nothing moves).
- Per sender, the gifts sent and not undone (held or claimed) stay within the policy's
  ``gift_daily_cap`` (the business date, Asia/Seoul) and ``gift_monthly_cap`` (the month).
- To a citizen signed up in the city: credited at once (``claimed``). To an email address or a
  phone number nobody has: ``held`` in the sender's gift-held accounts; claimed when that person
  signs up and opens their gifts (or by the nightly run), cancelled by the sender while held,
  or returned by the nightly run 30 days after it was sent.

Locks, in the wallet's one order (``vouchers/services/locks.py``): the gift rows (ascending id),
the sender's ``MonthlyUsage`` row of the month (which serialises one sender's gifts, so two gifts
racing cannot both pass a cap), then every ledger account of the entry in ascending id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phone import PhoneNumberError, phone_normalise
from jeonju_prepay.exceptions import ApplicationError
from ledger.models import Account, Entry
from ledger.money import parse_amount, split
from ledger.services import (
    Idem,
    IdempotentResult,
    Leg,
    account_ids_get_or_create,
    accounts_lock,
    business_date_today,
    entry_post,
    entry_reverse,
    idempotency_replay,
    idempotent,
    with_retries,
)
from messaging.services import message_request
from vouchers.rules import Rules, rules_on
from vouchers.services import holding_limit_check, month_of, pin_verify
from vouchers.services.locks import wallet_lock

from ..exceptions import (
    GiftBalanceError,
    GiftCapError,
    GiftNotCancellableError,
    GiftNotFoundError,
    GiftRecipientError,
)
from ..models import Gift

GIFT_WAIT = timedelta(days=30)
GIFT_MAX = 10_000_000  # one gift, whatever the caps say
COUNTED = (Gift.Status.HELD, Gift.Status.CLAIMED)


@dataclass(frozen=True)
class Recipient:
    user: User | None
    email: str
    phone: str


def recipient_resolve(*, to: str) -> Recipient:
    """The recipient named by ``to``: an email address or a Korean mobile number, and the
    city's user with it, if there is one. Raises ``GiftRecipientError``."""
    text = (to or "").strip()
    if not text or len(text) > 254:
        raise GiftRecipientError()
    if "@" in text:
        email = text.lower()
        local, _at, domain = email.partition("@")
        if not local or "." not in domain or " " in email:
            raise GiftRecipientError()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        return Recipient(user, email, "")
    try:
        phone = phone_normalise(text)
    except PhoneNumberError as exc:
        raise GiftRecipientError() from exc
    user = User.objects.filter(phone=phone, is_active=True).first()
    return Recipient(user, "", phone)


def gifts_sent_total(*, sender_id: int, since: date, until: date) -> int:
    """What ``sender_id`` gave (held or claimed) on business dates ``since``..``until``."""
    total = Gift.objects.filter(
        sender_id=sender_id,
        status__in=COUNTED,
        business_date__gte=since,
        business_date__lte=until,
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def _caps_check(*, sender_id: int, amount: int, today: date, rules: Rules) -> None:
    """Refuse a gift that would pass the day's or the month's cap (under the usage lock)."""
    day = gifts_sent_total(sender_id=sender_id, since=today, until=today)
    if day + amount > rules.gift_daily_cap:
        raise GiftCapError(
            _("You may give at most %(cap)s won a day; %(left)s won is left today.")
            % {
                "cap": f"{rules.gift_daily_cap:,}",
                "left": f"{max(0, rules.gift_daily_cap - day):,}",
            }
        )
    month = gifts_sent_total(sender_id=sender_id, since=month_of(today), until=today)
    if month + amount > rules.gift_monthly_cap:
        raise GiftCapError(
            _("You may give at most %(cap)s won a month; %(left)s won is left this month.")
            % {
                "cap": f"{rules.gift_monthly_cap:,}",
                "left": f"{max(0, rules.gift_monthly_cap - month):,}",
            }
        )


def _body(gift: Gift) -> dict:
    return {
        "gift_id": gift.pk,
        "status": gift.status,
        "amount": gift.amount,
        "principal": gift.principal,
        "incentive": gift.incentive,
    }


def gift_send(
    *, sender: User, to: str, amount, pin, idem: Idem, message: str = ""
) -> IdempotentResult:
    """Give ``amount`` won of ``sender``'s wallet to the person ``to`` names, once per ``idem``.

    Returns ``(201, {"gift_id", "status", "amount", "principal", "incentive"})``; a retry with the
    same key replays it. Raises ``InvalidAmountError``, ``GiftRecipientError`` (also for oneself),
    PIN errors, ``GiftCapError``, ``GiftBalanceError``, ``ChargeLimitError`` (the recipient's
    holding limit): nothing moves. Locks: the sender's usage row, then the accounts."""
    amount = parse_amount(amount, maximum=GIFT_MAX)
    message = (message or "").strip()[:100]
    replay = idempotency_replay(idem)
    if replay is not None:
        return replay
    recipient = recipient_resolve(to=to)
    if recipient.user is not None and recipient.user.pk == sender.pk:
        raise GiftRecipientError(_("A gift goes to someone else."))
    pin_verify(user=sender, pin=pin)

    def operation() -> tuple[int, dict]:
        today = business_date_today()
        rules = rules_on(today)
        if recipient.user is not None:
            kinds = (Account.Kind.WALLET_PRINCIPAL, Account.Kind.WALLET_INCENTIVE)
            owner = recipient.user.pk
        else:
            kinds = (Account.Kind.GIFT_HELD_PRINCIPAL, Account.Kind.GIFT_HELD_INCENTIVE)
            owner = sender.pk
        to_principal, to_incentive = account_ids_get_or_create(
            [(kinds[0], owner, None, 0), (kinds[1], owner, None, 0)]
        )
        held = wallet_lock(
            user_id=sender.pk,
            month=month_of(today),
            rules=rules,
            accounts=[to_principal, to_incentive],
        )
        _caps_check(sender_id=sender.pk, amount=amount, today=today, rules=rules)
        if amount > held.principal + held.incentive:
            raise GiftBalanceError(
                _("Your wallet holds %(balance)s won, less than the gift.")
                % {"balance": f"{held.principal + held.incentive:,}"}
            )
        if recipient.user is not None:
            balance = held.balances[to_principal] + held.balances[to_incentive]
            holding_limit_check(balance=balance, amount=amount, rules=rules)
        principal, incentive = split(amount, [held.principal, held.incentive])
        legs = []
        if principal:
            legs += [Leg(held.principal_id, -principal), Leg(to_principal, principal)]
        if incentive:
            legs += [Leg(held.incentive_id, -incentive), Leg(to_incentive, incentive)]
        entry = entry_post(
            kind=Entry.Kind.GIFT,
            legs=legs,
            idempotency_key=f"{idem.scope}:{idem.key}",
            actor=sender,
            memo="gift" if recipient.user is not None else "gift held for its recipient",
            business_date=today,
        )
        now = timezone.now()
        claimed = recipient.user is not None
        gift = Gift.objects.create(
            sender=sender,
            recipient=recipient.user,
            to_email=recipient.email,
            to_phone=recipient.phone,
            amount=amount,
            principal=principal,
            incentive=incentive,
            message=message,
            status=Gift.Status.CLAIMED if claimed else Gift.Status.HELD,
            business_date=today,
            expires_at=now + GIFT_WAIT,
            closed_at=now if claimed else None,
            send_entry=entry,
            claim_entry=entry if claimed else None,
        )
        kind = "solidarity.gift_received" if claimed else "solidarity.gift_waiting"
        transaction.on_commit(lambda: message_request(kind=kind, object_id=gift.pk))
        return 201, _body(gift)

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


def _claim_locked(*, gift: Gift, user: User) -> None:
    """Move a held gift (its row locked by the caller) into ``user``'s wallet."""
    held_p, held_i, wallet_p, wallet_i = account_ids_get_or_create(
        [
            (Account.Kind.GIFT_HELD_PRINCIPAL, gift.sender_id, None, 0),
            (Account.Kind.GIFT_HELD_INCENTIVE, gift.sender_id, None, 0),
            (Account.Kind.WALLET_PRINCIPAL, user.pk, None, 0),
            (Account.Kind.WALLET_INCENTIVE, user.pk, None, 0),
        ]
    )
    balances = accounts_lock([held_p, held_i, wallet_p, wallet_i])
    holding_limit_check(
        balance=balances[wallet_p] + balances[wallet_i],
        amount=gift.amount,
        rules=rules_on(business_date_today()),
    )
    legs = []
    if gift.principal:
        legs += [Leg(held_p, -gift.principal), Leg(wallet_p, gift.principal)]
    if gift.incentive:
        legs += [Leg(held_i, -gift.incentive), Leg(wallet_i, gift.incentive)]
    entry = entry_post(
        kind=Entry.Kind.GIFT,
        legs=legs,
        idempotency_key=f"gift:{gift.pk}:claim",
        actor=user,
        memo=f"gift #{gift.pk} claimed",
    )
    gift.status = Gift.Status.CLAIMED
    gift.recipient = user
    gift.claim_entry = entry
    gift.closed_at = timezone.now()
    gift.save(update_fields=["status", "recipient", "claim_entry", "closed_at"])
    transaction.on_commit(
        lambda: message_request(kind="solidarity.gift_received", object_id=gift.pk)
    )


def _waiting_for(user: User) -> Q:
    contact = Q(pk__in=[])
    if user.email:
        contact |= Q(to_email=user.email.lower())
    if user.phone:
        contact |= Q(to_phone=user.phone)
    return contact


def gifts_claim(*, user: User) -> list[Gift]:
    """Credit to ``user``'s wallet every held gift sent to their email address or phone number
    (they signed up since). Each gift in its own transaction; a gift the holding limit cannot
    take stays held. Locks each gift row, then the accounts. Returns the gifts claimed now."""
    claimed: list[Gift] = []
    ids = list(
        Gift.objects.filter(_waiting_for(user), status=Gift.Status.HELD)
        .exclude(sender=user)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for gift_id in ids:

        def attempt(gift_id: int = gift_id) -> Gift | None:
            with transaction.atomic():
                gift = Gift.objects.select_for_update().get(pk=gift_id)
                if gift.status != Gift.Status.HELD:
                    return None
                _claim_locked(gift=gift, user=user)
                return gift

        try:
            gift = with_retries(attempt)
        except ApplicationError:
            continue  # over the recipient's holding limit: it waits (or returns)
        if gift is not None:
            claimed.append(gift)
    return claimed


def _undo_locked(*, gift: Gift, status: str, by: User | None) -> None:
    entry = entry_reverse(
        entry=gift.send_entry,
        idempotency_key=f"gift:{gift.pk}:undo",
        actor=by,
        memo=f"gift #{gift.pk} {status}",
    )
    gift.status = status
    gift.undo_entry = entry
    gift.closed_at = timezone.now()
    gift.save(update_fields=["status", "undo_entry", "closed_at"])


def gift_cancel(*, gift_id: int, by: User) -> Gift:
    """The sender takes back a gift still waiting for its recipient: principal and incentive
    return to the wallet as they left it. Refused (``GiftNotCancellableError``, nothing moves)
    once claimed, cancelled or returned; ``GiftNotFoundError`` for another citizen's gift.
    Locks the gift row, then the accounts (in ``entry_reverse``)."""

    def attempt() -> Gift:
        with transaction.atomic():
            gift = Gift.objects.select_for_update().filter(pk=gift_id, sender=by).first()
            if gift is None:
                raise GiftNotFoundError()
            if gift.status != Gift.Status.HELD:
                raise GiftNotCancellableError()
            _undo_locked(gift=gift, status=Gift.Status.CANCELLED, by=by)
        return gift

    return with_retries(attempt)


def gifts_return_expired(*, now=None) -> tuple[int, int]:
    """Return to their senders the held gifts past their 30 days (the nightly step). Each in
    its own transaction, skipping one that was claimed or cancelled meanwhile. Returns
    ``(gifts, won)`` returned now; a repeat returns nothing."""
    now = now or timezone.now()
    count = won = 0
    ids = list(
        Gift.objects.filter(status=Gift.Status.HELD, expires_at__lte=now)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for gift_id in ids:

        def attempt(gift_id: int = gift_id) -> Gift | None:
            with transaction.atomic():
                gift = Gift.objects.select_for_update().get(pk=gift_id)
                if gift.status != Gift.Status.HELD:
                    return None
                _undo_locked(gift=gift, status=Gift.Status.RETURNED, by=None)
                transaction.on_commit(
                    lambda: message_request(kind="solidarity.gift_returned", object_id=gift_id)
                )
                return gift

        gift = with_retries(attempt)
        if gift is not None:
            count += 1
            won += gift.amount
    return count, won


def gifts_claim_waiting() -> int:
    """Claim, for every citizen who has signed up since, the gifts waiting for them (nightly:
    a recipient who never opens the gifts page still receives them before they return)."""
    contacts = Gift.objects.filter(status=Gift.Status.HELD)
    emails = set(contacts.exclude(to_email="").values_list("to_email", flat=True))
    phones = set(contacts.exclude(to_phone="").values_list("to_phone", flat=True))
    users = User.objects.filter(
        Q(email__in=list(emails)) | Q(phone__in=list(phones)), is_active=True
    )
    return sum(len(gifts_claim(user=user)) for user in users.order_by("id"))
