"""The assisted desks: a community centre (행정복지센터) or a partner bank branch serves a
citizen in person.

- ``desk_account_create``: an account by mobile number, without email (``accounts``'
  ``user_create_assisted``, which records the consents as given at the desk);
- ``desk_charge``: cash or a bank transfer received at the desk, credited to the wallet (and so
  to the citizen's card) with the wallet's monthly limit, holding limit and charging incentive.
  Cash moves the desk's own cash account (a clearing account ``desk:<id>``: minus the cash the
  desk holds for the city); a transfer has already reached the city's account, so it comes
  from the float (the citizen's shard);
- ``desk_close``: at the end of the day the staff count the drawer; the ledger says what it
  should hold (minus the desk account's balance); the cash is handed over to the float in one
  entry, and the count and the difference are kept. A desk balances when the difference is 0.

Every action records the staff member (``AssistedAction``, and the entry's actor).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_create_assisted
from ledger.models import Account, Entry
from ledger.money import parse_amount
from ledger.selectors import citizen_balances
from ledger.services import (
    Idem,
    IdempotentResult,
    Leg,
    account_get_or_create,
    accounts_lock,
    business_date_today,
    entry_post,
    idempotent,
)
from vouchers.rules import rules_on
from vouchers.services import (
    charge_incentive_legs,
    charge_limits_check,
    holding_limit_check,
    month_of,
    shard_of,
    wallet_get_or_create,
)
from vouchers.services.locks import wallet_lock

from ..exceptions import DeskError
from ..models import AssistedAction, Card, Desk, DeskCharge, DeskClose
from .common import action_record, desk_check


def desk_account_create(
    *, desk: Desk, staff: User, phone: str, name: str, marketing=(), ip_address=None
) -> User:
    """A citizen's account made at the desk, by mobile number (no email; the citizen signs in
    with a code sent to the phone). Community-centre staff only."""
    desk_check(desk=desk, staff=staff, kinds=(Desk.Kind.COMMUNITY_CENTRE,))
    with transaction.atomic():
        user = user_create_assisted(
            created_by=staff, phone=phone, name=name, marketing=marketing, ip_address=ip_address
        )
        action_record(
            kind=AssistedAction.Kind.ACCOUNT_CREATED, staff=staff, desk=desk, citizen=user
        )
    return user


def desk_cash_account(desk: Desk) -> Account:
    return account_get_or_create(kind=Account.Kind.PROVIDER_CLEARING, provider=desk.cash_provider)


def desk_charge(
    *,
    desk: Desk,
    staff: User,
    user: User,
    amount,
    method: str,
    idem: Idem,
    card: Card | None = None,
) -> IdempotentResult:
    """Credit ``amount`` won received at the desk (``method`` cash or transfer) to the citizen's
    wallet. Body: ``{"charge_id", "amount", "incentive", "receipt", "wallet_balance"}``.

    In steps of 1,000 won, at least 1,000. Raises ``DeskForbiddenError``, ``DeskError`` and the
    wallet's ``ChargeLimitError`` (month's limit, holding limit). Idempotent on ``idem``. Locks
    the citizen's usage row, then the wallet, the budget shard and the source account."""
    desk_check(desk=desk, staff=staff)
    if not user.has_role(Role.CITIZEN) or not user.is_active:
        raise DeskError(_("Only a citizen's wallet can be charged."))
    amount = parse_amount(amount, minimum=1_000, maximum=10_000_000)
    if amount % 1_000:
        raise DeskError(_("Charge in steps of 1,000 won."))
    if method not in DeskCharge.Method.values:
        raise DeskError(_("Choose cash or bank transfer."))
    if card is not None and card.user_id != user.pk:
        raise DeskError(_("This card belongs to someone else."))
    wallet = wallet_get_or_create(user=user)
    if method == DeskCharge.Method.CASH:
        source_id = desk_cash_account(desk).pk
    else:
        source_id = account_get_or_create(kind=Account.Kind.FLOAT, shard=shard_of(user.pk)).pk

    def operation() -> tuple[int, dict]:
        today = business_date_today()
        rules = rules_on(today)
        held = wallet_lock(
            user_id=user.pk, month=month_of(today), rules=rules, shard=True, accounts=[source_id]
        )
        usage = held.usage
        assert usage is not None  # a month was named
        charge_limits_check(user_id=user.pk, amount=amount, usage=usage, rules=rules)
        holding_limit_check(balance=held.principal + held.incentive, amount=amount, rules=rules)
        key = f"desk:charge:{idem.scope}:{idem.key}"
        entry = entry_post(
            kind=Entry.Kind.CHARGE,
            legs=[Leg(source_id, -amount), Leg(held.principal_id, amount)],
            idempotency_key=key,
            actor=staff.pk,
            memo=f"{method} at {desk.name}"[:150],
            business_date=today,
        )
        legs = charge_incentive_legs(
            amount=amount, citizen_group=wallet.citizen_group, rules=rules, held=held
        )
        granted = -sum(leg.amount for leg in legs)
        incentive_entry = None
        if granted:
            incentive_entry = entry_post(
                kind=Entry.Kind.INCENTIVE,
                legs=[*legs, Leg(held.incentive_id, granted)],
                idempotency_key=f"{key}:incentive",
                actor=staff.pk,
                memo=f"charging incentive at {desk.name}"[:150],
                business_date=today,
            )
        usage.charged += amount
        usage.incentive += granted
        usage.save(update_fields=["charged", "incentive"])
        charge = DeskCharge.objects.create(
            desk=desk,
            staff=staff,
            user=user,
            card=card,
            method=method,
            amount=amount,
            incentive=granted,
            entry=entry,
            incentive_entry=incentive_entry,
            business_date=today,
        )
        action_record(
            kind=AssistedAction.Kind.CHARGE,
            staff=staff,
            desk=desk,
            citizen=user,
            amount=amount,
            charge=charge.pk,
            method=method,
        )
        balances = citizen_balances(user_id=user.pk)
        return 201, {
            "charge_id": charge.pk,
            "amount": amount,
            "incentive": granted,
            "receipt": charge.receipt_number,
            "wallet_balance": balances.principal + balances.incentive,
        }

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


