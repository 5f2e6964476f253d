"""Charges: card money into the wallet through a payment provider, and their reversal.

A charge is credited when the provider confirms it (``provider.py`` verifies the callback and
calls ``charge_credit``): the principal comes from the provider's clearing account (what the
provider owes the city until it pays out), the charging incentive from the budget.

Reversal has one path, ``_charge_reverse``: it mirrors the charge's own postings (so a charge
credited against the float before clearing accounts existed is reversed against the float), and
is reached three ways, each under the charge's row lock:

- the citizen cancels an unused charge within 7 days (``charge_cancel``): refused when the
  wallet was used since, when the refund of the remaining balance paid it back, or when the
  incentive has been spent; the card money goes back through the outbox *after* commit;
- the provider reports a refund made on its side (``charge_refunded_at_provider``): reversed if
  the wallet still holds it, otherwise flagged to staff; nothing is sent to the provider;
- a charge that paid for something else (a card pledge) is reversed only by its owner's path
  (``CHARGE_PURPOSES``).

A charge still waiting for the provider (the citizen left its payment page) has credited
nothing, so closing it moves no money: ``charge_cancel`` closes it when the citizen cancels it,
and the nightly run closes every charge left waiting longer than ``CHARGE_WAIT`` (one hour) the
same way (``charges_expire``, through ``charge_cancel``). A card payment the provider approves
after its charge was closed is given back (``provider.py``), so closing never keeps money.

Locks, in this order (``locks.py``): the charge row, the citizen's usage row of the charge's
month, then every account of the entry (ascending id, one statement).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.money import apply_rate, parse_amount
from ledger.selectors import citizen_balances, entry_legs, outflow_since
from ledger.services import (
    Leg,
    account_get_or_create,
    business_date_today,
    entry_post,
    with_retries,
)

from ..exceptions import (
    ChargeError,
    ChargeLimitError,
    ChargeNotCancellableError,
    ChargeNotFoundError,
)
from ..models import Charge, ProviderCall, ProviderDiscrepancy
from ..providers import get_provider, provider_for_city
from ..rules import rules_on
from .common import CHARGE_CANCEL_DAYS, CHARGE_WAIT, month_of, shard_of
from .locks import WalletLocked, wallet_lock
from .outbox import provider_call_enqueue
from .policy import budget_draw
from .usage import charge_limits_check, holding_limit_check, usage_lock
from .wallets import wallet_get_or_create


@dataclass(frozen=True)
class CallbackOutcome:
    status: str  # credited | ignored | failed | over_limit | cancelled | flagged
    message: str
    charge_id: int | None = None


@dataclass(frozen=True)
class ChargePurpose:
    """What a provider charge that is not a wallet charge pays for (e.g. a card pledge, in the
    campaigns app). Each is called inside the callback's transaction, which holds the charge
    row: ``approved`` when the provider confirms the payment, ``failed`` when it declines, and
    ``refunded`` when the provider reports that it gave the card payment back."""

    approved: Callable[[Charge], CallbackOutcome]
    failed: Callable[[Charge], None]
    refunded: Callable[[Charge], CallbackOutcome]
    # Where the citizen reads the outcome (the pledge's page), instead of the wallet's.
    result_url: Callable[[Charge], str] | None = None


CHARGE_PURPOSES: dict[str, ChargePurpose] = {}


def charge_purpose_register(name: str, purpose: ChargePurpose) -> None:
    CHARGE_PURPOSES[name] = purpose


@dataclass(frozen=True)
class ChargeTerms:
    """Terms a higher app sold a wallet charge under (a charge-day tranche, ``sales``): its own
    incentive rate instead of the policy's, or a ``refusal`` (what it paid for has lapsed: the
    card is given back). ``credited`` and ``failed`` tell the owner how the charge ended, inside
    the callback's transaction. The charge stays a wallet charge: limits, cancellation, refunds
    and reconciliation are the wallet's."""

    incentive_bp: int | None = None
    refusal: str = ""
    credited: Callable[[Charge], None] | None = None
    failed: Callable[[Charge], None] | None = None


# Each finder returns the terms of a charge it owns, or None; it may lock its own row (taken
# after the charge row, before the usage row and the accounts).
CHARGE_TERMS: list[Callable[[Charge], ChargeTerms | None]] = []


