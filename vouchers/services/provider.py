"""The payment provider's side of the wallet: its callbacks, and the nightly reconciliation of
its books with the ledger.

Card money lives in the ledger too: a provider's clearing accounts (one per shard) go down by
every card payment credited (the provider owes the city), up by every card payment given back,
and up by every payout the provider makes to the city's float account. So what the provider
still owes the city is minus their balance, and the nightly reconciliation (``provider_reconcile``)
checks it against the provider's own records to the won, order by order and in total.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import Account, Entry
from ledger.money import split
from ledger.selectors import account_balances_sum
from ledger.services import Leg, account_get_or_create, entry_post, retried, with_retries
from messaging.services import message_request

from ..exceptions import CallbackRejectedError, WalletError
from ..models import (
    Charge,
    ProviderCall,
    ProviderDiscrepancy,
    ProviderEvent,
    ProviderPayout,
    ProviderReconciliation,
)
from ..providers import PROVIDERS, CallbackEvent, get_provider
from .charges import (
    CHARGE_PURPOSES,
    CallbackOutcome,
    charge_credit,
    charge_failed_notify,
    charge_refunded_at_provider,
    discrepancy_flag,
)
from .common import shard_count
from .outbox import provider_call_enqueue, provider_calls_deliver_due

logger = logging.getLogger(__name__)

# A call still not confirmed by the provider after this long is a difference staff should see.
CALL_OVERDUE = timedelta(hours=24)


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
    return provider_event_apply(event)


def provider_event_apply(event: CallbackEvent) -> CallbackOutcome:
    """Apply a verified provider event once (its event id is kept; a replay is refused).
    A deadlock or serialization failure (a charge credited while the citizen pays) is tried
    again whole (``with_retries``)."""

    def attempt() -> CallbackOutcome:
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
            if outcome.charge_id is not None:
                charge_id = outcome.charge_id
                transaction.on_commit(lambda: message_request(kind="vouchers.charge_result", object_id=charge_id))  # fmt: skip
        return outcome

    try:
        return with_retries(attempt)
    except IntegrityError as exc:
        raise CallbackRejectedError(
            _("This callback was delivered before."), code="callback_replayed"
        ) from exc


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
            if charge.paid_at is None and event.payment_key:
                return _approved_after_closing(charge, event)
            charge.save(update_fields=["last_event_at"])
            return CallbackOutcome("ignored", "already settled", charge.pk)
        charge.provider_payment_key = event.payment_key
        if charge.purpose != "wallet":
            outcome = CHARGE_PURPOSES[charge.purpose].approved(charge)
        else:
            outcome = charge_credit(charge)
        if outcome.status == "over_limit":
            # The card was paid but the money cannot be taken: give it back, after commit.
            provider_call_enqueue(
                charge=charge, kind=ProviderCall.Kind.CANCEL, reason=charge.failure_reason
            )
        return outcome
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
            else:
                charge_failed_notify(charge)
            return CallbackOutcome("failed", event.event_type, charge.pk)
        if event.event_type == "payment.cancelled" and charge.status == Charge.Status.PAID:
            # A refund made at the provider (its console, a chargeback) reaches the ledger.
            return charge_refunded_at_provider(charge, detail=f"event {event.event_id}")
        charge.save(update_fields=["last_event_at"])
        return CallbackOutcome("ignored", "already settled", charge.pk)
    raise CallbackRejectedError(_("Unknown event type."), code="callback_unknown_type")


def _approved_after_closing(charge: Charge, event: CallbackEvent) -> CallbackOutcome:
    """The card was paid after the charge was closed unpaid (it expired, the citizen cancelled
    it, the provider had reported it failed): nothing is credited, and the card payment is given
    back through the outbox once this commits (once per charge)."""
    charge.provider_payment_key = event.payment_key
    charge.save(update_fields=["last_event_at", "provider_payment_key"])
    provider_call_enqueue(
        charge=charge, kind=ProviderCall.Kind.CANCEL, reason="paid after the charge was closed"
    )
    return CallbackOutcome("given_back", "paid after the charge was closed", charge.pk)


# --- Reconciliation ---------------------------------------------------------------------------


@dataclass
class ReconciliationReport:
    provider: str
    business_date: date
    orders_compared: int = 0
    provider_owes: int = 0
    clearing_owes: int = 0
    pending_cancels: int = 0
    payouts_recorded: int = 0
    calls: dict = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    differences: list[dict] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences and self.provider_owes - self.pending_cancels == (
            self.clearing_owes
        )


def clearing_owed(provider: str) -> int:
    """What the provider owes the city by the ledger: minus its clearing accounts' balances."""
    return -account_balances_sum(kind=Account.Kind.PROVIDER_CLEARING, provider=provider)


