"""Redemption of prepaid value at the counter, and its same-day cancellation."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.exceptions import InsufficientBalanceError
from ledger.services import (
    Idem,
    IdempotentResult,
    accounts_lock_spec,
    business_date_today,
    entry_reverse,
    with_retries,
)
from merchants.exceptions import ShopNotApprovedError
from merchants.models import Device, Shop, ShopMember
from merchants.services import ResolvedCode
from vouchers import services as wallet
from vouchers.models import Payment

from ..exceptions import (
    InsufficientPrepaidError,
    RedemptionNotCancellableError,
)
from ..models import (
    Pledge,
    PledgeEvent,
    Redemption,
)
from .locks import prepaid_specs

logger = logging.getLogger(__name__)

# --- Redemption at the counter ----------------------------------------------------------------


def prepaid_redeem(
    *,
    user: User,
    shop: Shop,
    amount: int,
    idem: Idem,
    wallet_amount: int | None = None,
    device: Device | None = None,
    actor: User | None = None,
    code: ResolvedCode | None = None,
) -> IdempotentResult:
    """The locked part of a redemption, in one database call (``prepaid_redeem()``, campaigns
    migration 0002): locks the citizen's pledge rows at the shop, then the prepaid accounts, then
    (for a wallet remainder) what ``wallet_pay`` locks."""
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotApprovedError()
    terms = wallet.payment_terms(
        user=user, shop=shop, citizen_group=getattr(code, "citizen_group", None)
    )
    params = [
        user.pk,
        shop.pk,
        amount,
        wallet_amount,
        getattr(device, "pk", None),
        getattr(actor, "pk", None),
        getattr(code, "pk", None),
        idem.scope,
        idem.key,
        idem.fingerprint,
        *terms.sql_args(user.pk),
        shop.name[:150],
    ]
    return wallet.run_money_function(
        sql="SELECT prepaid_redeem(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        params=params,
        user_id=user.pk,
        shop_id=shop.pk,
        rules=terms.rules,
        extra_specs=prepaid_specs(user.pk, shop.pk),
        translate=_redemption_error,
    )


def _redemption_error(exc) -> Exception | None:
    cause = exc.__cause__
    if getattr(cause, "pgcode", None) != "JP201":
        return None
    available = int(getattr(getattr(cause, "diag", None), "message_hint", "0") or 0)
    return InsufficientPrepaidError(
        _("The prepaid balance at this shop is %(balance)s won, less than the amount.")
        % {"balance": f"{available:,}"}
    )


def redemption_cancel(*, redemption: Redemption, by: User) -> Redemption:
    """The shop's owner cancels a redemption of the same business day (a wrong amount, a bill
    voided): the prepaid value goes back to the pledges it came from, and its wallet part, if
    any, back to the wallet with its cashback returned to the budget.

    Refused (``RedemptionNotCancellableError``, nothing moves) for someone who is not the owner,
    a redemption already cancelled or of another day, a pledge it came from that has closed
    since, or a wallet part whose cashback has been spent. Locks the redemption row, the pledge
    rows it came from (ascending id), the prepaid accounts, then the payment and wallet
    accounts."""
    from merchants.selectors import member_role

    if member_role(user=by, shop=redemption.shop) != ShopMember.Role.OWNER:
        raise RedemptionNotCancellableError(
            _("Only the shop's owner cancels redemptions."), code="forbidden"
        )

    def attempt() -> Redemption:
        with transaction.atomic():
            locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
            if locked.cancelled_at is not None:
                raise RedemptionNotCancellableError(_("This redemption is cancelled already."))
            if locked.business_date != business_date_today():
                raise RedemptionNotCancellableError(
                    _("Only redemptions of today can be cancelled at the counter.")
                )
            parts = list(locked.parts.order_by("pledge_id"))
            pledges = {
                p.pk: p
                for p in Pledge.objects.select_for_update()
                .filter(pk__in=[part.pledge_id for part in parts])
                .order_by("id")
            }
            if any(
                p.status not in (Pledge.Status.ACTIVE, Pledge.Status.USED) for p in pledges.values()
            ):
                raise RedemptionNotCancellableError(
                    _(
                        "A pledge this redemption came from has closed since, so it cannot be undone."
                    )
                )
            accounts_lock_spec(prepaid_specs(locked.user_id, locked.shop_id))
            key = f"cancel:redemption:{locked.pk}"
            try:
                with transaction.atomic():
                    entry = entry_reverse(entry=locked.entry, idempotency_key=key, actor=by)
                    if locked.payment_id:
                        payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
                        wallet.payment_reverse(payment=payment, by=by, key=f"{key}:payment")
            except InsufficientBalanceError as exc:
                raise RedemptionNotCancellableError(
                    _("The cashback of this bill's wallet part has been spent; ask the city.")
                ) from exc
            for part in parts:
                pledge = pledges[part.pledge_id]
                pledge.remaining += part.amount
                pledge.status = Pledge.Status.ACTIVE
                pledge.closed_at = None
                pledge.save(update_fields=["remaining", "status", "closed_at"])
                PledgeEvent.objects.create(
                    pledge=pledge,
                    action="redemption_cancelled",
                    amount=part.amount,
                    actor=by,
                    entry=entry,
                    note=f"redemption #{locked.pk}",
                )
            locked.cancelled_at = timezone.now()
            locked.cancelled_by = by
            locked.save(update_fields=["cancelled_at", "cancelled_by"])
        return locked

    return with_retries(attempt)