def charge_terms_register(finder: Callable[[Charge], ChargeTerms | None]) -> None:
    if finder not in CHARGE_TERMS:
        CHARGE_TERMS.append(finder)


def _charge_terms(charge: Charge) -> ChargeTerms | None:
    for finder in CHARGE_TERMS:
        terms = finder(charge)
        if terms is not None:
            return terms
    return None


def charge_failed_notify(charge: Charge) -> None:
    """The provider declined or the citizen abandoned a wallet charge: tell its owner, if any."""
    terms = _charge_terms(charge)
    if terms is not None and terms.failed is not None:
        terms.failed(charge)


def charge_create(
    *,
    user: User,
    amount,
    provider: str | None = None,
    purpose: str = "wallet",
    check_limits: bool = True,
) -> tuple[Charge, str]:
    """Register a charge with the provider (by default the city's, ``provider_for_city``);
    returns it and the provider page to go to.

    The limits are checked here to spare the citizen a useless trip to the provider, and again
    when the provider confirms (they may have changed meanwhile). A charge for another
    ``purpose`` (a card pledge) pays a shop, not the wallet, and skips the wallet's limits.
    """
    provider = provider or provider_for_city()
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
            usage = usage_lock(user_id=user.pk, month=month_of(today), rules=rules)
            charge_limits_check(user_id=user.pk, amount=amount, usage=usage, rules=rules)
        holding_limit_check(
            balance=citizen_balances(user_id=user.pk).wallet, amount=amount, rules=rules
        )
    charge = Charge.objects.create(
        user=user,
        amount=amount,
        provider=provider,
        order_id="ord_" + secrets.token_hex(16),
        purpose=purpose,
    )
    return charge, _checkout_url(charge)


def _checkout_url(charge: Charge) -> str:
    """Register the charge with its provider (again: both providers answer the same page for
    the same order) and return the provider's page for it."""
    return get_provider(charge.provider).create_payment(
        order_id=charge.order_id,
        amount=charge.amount,
        return_path=reverse("vouchers:charge-done", args=[charge.order_id]),
        customer_key=str(charge.user_id),
    )


def charge_checkout_url(*, charge: Charge) -> str | None:
    """The provider's page where the citizen finishes a charge still waiting for payment (the
    page was left or closed), or None when the charge is settled or has waited too long."""
    if charge.status != Charge.Status.CREATED or _waited_too_long(charge):
        return None
    return _checkout_url(charge)


def charge_result_url(*, charge: Charge) -> str | None:
    """Where a charge of another purpose shows its outcome (a card pledge: the pledge's page)."""
    purpose = CHARGE_PURPOSES.get(charge.purpose)
    if purpose is None or purpose.result_url is None:
        return None
    return purpose.result_url(charge)


def _waited_too_long(charge: Charge, now=None) -> bool:
    return (now or timezone.now()) - charge.created_at > CHARGE_WAIT


def clearing_account_id(*, provider: str, user_id: int) -> int:
    """The provider's clearing account (of the citizen's shard) that card money comes from."""
    return account_get_or_create(
        kind=Account.Kind.PROVIDER_CLEARING, provider=provider, shard=shard_of(user_id)
    ).pk


