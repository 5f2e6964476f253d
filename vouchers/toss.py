"""Charges through Toss Payments: the confirm after the payment window, Toss's webhooks, charges
left waiting by a timeout, refunds made from Toss's console, and the settlement comparison.

Every path ends the same way: a payment object read from Toss's API (never what a browser or a
webhook body claims) is sealed and applied by ``charge_callback_handle`` (signature, age, event
id once, amount against the charge, order of events), except a refund of a charge we had
already credited, which that path hands to the charge's one reversal path.

Timeouts: a confirm whose answer is lost may still have charged the card. The charge then stays
``created``; the order is read back from Toss at once, and again by the success page, the
webhook Toss sends on approval, and ``toss_charges_sync`` (a periodic task), whichever comes
first. The confirm itself carries an ``Idempotency-Key``, so sending it again charges nothing
twice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .exceptions import CallbackRejectedError, ChargeError, ChargeNotFoundError
from .models import Charge, ProviderDiscrepancy
from .provider_toss import (
    CONFIRM_REFUSALS,
    ProviderRefusedError,
    ProviderUnavailableError,
    TossClient,
    event_from_payment,
    seal,
    toss_config,
    webhook_signature_valid,
)
from .services import (
    CHARGE_PURPOSES,
    CallbackOutcome,
    charge_callback_handle,
    discrepancy_flag,
)

logger = logging.getLogger(__name__)

PENDING = "pending"


def _clean_key(value, *, name: str, limit: int = 200) -> str:
    value = "" if value is None else str(value)
    if not value or len(value) > limit or not value.isascii() or not value.isprintable():
        raise ChargeError(_("The payment provider's answer is missing %(name)s.") % {"name": name})
    return value


# --- Applying what Toss's API said ----------------------------------------------------------------


def toss_payment_apply(payment: dict) -> CallbackOutcome:
    """Apply a payment object read from Toss's API to its charge, once.

    Everything goes through ``charge_callback_handle`` (sealed: signature, age, event id once,
    amount, order of events), which is also where a refund of a paid charge (from Toss's
    console, or Toss's answer to our own cancel) takes the one reversal path of a charge
    (``charge_refunded_at_provider``: reversed, or flagged to staff when the money was spent).
    A partial refund is flagged for staff to settle. A state already applied is ``ignored``.
    """
    event = event_from_payment(payment)
    if event is None:
        return CallbackOutcome(PENDING, str(payment.get("status", "")))
    charge = Charge.objects.filter(order_id=event.order_id, provider="toss").first()
    if charge is None:
        raise CallbackRejectedError(_("No such order."), code="callback_unknown_order")
    if event.event_type == "payment.partially_cancelled":
        discrepancy_flag(
            charge=charge,
            kind=ProviderDiscrepancy.Kind.AMOUNT,
            detail="partially refunded at the provider; settle by hand",
        )
        logger.error("toss: order %s partially refunded at the provider", charge.order_id)
        return CallbackOutcome("flagged", "partially refunded at the provider", charge.pk)
    body, headers = seal(payment)
    try:
        return charge_callback_handle(provider_name="toss", raw_body=body, headers=headers)
    except CallbackRejectedError as exc:
        if exc.code == "callback_replayed":
            return CallbackOutcome("ignored", "already applied", charge.pk)
        raise


# --- The confirm (the success URL) -------------------------------------------------------------


def toss_charge_confirm(*, user: User, order_id, payment_key, amount) -> CallbackOutcome:
    """Confirm the payment Toss's window sent the citizen back with, and credit the charge.

    The amount is checked against the charge before Toss is asked (so a tampered amount is
    never confirmed: Toss lets an unconfirmed payment expire). A charge already paid with this
    payment key answers ``credited`` again (a reloaded page). When Toss does not answer, the
    charge stays waiting and the answer is ``pending``: sending the same confirm again is
    safe. Raises ``ChargeNotFoundError``, ``ChargeError``, ``ProviderRefusedError``.
    """
    order_id = _clean_key(order_id, name="orderId", limit=64)
    payment_key = _clean_key(payment_key, name="paymentKey")
    charge = Charge.objects.filter(user=user, order_id=order_id, provider="toss").first()
    if charge is None:
        raise ChargeNotFoundError()
    if charge.status == Charge.Status.PAID and charge.provider_payment_key == payment_key:
        return CallbackOutcome("credited", "already credited", charge.pk)
    if charge.status != Charge.Status.CREATED:
        raise ChargeError(_("This charge is closed already."), code="charge_closed")
    if str(amount) != str(charge.amount):
        raise ChargeError(
            _("The amount does not match the order."), code="callback_amount_mismatch"
        )
    client = TossClient()
    try:
        payment = client.confirm(payment_key=payment_key, order_id=order_id, amount=charge.amount)
    except ProviderUnavailableError:
        # The card may have been charged: ask Toss what became of the order.
        return _charge_look_up(charge, client)
    except ProviderRefusedError as exc:
        if exc.provider_code in ("ALREADY_PROCESSED_PAYMENT", "PROVIDER_ERROR"):
            return _charge_look_up(charge, client)
        if exc.provider_code in CONFIRM_REFUSALS:
            return toss_payment_apply(
                {
                    "paymentKey": payment_key,
                    "orderId": order_id,
                    "status": "ABORTED",
                    "totalAmount": charge.amount,
                    "lastTransactionKey": exc.provider_code,
                }
            )
        raise
    if str(payment.get("orderId")) != order_id or payment.get("totalAmount") != charge.amount:
        logger.error("toss confirm of %s answered another order or amount", order_id)
        raise ChargeError(
            _("The amount does not match the order."), code="callback_amount_mismatch"
        )
    return toss_payment_apply(payment)


def _charge_look_up(charge: Charge, client: TossClient) -> CallbackOutcome:
    try:
        payment = client.payment_by_order(charge.order_id)
    except ProviderUnavailableError:
        return CallbackOutcome(PENDING, "the provider has not answered yet", charge.pk)
    except ProviderRefusedError as exc:
        if exc.provider_code == "NOT_FOUND_PAYMENT":
            return CallbackOutcome(PENDING, "not found at the provider yet", charge.pk)
        raise
    return toss_payment_apply(payment)


def toss_charge_fail(*, user: User, order_id, code) -> Charge:
    """The payment window sent the citizen to the fail URL (cancelled, card refused): the
    charge ends ``failed``. Nothing was paid: Toss never confirms a payment we did not."""
    order_id = _clean_key(order_id, name="orderId", limit=64)
    code = ("" if code is None else str(code))[:60]
    with transaction.atomic():
        charge = (
            Charge.objects.select_for_update()
            .filter(user=user, order_id=order_id, provider="toss")
            .first()
        )
        if charge is None:
            raise ChargeNotFoundError()
        if charge.status == Charge.Status.CREATED:
            charge.status = Charge.Status.FAILED
            charge.failure_reason = code or "payment window closed"
            charge.save(update_fields=["status", "failure_reason"])
            if charge.purpose != "wallet":
                CHARGE_PURPOSES[charge.purpose].failed(charge)
    return charge


# --- Webhooks -------------------------------------------------------------------------------------


def toss_webhook_handle(*, raw_body: bytes, headers) -> CallbackOutcome:
    """A webhook from Toss. Only the payment key is taken from the body; the payment itself is
    read back from Toss's API with our secret key. A signed webhook (Toss signs payout and
    seller events) must carry a valid signature when a security key is configured. Events other
    than payment status changes are answered ``ignored``.

    Raises ``CallbackRejectedError`` (malformed, forged, unknown payment) and
    ``ProviderUnavailableError`` (Toss did not answer: Toss sends the webhook again later).
    """
    config = toss_config()
    signed = bool(headers.get("tosspayments-webhook-signature"))
    if (
        signed
        and config.webhook_security_key
        and not webhook_signature_valid(
            raw_body=raw_body, headers=headers, security_key=config.webhook_security_key
        )
    ):
        raise CallbackRejectedError(
            _("The callback's signature does not match."), code="callback_bad_signature"
        )
    try:
        body = json.loads(raw_body)
        event_type = str(body.get("eventType", ""))
        data = body.get("data") or {}
        payment_key = data.get("paymentKey") if isinstance(data, dict) else None
    except (ValueError, AttributeError) as exc:
        raise CallbackRejectedError(
            _("The callback body is malformed."), code="callback_malformed"
        ) from exc
    if event_type != "PAYMENT_STATUS_CHANGED":
        return CallbackOutcome("ignored", f"event {event_type[:40]} not used")
    try:
        payment_key = _clean_key(payment_key, name="paymentKey")
    except ChargeError as exc:
        raise CallbackRejectedError(exc.message, code="callback_malformed") from exc
    try:
        payment = TossClient(config).payment(payment_key)
    except ProviderRefusedError as exc:
        raise CallbackRejectedError(
            _("The payment provider does not know this payment."), code="callback_unknown_payment"
        ) from exc
    try:
        return toss_payment_apply(payment)
    except CallbackRejectedError as exc:
        if exc.code == "callback_unknown_order":
            # A payment of this merchant account that is not a charge of this city: say so
            # once in the log and let Toss stop sending it.
            logger.warning("toss webhook for an order that is not ours: %s", payment.get("orderId"))
            return CallbackOutcome("ignored", "not an order of this city")
        raise


# --- Charges left waiting ---------------------------------------------------------------------


def toss_charges_sync(*, older_than: timedelta = timedelta(minutes=2), within=timedelta(days=1)):
    """Read back from Toss every Toss charge still waiting that was started between ``within``
    and ``older_than`` ago, and apply what Toss says (a confirm that timed out, a webhook that
    never came). Returns ``{outcome: count}``."""
    now = timezone.now()
    waiting = Charge.objects.filter(
        provider="toss",
        status=Charge.Status.CREATED,
        created_at__lte=now - older_than,
        created_at__gte=now - within,
    ).order_by("id")
    client = TossClient()
    counts: dict[str, int] = {}
    for charge in waiting.iterator():
        try:
            outcome = _charge_look_up(charge, client)
        except (CallbackRejectedError, ProviderRefusedError) as exc:
            logger.warning("toss sync of %s: %s", charge.order_id, exc)
            outcome = CallbackOutcome("rejected", str(exc), charge.pk)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


# --- The settlement comparison --------------------------------------------------------------------


@dataclass
class SettlementReport:
    """Toss's records of one day against our charges (``toss_settlement_compare``)."""

    day: date
    toss_approved: int = 0
    toss_cancelled: int = 0
    fees: int = 0
    payout: int = 0
    ours_paid: int = 0
    ours_refunded: int = 0
    missing_here: list[str] = field(default_factory=list)  # Toss has money we did not credit
    missing_there: list[str] = field(default_factory=list)  # we credited money Toss has not
    amount_mismatches: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing_here or self.missing_there or self.amount_mismatches)


