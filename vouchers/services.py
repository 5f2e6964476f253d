"""Every change to Love Gift Certificate wallets: charges, payments, cashback, refunds, PINs,
policy and budget. Money moves only through ``ledger.services``.

Locks, always in this order within a transaction: the citizen's ``MonthlyUsage`` row (one per
citizen and month: a limit is checked and raised under it), then ledger accounts through
``ledger.services.accounts_lock`` (ascending id). The incentive budget is split into
``INCENTIVE_BUDGET_SHARDS`` sub-accounts and a citizen draws from the shard of their id, so
grants to different citizens do not queue on one row; only a shard running dry makes a grant
reach into others. The database refuses any shard below zero, so the budget is never overspent.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exceptions import TooManyAttemptsError
from accounts.models import User
from jeonju_prepay import ratelimit
from ledger.exceptions import IdempotencyConflictError, InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.money import apply_rate, parse_amount, split
from ledger.services import (
    Idem,
    IdempotentResult,
    Leg,
    account_get_or_create,
    account_ids_get_or_create,
    accounts_lock,
    business_date_today,
    entry_post,
    entry_reverse,
    idempotency_replay,
    idempotent,
    translate_db_error,
    with_retries,
)
from merchants.exceptions import (
    PaymentCodeExpiredError,
    PaymentCodeUsedError,
    ShopNotApprovedError,
)
from merchants.models import Device, SalesBracket, Shop
from merchants.services import ResolvedCode, payment_code_resolve

from .exceptions import (
    CallbackRejectedError,
    ChargeError,
    ChargeLimitError,
    ChargeNotCancellableError,
    ChargeNotFoundError,
    PaymentError,
    PaymentNotCancellableError,
    PinInvalidError,
    PinLockedError,
    PinNotSetError,
    PinRequiredError,
    RefundNotAllowedError,
    WalletError,
)
from .models import (
    Charge,
    CitizenGroup,
    IncentiveBudget,
    MonthlyUsage,
    Payment,
    Policy,
    PolicyOverride,
    ProviderEvent,
    Refund,
    Wallet,
)
from .providers import CallbackEvent, get_provider
from .rules import RATE_MAX_BP, Rules, rules_cache_clear, rules_on

logger = logging.getLogger(__name__)

PIN_MAX_FAILURES = 5
PIN_LOCK = timedelta(minutes=30)
# Wrong account passwords on the PIN form, per citizen.
PIN_PASSWORD_FAILURES = ratelimit.Limit("pin-password", 5, 15 * 60)
CHARGE_CANCEL_DAYS = 7
SMALL_CHARGE = 10_000  # charges of at most this much need 80% used before a refund
REFUND_THRESHOLD_BP = 6_000
REFUND_THRESHOLD_SMALL_BP = 8_000


def shard_count() -> int:
    return settings.INCENTIVE_BUDGET_SHARDS


def shard_of(user_id: int) -> int:
    return user_id % shard_count()


def month_of(day: date) -> date:
    return day.replace(day=1)


def _previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


# --- Wallet and PIN -------------------------------------------------------------------------


def wallet_get_or_create(*, user: User) -> Wallet:
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        try:
            with transaction.atomic():
                wallet = Wallet.objects.create(user=user)
        except IntegrityError:
            wallet = Wallet.objects.get(user=user)
    return wallet


def _check_pin_shape(pin) -> str:
    pin = "" if pin is None else str(pin)
    if len(pin) != 6 or not pin.isascii() or not pin.isdigit():
        raise PinInvalidError(_("A payment PIN is exactly 6 digits."))
    return pin


def pin_set(*, user: User, pin: str, password: str) -> Wallet:
    """Set or reset the payment PIN; the account password confirms it is the citizen. Resetting
    also lifts a lock-out.

    Wrong passwords are counted (``PIN_PASSWORD_FAILURES``): without a limit this form would let
    whoever holds a signed-in session guess the account password forever. Past the limit it
    raises ``TooManyAttemptsError`` (429) without checking the password."""
    pin = _check_pin_shape(pin)
    if ratelimit.is_limited(PIN_PASSWORD_FAILURES, str(user.pk)):
        raise TooManyAttemptsError()
    if not user.check_password(password or ""):
        ratelimit.hit(PIN_PASSWORD_FAILURES, str(user.pk))
        raise PinInvalidError(_("Your account password is not correct."), code="password_invalid")
    wallet = wallet_get_or_create(user=user)
    Wallet.objects.filter(pk=wallet.pk).update(
        pin_hash=make_password(pin), pin_failures=0, pin_locked_until=None
    )
    wallet.refresh_from_db()
    return wallet


def pin_verify(*, user: User, pin) -> None:
    """Check the payment PIN in a transaction of its own, so a failure is counted even though
    the payment that needed it changes nothing. Five wrong PINs lock payments for 30 minutes.

    Locks the wallet row. Raises ``PinRequiredError``, ``PinNotSetError``, ``PinInvalidError``
    (with the tries left) or ``PinLockedError`` (429).
    """
    if pin in (None, ""):
        raise PinRequiredError()
    wallet = wallet_get_or_create(user=user)
    with transaction.atomic():
        wallet = Wallet.objects.select_for_update().get(pk=wallet.pk)
        now = timezone.now()
        if wallet.pin_locked_until and wallet.pin_locked_until > now:
            raise PinLockedError(
                _("Too many wrong PINs. Payments are locked until %(time)s, or reset your PIN.")
                % {"time": timezone.localtime(wallet.pin_locked_until).strftime("%H:%M")}
            )
        if not wallet.pin_hash:
            raise PinNotSetError()
        if check_password(str(pin), wallet.pin_hash):
            if wallet.pin_failures:
                wallet.pin_failures = 0
                wallet.pin_locked_until = None
                wallet.save(update_fields=["pin_failures", "pin_locked_until"])
            return
        wallet.pin_failures += 1
        if wallet.pin_failures >= PIN_MAX_FAILURES:
            wallet.pin_locked_until = now + PIN_LOCK
            wallet.pin_failures = 0
            wallet.save(update_fields=["pin_failures", "pin_locked_until"])
            error = PinLockedError(
                _("Five wrong PINs: payments are locked for 30 minutes, or reset your PIN.")
            )
        else:
            wallet.save(update_fields=["pin_failures"])
            error = PinInvalidError(
                _("Wrong PIN. %(left)s tries left before payments are locked.")
                % {"left": PIN_MAX_FAILURES - wallet.pin_failures}
            )
    raise error


# --- Policy and budget ---------------------------------------------------------------------


def _require_policy_perm(by: User | None) -> None:
    if by is not None and not by.has_perm("vouchers.change_policy"):
        raise WalletError(_("Only city staff change the wallet policy."), code="forbidden")


def _rate_check(value, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= RATE_MAX_BP:
        raise WalletError(_("Rates are between 0 and 5000 basis points (50%)."))


def _amount_check(value, *, minimum: int, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= 10**13:
        raise WalletError(_("Limits and caps are whole won, from %(min)s.") % {"min": minimum})


def _policy_check(fields: dict) -> None:
    """What a policy may say, before it is saved (the database checks the two base rates too)."""
    _rate_check(fields.get("charge_incentive_bp", 0))
    _rate_check(fields.get("cashback_bp", 0))
    _amount_check(fields.get("monthly_charge_limit"), minimum=1, allow_none=False)
    _amount_check(fields.get("monthly_cashback_cap"), minimum=0, allow_none=False)
    for name in ("annual_charge_limit", "holding_limit"):
        _amount_check(fields.get(name), minimum=1, allow_none=True)
    _amount_check(fields.get("monthly_incentive_cap"), minimum=0, allow_none=True)
    tables = (
        ("shop_class_cashback_bp", SalesBracket.values),
        ("citizen_group_bonus_bp", CitizenGroup.values),
    )
    for name, keys in tables:
        table = fields.get(name) or {}
        if not isinstance(table, dict) or not set(table) <= set(keys):
            raise WalletError(_("Rates by shop class or citizen group name an unknown class."))
        for value in table.values():
            _rate_check(value)
    classes = fields.get("shop_class_cashback_bp") or {}
    bonus = max((fields.get("citizen_group_bonus_bp") or {}).values(), default=0)
    highest = max(
        [fields.get("cashback_bp", 0), fields.get("charge_incentive_bp", 0), *classes.values()]
    )
    if highest + bonus > RATE_MAX_BP:
        raise WalletError(
            _("With the largest citizen-group bonus a rate would pass 5000 basis points (50%).")
        )


@transaction.atomic
def policy_set(*, by: User | None, effective_from: date, **fields) -> Policy:
    """A new version of the city's wallet rules from ``effective_from`` (rows are never edited).
    Raises ``WalletError`` for a rate outside 0-5000 basis points (also with the largest group
    bonus on top), a class or group that does not exist, or a limit that is not whole won."""
    _require_policy_perm(by)
    _policy_check(fields)
    policy = Policy.objects.create(effective_from=effective_from, created_by=by, **fields)
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
    return policy


@transaction.atomic
def policy_override_add(
    *, by: User | None, starts_on: date, ends_on: date, **fields
) -> PolicyOverride:
    _require_policy_perm(by)
    if ends_on < starts_on:
        raise WalletError(_("The override ends before it starts."))
    changes = {name: value for name, value in fields.items() if name != "note"}
    if not any(value is not None for value in changes.values()):
        raise WalletError(_("An override changes at least one rule."))
    for name in ("charge_incentive_bp", "cashback_bp"):
        _rate_check(changes.get(name), allow_none=True)
    _amount_check(changes.get("monthly_charge_limit"), minimum=1, allow_none=True)
    _amount_check(changes.get("monthly_cashback_cap"), minimum=0, allow_none=True)
    override = PolicyOverride.objects.create(
        starts_on=starts_on, ends_on=ends_on, created_by=by, **fields
    )
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
    return override


@transaction.atomic
def policy_override_withdraw(*, by: User, override: PolicyOverride) -> PolicyOverride:
    """Withdraw an override that has not begun. One that has begun decided the rules of its past
    days, and withdrawing it would rewrite them (withdrawal covers the whole range)."""
    _require_policy_perm(by)
    override = PolicyOverride.objects.select_for_update().get(pk=override.pk)
    if override.withdrawn_at is not None:
        raise WalletError(_("That override does not exist or was already withdrawn."))
    if override.starts_on <= business_date_today():
        raise WalletError(
            _(
                "An override that has begun stays on record. To change the rules from today on,"
                " add an override from today, or a new version."
            )
        )
    override.withdrawn_at = timezone.now()
    override.withdrawn_by = by
    override.save(update_fields=["withdrawn_at", "withdrawn_by"])
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
    return override


def budget_shard_ids() -> list[int]:
    specs = [(Account.Kind.INCENTIVE_BUDGET, None, None, n) for n in range(shard_count())]
    return account_ids_get_or_create(specs)


def budget_fund(
    *, by: User | None, name: str, starts_on: date, ends_on: date, amount: int, idempotency_key: str
) -> IncentiveBudget:
    """Put city money into the incentive budget for a period, split evenly over the shards."""
    _require_policy_perm(by)
    amount = parse_amount(amount, maximum=10**13)
    if ends_on < starts_on:
        raise WalletError(_("The budget period ends before it starts."))
    shards = budget_shard_ids()
    parts = split(amount, [1] * len(shards))
    world = account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD)
    with transaction.atomic():
        entry = entry_post(
            kind=Entry.Kind.FUNDING,
            legs=[Leg(world.pk, -amount)]
            + [Leg(s, p) for s, p in zip(shards, parts, strict=True) if p],
            idempotency_key=f"budget:{idempotency_key}",
            actor=by,
            memo=name[:200],
        )
        budget, _created = IncentiveBudget.objects.get_or_create(
            entry=entry,
            defaults={
                "name": name,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "amount": amount,
                "created_by": by,
            },
        )
    return budget


def budget_rebalance(*, idempotency_key: str) -> Entry | None:
    """Even out the shards (so that no citizen's shard runs dry while others hold money).
    Locks every shard, in id order."""
    shards = budget_shard_ids()
    with transaction.atomic():
        balances = accounts_lock(shards)
        total = sum(balances.values())
        target = split(total, [1] * len(shards))
        legs = [
            Leg(s, t - balances[s]) for s, t in zip(shards, target, strict=True) if t != balances[s]
        ]
        if len(legs) < 2:
            return None
        return entry_post(
            kind=Entry.Kind.ADJUSTMENT,
            legs=legs,
            idempotency_key=f"rebalance:{idempotency_key}",
            memo="incentive budget shards evened out",
        )


def _grant_from_budget(
    *, user_id: int, want: int, primary_shard: int, locked: dict[int, int]
) -> list[Leg]:
    """Legs that take up to ``want`` won out of the budget: first the citizen's own shard
    (already locked by the caller), then, if it runs short, other shards that have money and
    that nobody else holds right now (``SKIP LOCKED``: the caller already holds account locks,
    so waiting here could deadlock). Near the end of a budget a grant may come out smaller than
    what the other shards hold in all; it never comes out larger than what they hold."""
    if want <= 0:
        return []
    legs: list[Leg] = []
    take = min(want, locked.get(primary_shard, 0))
    if take > 0:
        legs.append(Leg(primary_shard, -take))
    missing = want - take
    if missing <= 0:
        return legs
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM ledger_account WHERE kind = 'incentive_budget' AND id <> %s"
            " AND balance > 0 ORDER BY (shard + %s) %% 1000",
            [primary_shard, user_id % 1000],
        )
        candidates = [row[0] for row in cursor.fetchall()]
        for shard in candidates:
            cursor.execute(
                "SELECT balance FROM ledger_account WHERE id = %s FOR UPDATE SKIP LOCKED", [shard]
            )
            row = cursor.fetchone()
            if row is None:
                continue
            take = min(missing, int(row[0]))
            if take > 0:
                legs.append(Leg(shard, -take))
                missing -= take
            if missing <= 0:
                break
    return legs


# --- Monthly usage (the row that limits are checked under) ----------------------------------


_USAGE_COLUMNS = ("id", "user_id", "month", "charged", "incentive", "cashback", "carried_in")


def _usage_lock(*, user_id: int, month: date, rules: Rules) -> MonthlyUsage:
    """The citizen's usage row for ``month``, locked; created with the carry-over from the month
    before when the policy allows it."""
    select = (
        "SELECT id, user_id, month, charged, incentive, cashback, carried_in"
        " FROM vouchers_monthlyusage WHERE user_id = %s AND month = %s FOR UPDATE"
    )
    with connection.cursor() as cursor:
        cursor.execute(select, [user_id, month])
        row = cursor.fetchone()
        if row is None:
            carried = 0
            if rules.carry_over:
                previous = MonthlyUsage.objects.filter(
                    user_id=user_id, month=_previous_month(month)
                ).first()
                if previous is not None:
                    previous_limit = rules_on(previous.month).monthly_charge_limit
                    carried = max(0, previous_limit + previous.carried_in - previous.charged)
            cursor.execute(
                "INSERT INTO vouchers_monthlyusage (user_id, month, charged, incentive, cashback,"
                " carried_in) VALUES (%s, %s, 0, 0, 0, %s) ON CONFLICT DO NOTHING",
                [user_id, month, carried],
            )
            cursor.execute(select, [user_id, month])
            row = cursor.fetchone()
    usage = MonthlyUsage(**dict(zip(_USAGE_COLUMNS, row, strict=True)))
    usage._state.adding = False
    return usage


def charge_headroom(*, usage: MonthlyUsage, rules: Rules) -> int:
    return max(0, rules.monthly_charge_limit + usage.carried_in - usage.charged)


def _check_charge_limits(*, user_id: int, amount: int, usage: MonthlyUsage, rules: Rules) -> None:
    headroom = charge_headroom(usage=usage, rules=rules)
    if amount > headroom:
        raise ChargeLimitError(
            _(
                "This charge would pass your monthly limit: you can charge %(left)s won more "
                "this month."
            )
            % {"left": f"{headroom:,}"},
            headroom=headroom,
        )
    if rules.annual_charge_limit is not None:
        year_total = sum(
            MonthlyUsage.objects.filter(user_id=user_id, month__year=usage.month.year).values_list(
                "charged", flat=True
            )
        )
        if year_total + amount > rules.annual_charge_limit:
            raise ChargeLimitError(
                _("This charge would pass your annual limit of %(limit)s won.")
                % {"limit": f"{rules.annual_charge_limit:,}"}
            )


def _check_holding_limit(*, balance: int, amount: int, rules: Rules) -> None:
    if rules.holding_limit is not None and balance + amount > rules.holding_limit:
        raise ChargeLimitError(
            _("Your wallet may hold at most %(limit)s won.") % {"limit": f"{rules.holding_limit:,}"}
        )


# --- Charges ----------------------------------------------------------------------------------


def charge_create(
    *,
    user: User,
    amount,
    provider: str = "sandbox",
    purpose: str = "wallet",
    check_limits: bool = True,
) -> tuple[Charge, str]:
    """Register a charge with the provider; returns it and the provider page to go to.

    The limits are checked here to spare the citizen a useless trip to the provider, and again
    when the provider confirms (they may have changed meanwhile). A charge for another
    ``purpose`` (a card pledge) pays a shop, not the wallet, and skips the wallet's limits.
    """
    amount = parse_amount(amount, minimum=1_000)
    if amount % 1_000:
        raise ChargeError(_("Charge in steps of 1,000 won."))
    if purpose != "wallet" and purpose not in CHARGE_PURPOSES:
        raise ChargeError(_("Unknown charge purpose."))
    if check_limits:
        today = business_date_today()
        rules = rules_on(today)
        wallet_get_or_create(user=user)
        with transaction.atomic():
            usage = _usage_lock(user_id=user.pk, month=month_of(today), rules=rules)
            _check_charge_limits(user_id=user.pk, amount=amount, usage=usage, rules=rules)
        from ledger.selectors import citizen_balances

        _check_holding_limit(
            balance=citizen_balances(user_id=user.pk).wallet, amount=amount, rules=rules
        )
    charge = Charge.objects.create(
        user=user,
        amount=amount,
        provider=provider,
        order_id="ord_" + secrets.token_hex(16),
        purpose=purpose,
    )
    from django.urls import reverse

    checkout_url = get_provider(provider).create_payment(
        order_id=charge.order_id,
        amount=amount,
        return_path=reverse("vouchers:charge-done", args=[charge.order_id]),
    )
    return charge, checkout_url


@dataclass(frozen=True)
class ChargePurpose:
    """What a provider charge that is not a wallet charge pays for (e.g. a card pledge, in the
    campaigns app): called inside the callback's transaction, which holds the charge row."""

    approved: Callable[[Charge], CallbackOutcome]
    failed: Callable[[Charge], None]


CHARGE_PURPOSES: dict[str, ChargePurpose] = {}


def charge_purpose_register(name: str, purpose: ChargePurpose) -> None:
    CHARGE_PURPOSES[name] = purpose


@dataclass(frozen=True)
class CallbackOutcome:
    status: str  # credited | ignored | failed | cancelled
    message: str
    charge_id: int | None = None


def charge_callback_handle(*, provider_name: str, raw_body: bytes, headers) -> CallbackOutcome:
    """Verify a provider callback and apply it, once.

    Verified: the signature over the raw body, the timestamp (5 minutes), the event id (never
    seen before), the amount against the stored charge, and the order of events (an event older
    than the last one applied is refused). Only then is anything credited. Raises
    ``CallbackRejectedError`` for anything refused; nothing moves then.

    Locks the charge row, then the citizen's usage row, then ledger accounts.
    """
    provider = get_provider(provider_name)
    event = provider.verify_callback(raw_body=raw_body, headers=headers)
    try:
        with transaction.atomic():
            outcome = _apply_event(event)
            ProviderEvent.objects.create(
                provider=event.provider,
                event_id=event.event_id,
                event_type=event.event_type,
                order_id=event.order_id,
                occurred_at=event.occurred_at,
                outcome=outcome.status,
            )
    except IntegrityError as exc:
        raise CallbackRejectedError(
            _("This callback was delivered before."), code="callback_replayed"
        ) from exc
    if outcome.status == "over_limit":
        # Give the card money back: the provider call happens after our transaction committed.
        charge = Charge.objects.get(order_id=event.order_id)
        provider.cancel_payment(
            payment_key=event.payment_key, amount=event.amount, reason=charge.failure_reason
        )
    return outcome


def _apply_event(event: CallbackEvent) -> CallbackOutcome:
    if ProviderEvent.objects.filter(provider=event.provider, event_id=event.event_id).exists():
        raise CallbackRejectedError(
            _("This callback was delivered before."), code="callback_replayed"
        )
    charge = Charge.objects.select_for_update().filter(order_id=event.order_id).first()
    if charge is None:
        raise CallbackRejectedError(_("No such order."), code="callback_unknown_order")
    if charge.provider != event.provider:
        raise CallbackRejectedError(
            _("The order belongs to another provider."), code="callback_provider"
        )
    if event.amount != charge.amount:
        logger.warning(
            "callback amount %s for order %s of %s", event.amount, charge.order_id, charge.amount
        )
        raise CallbackRejectedError(
            _("The amount does not match the order."), code="callback_amount_mismatch"
        )
    if charge.last_event_at and event.occurred_at < charge.last_event_at:
        raise CallbackRejectedError(
            _("This callback is older than one already applied."), code="callback_out_of_order"
        )
    charge.last_event_at = event.occurred_at
    if event.event_type == "payment.approved":
        if charge.status != Charge.Status.CREATED:
            charge.save(update_fields=["last_event_at"])
            return CallbackOutcome("ignored", "already settled", charge.pk)
        charge.provider_payment_key = event.payment_key
        if charge.purpose != "wallet":
            return CHARGE_PURPOSES[charge.purpose].approved(charge)
        return _charge_credit(charge)
    if event.event_type in ("payment.failed", "payment.cancelled"):
        if charge.status == Charge.Status.CREATED:
            charge.status = (
                Charge.Status.FAILED
                if event.event_type == "payment.failed"
                else Charge.Status.CANCELLED
            )
            charge.failure_reason = event.event_type
            charge.save(update_fields=["status", "failure_reason", "last_event_at"])
            if charge.purpose != "wallet":
                CHARGE_PURPOSES[charge.purpose].failed(charge)
            return CallbackOutcome("failed", event.event_type, charge.pk)
        charge.save(update_fields=["last_event_at"])
        return CallbackOutcome("ignored", "already settled", charge.pk)
    raise CallbackRejectedError(_("Unknown event type."), code="callback_unknown_type")


def _charge_credit(charge: Charge) -> CallbackOutcome:
    """Credit a confirmed charge: principal from the float, incentive from the budget within the
    month's incentive cap and what the budget holds. Runs in the callback's transaction."""
    today = business_date_today()
    rules = rules_on(today)
    usage = _usage_lock(user_id=charge.user_id, month=month_of(today), rules=rules)
    try:
        _check_charge_limits(user_id=charge.user_id, amount=charge.amount, usage=usage, rules=rules)
    except ChargeLimitError as exc:
        charge.status = Charge.Status.FAILED
        charge.failure_reason = str(exc.message)[:200]
        charge.save(
            update_fields=["status", "failure_reason", "last_event_at", "provider_payment_key"]
        )
        return CallbackOutcome("over_limit", exc.message, charge.pk)
    wallet = wallet_get_or_create(user=charge.user)
    shard = shard_of(charge.user_id)
    float_id, principal_id, incentive_id, shard_id = account_ids_get_or_create(
        [
            (Account.Kind.FLOAT, None, None, shard),
            (Account.Kind.WALLET_PRINCIPAL, charge.user_id, None, 0),
            (Account.Kind.WALLET_INCENTIVE, charge.user_id, None, 0),
            (Account.Kind.INCENTIVE_BUDGET, None, None, shard),
        ]
    )
    locked = accounts_lock([principal_id, incentive_id, shard_id])
    if rules.holding_limit is not None:
        _check_holding_limit(
            balance=locked[principal_id] + locked[incentive_id], amount=charge.amount, rules=rules
        )
    entry = entry_post(
        kind=Entry.Kind.CHARGE,
        legs=[Leg(float_id, -charge.amount), Leg(principal_id, charge.amount)],
        idempotency_key=f"charge:{charge.order_id}",
        actor=charge.user_id,
        memo=f"charge {charge.order_id}",
        business_date=today,
    )
    want = apply_rate(charge.amount, rules.incentive_rate(citizen_group=wallet.citizen_group))
    if rules.monthly_incentive_cap is not None:
        want = min(want, max(0, rules.monthly_incentive_cap - usage.incentive))
    legs = _grant_from_budget(
        user_id=charge.user_id, want=want, primary_shard=shard_id, locked=locked
    )
    granted = -sum(leg.amount for leg in legs)
    if granted:
        entry_post(
            kind=Entry.Kind.INCENTIVE,
            legs=[*legs, Leg(incentive_id, granted)],
            idempotency_key=f"charge:{charge.order_id}:incentive",
            actor=charge.user_id,
            memo=f"charging incentive {charge.order_id}",
            business_date=today,
        )
    usage.charged += charge.amount
    usage.incentive += granted
    usage.save(update_fields=["charged", "incentive"])
    charge.status = Charge.Status.PAID
    charge.incentive = granted
    charge.paid_at = timezone.now()
    charge.business_date = today
    charge.entry = entry
    charge.save()
    return CallbackOutcome("credited", "credited", charge.pk)


def charge_cancel(*, charge: Charge, by: User) -> Charge:
    """Cancel a charge within 7 days while it is unused: the principal goes back to the card,
    the incentive back to the budget. The provider is asked first, outside any lock."""
    if charge.user_id != by.pk:
        raise ChargeNotFoundError()
    _charge_check_cancellable(charge)
    if charge.provider_payment_key:
        get_provider(charge.provider).cancel_payment(
            payment_key=charge.provider_payment_key,
            amount=charge.amount,
            reason="cancelled by citizen",
        )
    with transaction.atomic():
        charge = Charge.objects.select_for_update().get(pk=charge.pk)
        _charge_check_cancellable(charge)
        today = business_date_today()
        rules = rules_on(today)
        usage = _usage_lock(
            user_id=charge.user_id, month=month_of(charge.business_date), rules=rules
        )
        shard = shard_of(charge.user_id)
        float_id, principal_id, incentive_id, shard_id = account_ids_get_or_create(
            [
                (Account.Kind.FLOAT, None, None, shard),
                (Account.Kind.WALLET_PRINCIPAL, charge.user_id, None, 0),
                (Account.Kind.WALLET_INCENTIVE, charge.user_id, None, 0),
                (Account.Kind.INCENTIVE_BUDGET, None, None, shard),
            ]
        )
        legs = [Leg(principal_id, -charge.amount), Leg(float_id, charge.amount)]
        if charge.incentive:
            legs += [Leg(incentive_id, -charge.incentive), Leg(shard_id, charge.incentive)]
        try:
            entry_post(
                kind=Entry.Kind.CANCELLATION,
                legs=legs,
                idempotency_key=f"charge:{charge.order_id}:cancel",
                actor=by,
                memo=f"charge {charge.order_id} cancelled",
                business_date=today,
            )
        except InsufficientBalanceError as exc:
            raise ChargeNotCancellableError(
                _("Part of this charge has been spent, so it cannot be cancelled.")
            ) from exc
        usage.charged = max(0, usage.charged - charge.amount)
        usage.incentive = max(0, usage.incentive - charge.incentive)
        usage.save(update_fields=["charged", "incentive"])
        charge.status = Charge.Status.CANCELLED
        charge.cancelled_at = timezone.now()
        charge.save(update_fields=["status", "cancelled_at"])
    return charge


def _charge_check_cancellable(charge: Charge) -> None:
    if charge.status != Charge.Status.PAID:
        raise ChargeNotCancellableError(_("Only a paid charge can be cancelled."))
    if timezone.now() - charge.paid_at > timedelta(days=CHARGE_CANCEL_DAYS):
        raise ChargeNotCancellableError(_("A charge can be cancelled within 7 days only."))
    if Payment.objects.filter(user_id=charge.user_id, created_at__gte=charge.paid_at).exists():
        raise ChargeNotCancellableError(
            _("The wallet has been used since this charge, so it cannot be cancelled.")
        )


# --- Payments ----------------------------------------------------------------------------------


def counter_pay(
    *,
    shop: Shop,
    code: str,
    amount,
    idem: Idem,
    device: Device | None = None,
    actor: User | None = None,
    client_ip: str | None = None,
) -> IdempotentResult:
    """A payment at the counter from the customer's code (customer-presented).

    A retry with the same Idempotency-Key gets the first answer even though the code is spent.
    """
    amount = parse_amount(amount)
    try:
        code_obj = payment_code_resolve(
            code=code, shop=shop, device=device, actor=actor, client_ip=client_ip
        )
    except PaymentCodeUsedError:
        # A retry of a payment that went through spent the code: answer it as the first time.
        replay = idempotency_replay(idem)
        if replay is not None:
            return replay
        raise
    return wallet_pay(
        user=code_obj.user,
        shop=shop,
        amount=amount,
        method=Payment.Method.CUSTOMER_CODE,
        idem=idem,
        device=device,
        actor=actor,
        code=code_obj,
        citizen_group=code_obj.citizen_group,
    )


def qr_pay(*, user: User, shop: Shop, amount, pin, idem: Idem) -> IdempotentResult:
    """The citizen pays a shop whose QR they scanned (merchant-presented), with the PIN."""
    amount = parse_amount(amount)
    replay = idempotency_replay(idem)
    if replay is not None:
        return replay
    pin_verify(user=user, pin=pin)
    return wallet_pay(
        user=user, shop=shop, amount=amount, method=Payment.Method.SHOP_QR, idem=idem, actor=user
    )


def wallet_pay(
    *,
    user: User,
    shop: Shop,
    amount: int,
    method: str,
    idem: Idem,
    device: Device | None = None,
    actor: User | None = None,
    code: ResolvedCode | None = None,
    memo: str = "",
    citizen_group: str | None = None,
    claim: bool = True,
) -> IdempotentResult:
    """Pay ``amount`` from the citizen's wallet to ``shop``, with cashback, once per ``idem``.

    Principal and incentive are spent in proportion to their balances (the won that rounding
    leaves goes to principal). Cashback is the rate for the shop's class and the citizen's group,
    within the monthly cap and what the budget holds, credited at once as incentive. The locked
    part runs in the database in one call (``wallet_pay()``, vouchers migration 0002); this
    function decides the rates from the policy, creates what a first payment lacks, and retries
    deadlocks. ``claim=False`` when the caller already holds the idempotency key in its own
    transaction (a pledge). Locks: the usage row, then the accounts in id order.
    Raises ``ShopNotApprovedError``, ``InsufficientBalanceError``, code errors.
    ``citizen_group`` saves a query when the caller has the citizen's wallet at hand.
    """
    terms = payment_terms(user=user, shop=shop, citizen_group=citizen_group)
    params = [
        user.pk,
        shop.pk,
        amount,
        method,
        getattr(device, "pk", None),
        getattr(actor, "pk", None),
        getattr(code, "pk", None),
        idem.scope,
        idem.key,
        idem.fingerprint,
        claim,
        terms.today,
        month_of(terms.today),
        terms.rate_bp,
        terms.cashback_cap,
        shard_of(user.pk),
        (memo or shop.name)[:150],
    ]
    return run_money_function(
        sql="SELECT wallet_pay(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        params=params,
        user_id=user.pk,
        shop_id=shop.pk,
        rules=terms.rules,
        retry=claim,
    )


@dataclass(frozen=True)
class PaymentTerms:
    today: date
    rules: Rules
    rate_bp: int
    cashback_cap: int


def payment_terms(*, user: User, shop: Shop, citizen_group: str | None = None) -> PaymentTerms:
    """What the policy says for a wallet payment by ``user`` at ``shop`` today."""
    today = business_date_today()
    rules = rules_on(today)
    if citizen_group is None:
        citizen_group = wallet_get_or_create(user=user).citizen_group
    rate = rules.cashback_rate(sales_bracket=shop.sales_bracket, citizen_group=citizen_group)
    return PaymentTerms(today, rules, rate, rules.monthly_cashback_cap)


def run_money_function(
    *,
    sql: str,
    params: list,
    user_id: int,
    shop_id: int,
    rules: Rules,
    retry: bool = True,
    extra_specs=(),
    translate=None,
) -> IdempotentResult:
    """Call one of the money functions in SQL (``wallet_pay()``, ``prepaid_redeem()``) in its
    own transaction (or the caller's, as a savepoint); create what a first payment lacks (the
    usage row, accounts) and call again; retry deadlocks when it owns the transaction.
    Refusals come back as domain errors (``translate`` first, then the payment ones)."""
    today = business_date_today()

    def attempt() -> IdempotentResult:
        for _missing in range(3):
            try:
                result = _call_alone(sql, params)
            except DatabaseError as exc:
                code_ = getattr(exc.__cause__, "pgcode", None)
                if code_ == "JP199":
                    _usage_ensure(user_id=user_id, month=month_of(today), rules=rules)
                    continue
                if code_ == "JP198":
                    account_ids_get_or_create(
                        [*_wallet_account_specs(user_id, shop_id), *extra_specs]
                    )
                    continue
                error = (translate(exc) if translate else None) or _payment_error(exc)
                if error is exc:
                    raise  # as it came, with its cause: with_retries reads the SQLSTATE there
                raise error from exc
            if isinstance(result, str):
                result = json.loads(result)
            return IdempotentResult(result["status"], result["body"], result["replayed"])
        raise PaymentError(_("The payment could not be prepared; try again."))

    return with_retries(attempt) if retry else attempt()


def _call_alone(sql: str, params: list):
    """One statement as one transaction: in the caller's transaction as a savepoint, else in
    autocommit, where PostgreSQL runs the statement as its own transaction (its deferred checks
    fire at its end) and the BEGIN and COMMIT round trips of ``atomic()`` are saved."""
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _wallet_account_specs(user_id: int, shop_id: int):
    return [
        (Account.Kind.WALLET_PRINCIPAL, user_id, None, 0),
        (Account.Kind.WALLET_INCENTIVE, user_id, None, 0),
        (Account.Kind.SHOP_PAYABLE, None, shop_id, 0),
        (Account.Kind.INCENTIVE_BUDGET, None, None, shard_of(user_id)),
    ]


def _usage_ensure(*, user_id: int, month: date, rules: Rules) -> None:
    with transaction.atomic():
        _usage_lock(user_id=user_id, month=month, rules=rules)


def _payment_error(exc: DatabaseError) -> Exception:
    """The domain error for a refusal raised inside ``wallet_pay()``."""
    cause = exc.__cause__
    code_ = getattr(cause, "pgcode", None)
    diag = getattr(cause, "diag", None)
    if code_ == "JP001":
        held = int(getattr(diag, "message_hint", "0") or 0)
        detail = getattr(diag, "message_detail", "") or ""
        return InsufficientBalanceError(
            _("The wallet holds %(balance)s won, less than the amount.") % {"balance": f"{held:,}"},
            account_id=int(detail) if detail.isdigit() else None,
        )
    if code_ == "JP002":
        return IdempotencyConflictError()
    if code_ == "JP101":
        return ShopNotApprovedError()
    if code_ == "JP102":
        return PaymentCodeUsedError()
    if code_ == "JP103":
        return PaymentCodeExpiredError()
    return translate_db_error(exc)


def payment_cancel(*, payment: Payment, by: User, reason: str = "") -> Payment:
    """The shop cancels a payment of the same business day: the money goes back to the wallet as
    it was spent and the cashback back to the budget. Refused if the cashback has been spent."""
    from merchants.selectors import member_role

    if member_role(user=by, shop=payment.shop) != "owner":
        raise PaymentNotCancellableError(
            _("Only the shop's owner cancels payments."), code="forbidden"
        )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Payment.Status.COMPLETED:
            raise PaymentNotCancellableError(_("This payment is cancelled already."))
        if payment.business_date != business_date_today():
            raise PaymentNotCancellableError(
                _(
                    "Only payments of today can be cancelled at the counter; ask the city for older ones."
                )
            )
        try:
            if payment.cashback_entry_id:
                entry_reverse(
                    entry=payment.cashback_entry,
                    idempotency_key=f"cancel:payment:{payment.pk}:cashback",
                    actor=by,
                )
            entry_reverse(
                entry=payment.entry, idempotency_key=f"cancel:payment:{payment.pk}", actor=by
            )
        except InsufficientBalanceError as exc:
            raise PaymentNotCancellableError(
                _("The cashback of this payment has been spent; ask the city to cancel it.")
            ) from exc
        usage_cashback_return(payment=payment)
        payment.status = Payment.Status.CANCELLED
        payment.cancelled_at = timezone.now()
        payment.save(update_fields=["status", "cancelled_at"])
    return payment


def usage_cashback_return(*, payment: Payment) -> None:
    """A cancelled payment's cashback no longer counts toward the month's cap."""
    if payment.cashback:
        MonthlyUsage.objects.filter(
            user_id=payment.user_id, month=month_of(payment.business_date)
        ).update(cashback=Greatest(F("cashback") - payment.cashback, Value(0)))


# --- Refund of the remaining balance -------------------------------------------------------


@dataclass(frozen=True)
class RefundCheck:
    allowed: bool
    charged_base: int
    principal: int
    incentive: int
    used: int
    used_ratio_bp: int
    threshold_bp: int


def refund_check(*, user: User) -> RefundCheck:
    """Whether the remaining balance may be refunded now: 60% of what was charged since the last
    refund must be used (80% when that is 10,000 won or less)."""
    from ledger.selectors import citizen_balances

    last = Refund.objects.filter(user=user).order_by("-created_at").first()
    charges = Charge.objects.filter(user=user, status=Charge.Status.PAID)
    if last is not None:
        charges = charges.filter(paid_at__gt=last.created_at)
    base = sum(charges.values_list("amount", flat=True))
    balances = citizen_balances(user_id=user.pk)
    used = max(0, base - balances.principal)
    ratio = used * 10_000 // base if base else 0
    threshold = REFUND_THRESHOLD_SMALL_BP if base <= SMALL_CHARGE else REFUND_THRESHOLD_BP
    allowed = base > 0 and balances.principal > 0 and ratio >= threshold
    return RefundCheck(
        allowed, base, balances.principal, balances.incentive, used, ratio, threshold
    )


def wallet_refund(*, user: User, idem: Idem) -> IdempotentResult:
    """Refund the remaining principal (to the citizen's account) and return the incentive to the
    budget, when ``refund_check`` allows it."""

    def operation() -> tuple[int, dict]:
        check = refund_check(user=user)
        if not check.allowed:
            if check.principal <= 0:
                raise RefundNotAllowedError(_("There is no charged money left to refund."))
            raise RefundNotAllowedError(
                _(
                    "A refund needs %(threshold)s%% of the charged %(base)s won used; "
                    "you have used %(used)s won (%(ratio)s%%)."
                )
                % {
                    "threshold": check.threshold_bp // 100,
                    "base": f"{check.charged_base:,}",
                    "used": f"{check.used:,}",
                    "ratio": check.used_ratio_bp // 100,
                }
            )
        shard = shard_of(user.pk)
        float_id, principal_id, incentive_id, shard_id = account_ids_get_or_create(
            [
                (Account.Kind.FLOAT, None, None, shard),
                (Account.Kind.WALLET_PRINCIPAL, user.pk, None, 0),
                (Account.Kind.WALLET_INCENTIVE, user.pk, None, 0),
                (Account.Kind.INCENTIVE_BUDGET, None, None, shard),
            ]
        )
        locked = accounts_lock([principal_id, incentive_id, shard_id])
        principal, incentive = locked[principal_id], locked[incentive_id]
        legs = [Leg(principal_id, -principal), Leg(float_id, principal)]
        if incentive:
            legs += [Leg(incentive_id, -incentive), Leg(shard_id, incentive)]
        entry = entry_post(
            kind=Entry.Kind.REFUND,
            legs=legs,
            idempotency_key=f"{idem.scope}:{idem.key}",
            actor=user,
            memo="remaining balance refunded",
        )
        refund = Refund.objects.create(
            user=user,
            principal=principal,
            incentive_returned=incentive,
            charged_base=check.charged_base,
            used_ratio_bp=check.used_ratio_bp,
            entry=entry,
        )
        return 201, {
            "refund_id": refund.pk,
            "principal_refunded": principal,
            "incentive_returned": incentive,
        }

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


def charge_for_user(*, user: User, order_id: str) -> Charge:
    charge = Charge.objects.filter(user=user, order_id=order_id).first()
    if charge is None:
        raise ChargeNotFoundError()
    return charge