def charge_credit(charge: Charge) -> CallbackOutcome:
    """Credit a confirmed wallet charge: principal from the provider's clearing account, the
    incentive from the budget within the month's incentive cap and what the budget holds. Runs
    in the callback's transaction, which holds the charge row; locks the usage row, then the
    accounts. A charge over a limit is not credited (``over_limit``: the card is given back).
    A charge sold under a higher app's terms (``CHARGE_TERMS``) gets their incentive rate, or
    is refused like one over a limit when they say so."""
    terms = _charge_terms(charge)
    if terms is not None and terms.refusal:
        _charge_fail(charge, terms.refusal)
        return CallbackOutcome("over_limit", terms.refusal, charge.pk)
    today = business_date_today()
    rules = rules_on(today)
    wallet = wallet_get_or_create(user=charge.user)
    clearing_id = clearing_account_id(provider=charge.provider, user_id=charge.user_id)
    held = wallet_lock(
        user_id=charge.user_id,
        month=month_of(today),
        rules=rules,
        shard=True,
        accounts=[clearing_id],
    )
    usage = held.usage
    assert usage is not None  # a month was named
    try:
        charge_limits_check(user_id=charge.user_id, amount=charge.amount, usage=usage, rules=rules)
        if rules.holding_limit is not None:
            holding_limit_check(
                balance=held.principal + held.incentive, amount=charge.amount, rules=rules
            )
    except ChargeLimitError as exc:
        _charge_fail(charge, str(exc.message))
        if terms is not None and terms.failed is not None:
            terms.failed(charge)
        return CallbackOutcome("over_limit", exc.message, charge.pk)
    principal_id, incentive_id = held.principal_id, held.incentive_id
    entry = entry_post(
        kind=Entry.Kind.CHARGE,
        legs=[Leg(clearing_id, -charge.amount), Leg(principal_id, charge.amount)],
        idempotency_key=f"charge:{charge.order_id}",
        actor=charge.user_id,
        memo=f"charge {charge.order_id}",
        business_date=today,
    )
    legs = charge_incentive_legs(
        amount=charge.amount,
        citizen_group=wallet.citizen_group,
        rules=rules,
        held=held,
        rate_bp=terms.incentive_bp if terms is not None else None,
    )
    granted = -sum(leg.amount for leg in legs)
    incentive_entry = None
    if granted:
        incentive_entry = entry_post(
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
    charge.incentive_entry = incentive_entry
    charge.save()
    if terms is not None and terms.credited is not None:
        terms.credited(charge)
    return CallbackOutcome("credited", "credited", charge.pk)


def charge_incentive_legs(
    *, amount: int, citizen_group: str, rules, held: WalletLocked, rate_bp: int | None = None
) -> list[Leg]:
    """The budget legs of the charging incentive of money put into a wallet (a provider charge,
    a charge at a desk) or of the discount on paper notes: the policy's rate for the citizen's
    group, within the month's incentive cap and what the budget holds. ``held`` must hold the
    usage row and the citizen's budget shard (``wallet_lock(month=..., shard=True)``).
    ``rate_bp`` replaces the policy's rate (a charge-day tranche sells at its own rate); the
    monthly cap and the budget still hold."""
    usage = held.usage
    assert usage is not None
    assert held.shard_id is not None
    if rate_bp is None:
        rate_bp = rules.incentive_rate(citizen_group=citizen_group)
    want = apply_rate(amount, rate_bp)
    if rules.monthly_incentive_cap is not None:
        want = min(want, max(0, rules.monthly_incentive_cap - usage.incentive))
    return budget_draw(
        user_id=usage.user_id, want=want, primary_shard=held.shard_id, locked=held.balances
    )


def _charge_fail(charge: Charge, reason: str) -> None:
    charge.status = Charge.Status.FAILED
    charge.failure_reason = reason[:200]
    charge.save(update_fields=["status", "failure_reason", "last_event_at", "provider_payment_key"])


def charge_cancel(*, charge: Charge, by: User | None) -> Charge:
    """The citizen cancels an unused wallet charge within 7 days: the principal leaves the wallet
    for the provider's clearing account, the incentive returns to the budget, and, once that has
    committed, the outbox asks the provider to give the card payment back (retried until it
    confirms). Nothing is sent to the provider when the ledger refuses.

    A charge still waiting for the provider (of any purpose) is closed instead: nothing was
    credited, so nothing moves; a card pledge waiting for it fails with it. ``by=None`` is the
    nightly expiry (``charges_expire``), which closes only charges waiting longer than
    ``CHARGE_WAIT``.

    Raises ``ChargeNotFoundError`` (another citizen's charge) and ``ChargeNotCancellableError``:
    not paid, older than 7 days, paid back by a refund, the wallet used since, the incentive
    spent, or a charge that paid for a pledge (cancel the pledge instead).
    Locks the charge row, the usage row of its month, then the wallet accounts.
    """
    if by is not None and charge.user_id != by.pk:
        raise ChargeNotFoundError()
    if charge.status == Charge.Status.CREATED or by is None:
        return _charge_close_waiting(charge, expired=by is None)
    _charge_check_cancellable(charge)  # early, without locks: most refusals need no lock

    def attempt() -> Charge:
        with transaction.atomic():
            locked = Charge.objects.select_for_update().get(pk=charge.pk)
            _charge_check_cancellable(locked)
            held = _charge_lock(locked)
            wallet_ids = [held.principal_id, held.incentive_id]
            if outflow_since(account_ids=wallet_ids, since=locked.paid_at):
                raise ChargeNotCancellableError(
                    _("The wallet has been used since this charge, so it cannot be cancelled.")
                )
            try:
                _charge_reverse(locked, actor=by, memo=f"charge {locked.order_id} cancelled")
            except InsufficientBalanceError as exc:
                raise ChargeNotCancellableError(
                    _("Part of this charge has been spent, so it cannot be cancelled.")
                ) from exc
            if locked.provider_payment_key:
                provider_call_enqueue(
                    charge=locked, kind=ProviderCall.Kind.CANCEL, reason="cancelled by citizen"
                )
        return locked

    return with_retries(attempt)


@transaction.atomic
def _charge_close_waiting(charge: Charge, *, expired: bool) -> Charge:
    """Close a charge still waiting for the provider (locks its row; nothing in the ledger)."""
    locked = Charge.objects.select_for_update().get(pk=charge.pk)
    if locked.status != Charge.Status.CREATED:
        raise ChargeNotCancellableError(
            _("This charge is no longer waiting for payment: see how it ended.")
        )
    if expired and not _waited_too_long(locked):
        raise ChargeNotCancellableError(_("This charge has not waited long enough to expire."))
    locked.status = Charge.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.failure_reason = Charge.CLOSED_EXPIRED if expired else Charge.CLOSED_BY_CITIZEN
    locked.save(update_fields=["status", "cancelled_at", "failure_reason", "last_event_at"])
    if locked.purpose != "wallet":
        CHARGE_PURPOSES[locked.purpose].failed(locked)
    return locked


def charges_expire(*, now=None) -> int:
    """Close every charge left waiting for the provider longer than ``CHARGE_WAIT`` (the nightly
    run, after the providers' records have been applied, so a payment that did go through is
    credited first). One short transaction per charge, through ``charge_cancel``; abandoned
    charges are few. Returns how many were closed."""
    cutoff = (now or timezone.now()) - CHARGE_WAIT
    closed = 0
    waiting = Charge.objects.filter(status=Charge.Status.CREATED, created_at__lt=cutoff)
    for charge in waiting.order_by("id").iterator():
        try:
            charge_cancel(charge=charge, by=None)
        except ChargeNotCancellableError:  # settled meanwhile
            continue
        closed += 1
    return closed


def _charge_check_cancellable(charge: Charge) -> None:
    if charge.purpose != "wallet":
        raise ChargeNotCancellableError(
            _("This card payment paid for a prepayment pledge: cancel the pledge instead.")
        )
    if charge.status != Charge.Status.PAID:
        raise ChargeNotCancellableError(_("Only a paid charge can be cancelled."))
    if charge.refund_id is not None:
        raise ChargeNotCancellableError(
            _("This charge was paid back with the refund of your remaining balance.")
        )
    assert charge.paid_at is not None  # a paid charge has its time
    if timezone.now() - charge.paid_at > timedelta(days=CHARGE_CANCEL_DAYS):
        raise ChargeNotCancellableError(_("A charge can be cancelled within 7 days only."))


def _charge_lock(charge: Charge) -> WalletLocked:
    """The lock set of a charge's reversal: the usage row of the charge's month, then every
    account its entries posted to (the wallet's two, the clearing account, the budget shards)."""
    assert charge.business_date is not None  # only a credited charge is reversed
    return wallet_lock(
        user_id=charge.user_id,
        month=month_of(charge.business_date),
        rules=rules_on(business_date_today()),
        accounts=_reverse_legs(charge),
    )


def _reverse_legs(charge: Charge) -> dict[int, int]:
    """The mirror image of the charge's entry and of its incentive entry, by account."""
    legs: dict[int, int] = {}
    for entry in (charge.entry, _incentive_entry(charge)):
        if entry is None:
            continue
        for account_id, amount in entry_legs(entry_id=entry.pk):
            legs[account_id] = legs.get(account_id, 0) - amount
    return legs


def _incentive_entry(charge: Charge) -> Entry | None:
    if charge.incentive_entry_id:
        return charge.incentive_entry
    if not charge.incentive:
        return None
    # Charges credited before ``incentive_entry`` existed: found by their key.
    return Entry.objects.filter(idempotency_key=f"charge:{charge.order_id}:incentive").first()


def _charge_reverse(charge: Charge, *, actor, memo: str) -> Entry:
    """The one reversal of a wallet charge: post the mirror image of its entry and of its
    incentive entry as one cancellation, give the month's usage back, mark it cancelled.
    The caller holds the charge row and its lock set (``_charge_lock``); raises
    ``InsufficientBalanceError`` (nothing written) when the wallet no longer holds it."""
    legs = _reverse_legs(charge)
    cancellation = entry_post(
        kind=Entry.Kind.CANCELLATION,
        legs=[Leg(account_id, amount) for account_id, amount in legs.items() if amount],
        idempotency_key=f"charge:{charge.order_id}:cancel",
        actor=actor,
        memo=memo,
    )
    assert charge.business_date is not None
    usage = usage_lock(
        user_id=charge.user_id,
        month=month_of(charge.business_date),
        rules=rules_on(business_date_today()),
    )
    usage.charged = max(0, usage.charged - charge.amount)
    usage.incentive = max(0, usage.incentive - charge.incentive)
    usage.save(update_fields=["charged", "incentive"])
    charge.status = Charge.Status.CANCELLED
    charge.cancelled_at = timezone.now()
    charge.save(update_fields=["status", "cancelled_at", "last_event_at"])
    return cancellation


def charge_refunded_at_provider(charge: Charge, *, detail: str) -> CallbackOutcome:
    """The provider gave a paid charge's card payment back on its own side (a refund from its
    console, a chargeback). Runs in the callback's (or the reconciliation's) transaction, which
    holds the charge row. A wallet charge whose money is still in the wallet is reversed; one
    whose money was spent is flagged to staff (``ProviderDiscrepancy``), since the wallet cannot
    give back what it spent. A charge of another purpose goes to its owner's path."""
    if charge.purpose != "wallet":
        return CHARGE_PURPOSES[charge.purpose].refunded(charge)
    if charge.refund_id is not None:
        # The refund of the remaining balance paid it back already: the citizen has it twice.
        discrepancy_flag(
            charge=charge,
            kind=ProviderDiscrepancy.Kind.REFUNDED_AT_PROVIDER,
            detail=f"{detail}; already paid back by refund #{charge.refund_id}",
        )
        charge.save(update_fields=["last_event_at"])
        return CallbackOutcome("flagged", "refunded at the provider after a refund", charge.pk)
    try:
        with transaction.atomic():
            _charge_lock(charge)
            _charge_reverse(
                charge, actor=None, memo=f"charge {charge.order_id} refunded at the provider"
            )
    except InsufficientBalanceError:
        discrepancy_flag(
            charge=charge,
            kind=ProviderDiscrepancy.Kind.REFUNDED_AT_PROVIDER,
            detail=detail,
        )
        charge.save(update_fields=["last_event_at"])
        return CallbackOutcome(
            "flagged", "refunded at the provider; the money was spent", charge.pk
        )
    return CallbackOutcome("cancelled", "refunded at the provider", charge.pk)


def discrepancy_flag(
    *,
    charge: Charge | None,
    kind: str,
    detail: str,
    provider: str = "",
    order_id: str = "",
    amount: int | None = None,
) -> ProviderDiscrepancy:
    """Record (once per order and kind) a difference with a provider that staff must settle."""
    flag, _created = ProviderDiscrepancy.objects.get_or_create(
        provider=charge.provider if charge else provider,
        order_id=charge.order_id if charge else order_id,
        kind=kind,
        defaults={
            "charge": charge,
            "amount": charge.amount if amount is None and charge else (amount or 0),
            "detail": detail[:300],
            "business_date": business_date_today(),
        },
    )
    return flag


def charge_for_user(*, user: User, order_id: str) -> Charge:
    charge = Charge.objects.filter(user=user, order_id=order_id).first()
    if charge is None:
        raise ChargeNotFoundError()
    return charge
