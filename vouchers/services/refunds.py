"""The refund of the remaining balance, and its reversal.

The rule (Korean local-currency practice): the remaining principal may be refunded once 60% of
what was charged into the wallet has been used (80% when that is 10,000 won or less), less the
incentive, which returns to the budget. "What was charged" is the wallet charges that are paid
and not yet paid back by an earlier refund (``Charge.refund``): a card pledge is not a wallet
charge, a cancelled charge gave its money back already, and a refunded one never counts twice.

Locks, in this order: the citizen's unrefunded wallet charges (ascending id: the rows a charge
cancellation locks first too), then the wallet and budget accounts (ascending id).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.selectors import citizen_balances
from ledger.services import (
    Idem,
    IdempotentResult,
    Leg,
    account_ids_get_or_create,
    entry_post,
    entry_reverse,
    idempotent,
    with_retries,
)
from messaging.services import message_request

from ..exceptions import RefundNotAllowedError, WalletError
from ..models import Charge, Refund
from .common import REFUND_THRESHOLD_BP, REFUND_THRESHOLD_SMALL_BP, SMALL_CHARGE, shard_of
from .locks import wallet_lock


@dataclass(frozen=True)
class RefundCheck:
    allowed: bool
    charged_base: int
    principal: int
    incentive: int
    used: int
    used_ratio_bp: int
    threshold_bp: int


def _refundable_charges(user: User):
    return Charge.objects.filter(
        user=user, purpose="wallet", status=Charge.Status.PAID, refund__isnull=True
    )


def refund_check(*, user: User) -> RefundCheck:
    """Whether the remaining balance may be refunded now (see the module's docstring).
    ``used`` is what was charged less the principal left (never below 0)."""
    base = _refundable_charges(user).aggregate(total=Sum("amount"))["total"] or 0
    balances = citizen_balances(user_id=user.pk)
    used = max(0, base - balances.principal)
    ratio = used * 10_000 // base if base else 0
    threshold = REFUND_THRESHOLD_SMALL_BP if base <= SMALL_CHARGE else REFUND_THRESHOLD_BP
    allowed = base > 0 and balances.principal > 0 and ratio >= threshold
    return RefundCheck(
        allowed, base, balances.principal, balances.incentive, used, ratio, threshold
    )


def wallet_refund(*, user: User, idem: Idem) -> IdempotentResult:
    """Refund the remaining principal (to the citizen's bank account, out of the float) and
    return the incentive to the budget, when ``refund_check`` allows it. The wallet charges it
    pays back are marked with the refund, so they are neither counted nor cancelled again."""

    def operation() -> tuple[int, dict]:
        covered = list(
            _refundable_charges(user)
            .select_for_update()
            .order_by("id")
            .values_list("pk", flat=True)
        )
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
        float_spec = (Account.Kind.FLOAT, None, None, shard_of(user.pk))
        (float_id,) = account_ids_get_or_create([float_spec])
        held = wallet_lock(user_id=user.pk, shard=True, accounts=[float_id])
        principal_id, incentive_id, shard_id = held.principal_id, held.incentive_id, held.shard_id
        assert shard_id is not None  # asked for
        principal, incentive = held.principal, held.incentive
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
        Charge.objects.filter(pk__in=covered).update(refund=refund)
        transaction.on_commit(lambda: message_request(kind="vouchers.refund_done", object_id=refund.pk))  # fmt: skip
        return 201, {
            "refund_id": refund.pk,
            "principal_refunded": principal,
            "incentive_returned": incentive,
        }

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


def refund_reverse(*, refund: Refund, by: User, reason: str) -> Refund:
    """Staff reverse a refund whose bank transfer came back: the principal returns to the
    wallet from the float, the incentive from the budget, and the charges it paid back count
    toward the refund rule again. Once per refund. Refused when the budget no longer holds the
    incentive (``WalletError``; nothing moves). Locks the refund row, its charges, then the
    accounts."""
    if not by.has_perm("vouchers.change_policy"):
        raise WalletError(_("Only city staff reverse a refund."), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise WalletError(_("Say why the refund is reversed (e.g. the transfer came back)."))

    def attempt() -> Refund:
        with transaction.atomic():
            locked = Refund.objects.select_for_update().get(pk=refund.pk)
            if locked.reversed_at is not None:
                raise WalletError(_("This refund was reversed already."), code="already_reversed")
            list(Charge.objects.select_for_update().filter(refund=locked).order_by("id"))
            try:
                entry_reverse(
                    entry=locked.entry,
                    idempotency_key=f"refund:{locked.pk}:reverse",
                    actor=by,
                    memo=f"refund #{locked.pk} reversed: {reason}"[:200],
                )
            except InsufficientBalanceError as exc:
                raise WalletError(
                    _("The incentive budget no longer holds the incentive this refund returned.")
                ) from exc
            Charge.objects.filter(refund=locked).update(refund=None)
            locked.reversed_at = timezone.now()
            locked.reversed_by = by
            locked.reversal_reason = reason[:200]
            locked.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
        return locked

    return with_retries(attempt)