def toss_settlement_compare(*, day: date) -> SettlementReport:
    """Compare Toss's transactions of ``day`` (Asia/Seoul; approvals and cancellations) and its
    settlement records (fees, payout) with this city's Toss charges paid or refunded that day."""
    client = TossClient()
    start = datetime.combine(day, time.min)
    end = datetime.combine(day, time(23, 59, 59))
    report = SettlementReport(day=day)
    approved: dict[str, int] = {}
    cancelled: dict[str, int] = {}
    for tx in client.transactions(start=start, end=end):
        order, amount, status = str(tx.get("orderId")), int(tx.get("amount", 0)), tx.get("status")
        if status == "DONE":
            approved[order] = approved.get(order, 0) + amount
        elif status in ("CANCELED", "PARTIAL_CANCELED"):
            cancelled[order] = cancelled.get(order, 0) + abs(amount)
    for record in client.settlements(start=day, end=day):
        report.fees += sum(int(fee.get("fee", 0)) for fee in record.get("fees") or [])
        report.payout += int(record.get("payOutAmount", 0))
    report.toss_approved = sum(approved.values())
    report.toss_cancelled = sum(cancelled.values())
    window = (timezone.make_aware(start), timezone.make_aware(end + timedelta(seconds=1)))
    ours_paid = dict(
        Charge.objects.filter(provider="toss", paid_at__gte=window[0], paid_at__lt=window[1])
        .exclude(status=Charge.Status.FAILED)
        .values_list("order_id", "amount")
    )
    ours_refunded = dict(
        Charge.objects.filter(
            provider="toss",
            status=Charge.Status.CANCELLED,
            cancelled_at__gte=window[0],
            cancelled_at__lt=window[1],
            paid_at__isnull=False,
        ).values_list("order_id", "amount")
    )
    report.ours_paid = sum(ours_paid.values())
    report.ours_refunded = sum(ours_refunded.values())
    for mine, theirs in ((ours_paid, approved), (ours_refunded, cancelled)):
        for order in sorted(set(theirs) - set(mine)):
            report.missing_here.append(order)
        for order in sorted(set(mine) - set(theirs)):
            report.missing_there.append(order)
        for order in sorted(set(mine) & set(theirs)):
            if mine[order] != theirs[order]:
                report.amount_mismatches.append((order, mine[order], theirs[order]))
    return report