def desk_close(*, desk: Desk, staff: User, counted) -> DeskClose:
    """Close the desk's day: the cash the ledger says the desk took (since its last close) is
    handed over to the float, and ``counted`` (what the staff counted in the drawer) is kept
    beside it. Once per desk and business date (a unique row); a later close the same day is
    refused. Locks the desk's cash account, then the float shard."""
    desk_check(desk=desk, staff=staff)
    counted = parse_amount(counted, minimum=0)
    cash = desk_cash_account(desk)
    float_id = account_get_or_create(kind=Account.Kind.FLOAT, shard=0).pk
    today = business_date_today()
    with transaction.atomic():
        if DeskClose.objects.filter(desk=desk, business_date=today).exists():
            raise DeskError(_("This desk is closed for today already."))
        balances = accounts_lock([cash.pk, float_id])
        expected = -balances[cash.pk]
        entry = None
        if expected:
            entry = entry_post(
                kind=Entry.Kind.PROVIDER_PAYOUT,
                legs=[Leg(cash.pk, expected), Leg(float_id, -expected)],
                idempotency_key=f"desk:close:{desk.pk}:{today.isoformat()}",
                actor=staff.pk,
                memo=f"cash of {desk.name} on {today.isoformat()}"[:150],
                business_date=today,
            )
        close = DeskClose.objects.create(
            desk=desk,
            business_date=today,
            expected=expected,
            counted=counted,
            closed_by=staff,
            entry=entry,
        )
        action_record(
            kind=AssistedAction.Kind.DESK_CLOSED,
            staff=staff,
            desk=desk,
            amount=expected,
            counted=counted,
            difference=close.difference,
        )
    return close