def provider_reconcile(*, provider_name: str, business_date: date) -> ReconciliationReport:
    """Compare one provider's books with the ledger, for the nightly run (re-runnable).

    1. Deliver the outbox's due calls, so that what we owe the provider is sent first.
    2. Record the provider's payouts to the city up to ``business_date`` in the ledger (clearing
       up, float down; once per payout).
    3. Order by order: apply what the provider did that we have not (an approval whose callback
       never arrived is credited through the same checks; a refund made on its side reverses the
       charge or is flagged), and flag what cannot be explained (a cancel we sent that it has not
       done after a day, amounts that differ, orders we do not know).
    4. In total: what the provider owes by its records, less the cancels still on their way to
       it, must equal what it owes by the ledger's clearing accounts.
    The figures are kept in ``ProviderReconciliation`` (one per provider and date), the
    differences as ``ProviderDiscrepancy`` rows for staff.
    """
    provider = get_provider(provider_name)
    report = ReconciliationReport(provider_name, business_date)
    report.calls = provider_calls_deliver_due()
    report.payouts_recorded = _payouts_record(provider, business_date)

    records = {r.order_id: r for r in provider.records()}
    charges = {
        c.order_id: c
        for c in Charge.objects.filter(provider=provider_name).only(
            "id", "order_id", "status", "amount", "purpose", "provider", "paid_at"
        )
    }
    pending = dict(
        ProviderCall.objects.filter(
            provider=provider_name, status=ProviderCall.Status.PENDING
        ).values_list("charge__order_id", "created_at")
    )
    now = timezone.now()
    for order_id, record in records.items():
        report.orders_compared += 1
        charge = charges.get(order_id)
        difference = _order_difference(record, charge, pending, now)
        if difference is None:
            continue
        kind, detail = difference
        if kind == "apply_approved":
            outcome = _apply_record(provider_name, record, "payment.approved")
            report.applied.append(f"{order_id}: {outcome}")
            continue
        if kind == "apply_cancelled":
            outcome = _apply_record(provider_name, record, "payment.cancelled")
            report.applied.append(f"{order_id}: {outcome}")
            if outcome != "flagged":
                continue
            kind, detail = ProviderDiscrepancy.Kind.REFUNDED_AT_PROVIDER, "spent before the refund"
        report.differences.append({"order_id": order_id, "kind": kind, "detail": detail})
        discrepancy_flag(
            charge=charge,
            kind=kind,
            detail=detail,
            provider=provider_name,
            order_id=order_id,
            amount=record.amount,
        )
    for order_id, charge in charges.items():
        if order_id not in records and charge.status == Charge.Status.PAID:
            detail = "paid here, unknown to the provider"
            report.differences.append(
                {"order_id": order_id, "kind": ProviderDiscrepancy.Kind.UNKNOWN_ORDER,
                 "detail": detail}
            )  # fmt: skip
            discrepancy_flag(
                charge=charge, kind=ProviderDiscrepancy.Kind.UNKNOWN_ORDER, detail=detail
            )

    approved = sum(r.amount for r in records.values() if r.approved_at is not None)
    cancelled = sum(
        r.amount for r in records.values() if r.approved_at is not None and r.status == "cancelled"
    )
    paid_out = ProviderPayout.objects.filter(provider=provider_name).aggregate(
        t=Sum(F("amount") + F("fee"))
    )
    report.provider_owes = approved - cancelled - (paid_out["t"] or 0)
    report.pending_cancels = (
        ProviderCall.objects.filter(
            provider=provider_name,
            status=ProviderCall.Status.PENDING,
            kind=ProviderCall.Kind.CANCEL,
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    report.clearing_owes = clearing_owed(provider_name)
    if report.provider_owes - report.pending_cancels != report.clearing_owes:
        detail = (
            f"the provider's records say {report.provider_owes:,} won owed "
            f"(less {report.pending_cancels:,} being cancelled), the ledger says "
            f"{report.clearing_owes:,}"
        )
        report.differences.append({"order_id": "", "kind": "totals", "detail": detail})
        discrepancy_flag(
            charge=None,
            kind=ProviderDiscrepancy.Kind.TOTALS,
            detail=detail,
            provider=provider_name,
            order_id=f"totals:{business_date.isoformat()}",
            amount=report.provider_owes - report.pending_cancels - report.clearing_owes,
        )
    ProviderReconciliation.objects.update_or_create(
        provider=provider_name,
        business_date=business_date,
        defaults={
            "orders_compared": report.orders_compared,
            "provider_owes": report.provider_owes - report.pending_cancels,
            "clearing_owes": report.clearing_owes,
            "differences": len(report.differences),
            "payouts_recorded": report.payouts_recorded,
            "calls_sent": report.calls.get("done", 0),
            "detail": report.differences[:200],
        },
    )
    return report


def _order_difference(record, charge, pending, now) -> tuple[str, str] | None:
    """What is wrong with one order, or None. ``apply_*``: something the provider did that the
    ledger can follow; anything else is a discrepancy kind with a sentence."""
    Kind = ProviderDiscrepancy.Kind
    if charge is None:
        if record.status in ("approved", "cancelled") and record.approved_at:
            return Kind.UNKNOWN_ORDER, "the provider took a payment for an order we do not have"
        return None
    if record.amount != charge.amount:
        return Kind.AMOUNT, f"provider {record.amount:,} won, here {charge.amount:,} won"
    ours = charge.status
    if record.status == "approved":
        if ours == Charge.Status.CREATED:
            return "apply_approved", "approved at the provider, no callback arrived"
        if ours in (Charge.Status.CANCELLED, Charge.Status.FAILED):
            since = pending.get(charge.order_id)
            if since is None and charge.paid_at is None:
                # Paid after the charge was closed unpaid, and no callback said so: apply it
                # (the card payment is given back).
                return "apply_approved", "approved at the provider after the charge was closed"
            if since is None:
                return Kind.NOT_CANCELLED_AT_PROVIDER, "no cancel is on its way to the provider"
            if now - since > CALL_OVERDUE:
                return Kind.NOT_CANCELLED_AT_PROVIDER, "the cancel was not confirmed in a day"
        return None
    if record.status == "cancelled" and record.approved_at is not None:
        if ours == Charge.Status.PAID:
            return "apply_cancelled", "refunded at the provider"
        if ours == Charge.Status.CREATED:
            return Kind.NOT_CREDITED, "approved and refunded at the provider, never credited here"
    return None


def _apply_record(provider_name: str, record, event_type: str) -> str:
    """Apply the provider's own record of an order as if its event had arrived (once per order
    and type: the event id is fixed)."""
    event = CallbackEvent(
        provider=provider_name,
        event_id=f"reconcile:{record.order_id}:{event_type}",
        event_type=event_type,
        order_id=record.order_id,
        amount=record.amount,
        payment_key=record.payment_key,
        occurred_at=(record.cancelled_at if event_type == "payment.cancelled" else None)
        or record.approved_at
        or timezone.now(),
    )
    try:
        return provider_event_apply(event).status
    except CallbackRejectedError as exc:
        return exc.code


def _payouts_record(provider, business_date: date) -> int:
    """Post each payout the provider made up to ``business_date`` that the ledger lacks:
    the provider's clearing shards up by the amount (split evenly), the float down."""
    recorded = 0
    known = set(
        ProviderPayout.objects.filter(provider=provider.name).values_list("payout_id", flat=True)
    )
    for payout in provider.payouts(upto=business_date):
        gross = payout.amount + payout.fee  # what leaves the clearing accounts
        if payout.payout_id in known or gross == 0:
            continue
        _payout_post(provider, payout)
        recorded += 1
    return recorded


@retried
def _payout_post(provider, payout) -> None:
    """One payout: its entry and its record, in one transaction (retried on a deadlock)."""
    gross = payout.amount + payout.fee
    with transaction.atomic():
        float_account = account_get_or_create(kind=Account.Kind.FLOAT, shard=0)
        shards = [
            account_get_or_create(
                kind=Account.Kind.PROVIDER_CLEARING, provider=provider.name, shard=n
            ).pk
            for n in range(shard_count())
        ]
        parts = _split_signed(gross, len(shards))
        legs = [Leg(s, p) for s, p in zip(shards, parts, strict=True) if p]
        if payout.amount:
            legs.append(Leg(float_account.pk, -payout.amount))
        if payout.fee:
            # The fee the provider kept out of the card money is the city's cost, not the
            # citizens': the clearing accounts are cleared of the whole gross amount.
            world = account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD)
            legs.append(Leg(world.pk, -payout.fee))
        entry = entry_post(
            kind=Entry.Kind.PROVIDER_PAYOUT,
            legs=legs,
            idempotency_key=f"provider-payout:{provider.name}:{payout.payout_id}",
            memo=f"{provider.name} payout {payout.payout_date.isoformat()}",
            business_date=payout.payout_date,
        )
        ProviderPayout.objects.get_or_create(
            provider=provider.name,
            payout_id=payout.payout_id,
            defaults={
                "payout_date": payout.payout_date,
                "amount": payout.amount,
                "fee": payout.fee,
                "entry": entry,
            },
        )


def _split_signed(amount: int, n: int) -> list[int]:
    parts = split(abs(amount), [1] * n)
    return parts if amount >= 0 else [-p for p in parts]


def providers_reconcile(*, business_date: date) -> list[ReconciliationReport]:
    """Reconcile every configured provider that this city has used."""
    used = set(Charge.objects.values_list("provider", flat=True).distinct())
    return [
        provider_reconcile(provider_name=name, business_date=business_date)
        for name in sorted(PROVIDERS)
        if name in used
    ]


def discrepancy_resolve(
    *, discrepancy: ProviderDiscrepancy, by, resolution: str
) -> ProviderDiscrepancy:
    """Staff record how a difference with a provider was settled (a transfer asked back, a
    write-off approved, a cancel confirmed by phone ...). Once; the row is never deleted."""
    if not by.has_perm("vouchers.change_policy"):
        raise WalletError(
            _("Only city staff settle differences with a provider."), code="forbidden"
        )
    resolution = (resolution or "").strip()
    if not resolution:
        raise WalletError(_("Say how the difference was settled."))
    with transaction.atomic():
        locked = ProviderDiscrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        if locked.resolved_at is not None:
            raise WalletError(_("This difference was settled already."), code="already_resolved")
        locked.resolved_at = timezone.now()
        locked.resolved_by = by
        locked.resolution = resolution[:300]
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return locked
