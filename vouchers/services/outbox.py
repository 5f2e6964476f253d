"""The outbox of calls to payment providers: money at a provider changes only after the ledger
side has committed, and a call that fails is retried until the provider confirms.

A service that reverses card money writes a ``ProviderCall`` in its own transaction, next to the
ledger entry (``provider_call_enqueue``); the row and the entry commit together or not at all.
After commit the call is delivered (a Celery task; eagerly in the web process when there is no
broker). ``provider_call_deliver`` locks the row (``SKIP LOCKED``: two deliverers never send the
same call at once), sends it with the row's own idempotency key (a provider that sees it twice
does it once), and marks it done; a failure counts the attempt and sets the next one with a
backoff. ``provider_calls_deliver_due`` (Celery beat, and the nightly reconciliation) picks up
every call that is due, so a call survives a lost task, a dead worker or a provider outage.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Charge, ProviderCall
from ..providers import ProviderError, get_provider

logger = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


def provider_call_enqueue(*, charge: Charge, kind: str, reason: str) -> ProviderCall:
    """Write the call in the caller's transaction; deliver it once that commits."""
    call, _created = ProviderCall.objects.get_or_create(
        charge=charge,
        kind=kind,
        defaults={
            "provider": charge.provider,
            "payment_key": charge.provider_payment_key,
            "amount": charge.amount,
            "reason": reason[:200],
        },
    )
    transaction.on_commit(lambda: _deliver_later(call.pk))
    return call


def _deliver_later(call_id: int) -> None:
    from ..tasks import provider_call_deliver_task

    try:
        provider_call_deliver_task.delay(call_id)
    except Exception:  # the broker is down: the periodic sweep delivers it
        logger.warning("provider call %s queued for the sweep", call_id, exc_info=True)


def provider_call_deliver(*, call_id: int) -> str:
    """Send one call if it is still pending and nobody else is sending it. Returns ``done``,
    ``retry`` (failed, attempt counted) or ``skipped`` (done already, or held elsewhere)."""
    with transaction.atomic():
        call = (
            ProviderCall.objects.select_for_update(skip_locked=True)
            .filter(pk=call_id, status=ProviderCall.Status.PENDING)
            .first()
        )
        if call is None:
            return "skipped"
        call.attempts += 1
        try:
            provider = get_provider(call.provider)
            if call.kind == ProviderCall.Kind.CANCEL:
                provider.cancel_payment(
                    payment_key=call.payment_key,
                    amount=call.amount,
                    reason=call.reason,
                    idempotency_key=f"call-{call.pk}",
                )
        except ProviderError as exc:
            delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** min(call.attempts - 1, 10))
            call.next_attempt_at = timezone.now() + delay
            call.last_error = str(exc)[:300]
            call.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            logger.warning("provider call %s failed (attempt %s): %s", call.pk, call.attempts, exc)
            return "retry"
        call.status = ProviderCall.Status.DONE
        call.done_at = timezone.now()
        call.last_error = ""
        call.save(update_fields=["attempts", "status", "done_at", "last_error"])
        return "done"


def provider_calls_deliver_due(*, limit: int = 500) -> dict[str, int]:
    """Deliver every pending call whose next attempt is due. Returns counts by outcome."""
    due = list(
        ProviderCall.objects.filter(
            status=ProviderCall.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"done": 0, "retry": 0, "skipped": 0}
    for call_id in due:
        counts[provider_call_deliver(call_id=call_id)] += 1
    return counts
