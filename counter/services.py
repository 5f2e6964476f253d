"""What happens at the counter. Every path starts from the customer's code (typed or scanned):
``payment_code_resolve`` checks it at this shop (and counts failures); the money moves in one
call of the programme that owns it (``vouchers.services.wallet_pay``,
``campaigns.services.prepaid_redeem``), which spends the code under its locks.

``bill_pay`` is the one way a bill is split: the prepaid balance at this shop first, the rest
from the wallet, in one step. The clerk's page and the ``counter/bills`` API both use it; the
device API's older calls (``counter/payments``: the wallet only; ``counter/redemptions``:
explicit amounts) stay for devices that send them.

Each call is idempotent on the caller's key; a retry after the code was spent gets the first
answer (the code's second use would otherwise be refused).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.exceptions import InsufficientPrepaidError
from campaigns.services import prepaid_redeem
from jeonju_prepay.exceptions import ApplicationError
from ledger.exceptions import InsufficientBalanceError
from ledger.money import parse_amount
from ledger.selectors import citizen_balances
from ledger.services import Idem, IdempotentResult, idempotency_replay
from merchants.exceptions import PaymentCodeUsedError
from merchants.models import Device, Shop
from merchants.services import ResolvedCode, payment_code_resolve
from vouchers.models import Payment
from vouchers.services import wallet_pay


class BillNotCoveredError(ApplicationError):
    """The prepaid balance and the wallet together hold less than the bill."""

    code = "insufficient_balance"


def _resolve(*, shop: Shop, code: str, idem: Idem, device, actor, client_ip):
    """The customer's code, or the stored answer when this is a retry of a request that went
    through (and spent the code). Returns ``(code, replay)``: one of them is None."""
    try:
        resolved = payment_code_resolve(
            code=code, shop=shop, device=device, actor=actor, client_ip=client_ip
        )
    except PaymentCodeUsedError:
        replay = idempotency_replay(idem)
        if replay is not None:
            return None, replay
        raise
    return resolved, None


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
    """A wallet payment from the customer's code (customer-presented)."""
    amount = parse_amount(amount)
    resolved, replay = _resolve(
        shop=shop, code=code, idem=idem, device=device, actor=actor, client_ip=client_ip
    )
    if replay is not None:
        return replay
    return _wallet(resolved, shop=shop, amount=amount, idem=idem, device=device, actor=actor)


def _wallet(resolved: ResolvedCode, *, shop, amount, idem, device, actor) -> IdempotentResult:
    return wallet_pay(
        user=resolved.user,
        shop=shop,
        amount=amount,
        method=Payment.Method.CUSTOMER_CODE,
        idem=idem,
        device=device,
        actor=actor,
        code=resolved,
        citizen_group=resolved.citizen_group,
    )


def counter_redeem(
    *,
    shop: Shop,
    code: str,
    amount,
    idem: Idem,
    wallet_amount=None,
    device: Device | None = None,
    actor: User | None = None,
    client_ip: str | None = None,
) -> IdempotentResult:
    """Redeem ``amount`` of the customer's prepaid balance at ``shop`` (earliest-expiring pledges
    first); with ``wallet_amount``, the rest of the bill from the wallet in the same step."""
    amount = parse_amount(amount)
    wallet_amount = parse_amount(wallet_amount) if wallet_amount not in (None, 0, "0", "") else None
    resolved, replay = _resolve(
        shop=shop, code=code, idem=idem, device=device, actor=actor, client_ip=client_ip
    )
    if replay is not None:
        return replay
    return prepaid_redeem(
        user=resolved.user,
        shop=shop,
        amount=amount,
        idem=idem,
        wallet_amount=wallet_amount,
        device=device,
        actor=actor,
        code=resolved,
    )


def bill_pay(
    *,
    shop: Shop,
    code: str,
    amount,
    idem: Idem,
    device: Device | None = None,
    actor: User | None = None,
    client_ip: str | None = None,
) -> IdempotentResult:
    """Take a bill of ``amount`` won: from the customer's prepaid balance at this shop first,
    the rest from the wallet, in one step (one ledger transaction). The answer is the bill's
    (``bill_body``), whichever path it took; a retry gets the first answer.

    Raises ``BillNotCoveredError`` naming both balances when together they hold less than the
    bill, and the code's, shop's and idempotency errors of the paths it takes. Nothing moves on
    a refusal."""
    amount = parse_amount(amount)
    resolved, replay = _resolve(
        shop=shop, code=code, idem=idem, device=device, actor=actor, client_ip=client_ip
    )
    if replay is not None:
        return _as_bill(replay, amount)
    balances = citizen_balances(user_id=resolved.user.pk, shop_id=shop.pk)
    from_prepaid = min(amount, balances.prepaid)
    try:
        if from_prepaid == 0:
            result = _wallet(
                resolved, shop=shop, amount=amount, idem=idem, device=device, actor=actor
            )
        else:
            result = prepaid_redeem(
                user=resolved.user,
                shop=shop,
                amount=from_prepaid,
                wallet_amount=(amount - from_prepaid) or None,
                idem=idem,
                device=device,
                actor=actor,
                code=resolved,
            )
    except (InsufficientBalanceError, InsufficientPrepaidError) as exc:
        now = citizen_balances(user_id=resolved.user.pk, shop_id=shop.pk)
        raise BillNotCoveredError(
            _(
                "The prepaid balance at this shop (%(prepaid)s won) and the wallet (%(wallet)s"
                " won) together hold %(total)s won, less than the bill of %(bill)s won."
            )
            % {
                "prepaid": f"{now.prepaid:,}",
                "wallet": f"{now.wallet:,}",
                "total": f"{now.prepaid + now.wallet:,}",
                "bill": f"{amount:,}",
            },
            prepaid=now.prepaid,
            wallet=now.wallet,
            bill=amount,
        ) from exc
    return _as_bill(result, amount)


def _as_bill(result: IdempotentResult, amount: int) -> IdempotentResult:
    return IdempotentResult(result.status_code, bill_body(result.body, amount), result.replayed)


def bill_body(body: dict, amount: int) -> dict:
    """One shape for a bill's answer, from a payment's or a redemption's stored answer."""
    if "redemption_id" in body:
        wallet = body.get("wallet_payment") or {}
        return {
            "bill": amount,
            "from_prepaid": body["amount"],
            "from_wallet": wallet.get("amount", 0),
            "from_grant": wallet.get("from_grant", 0),
            "cashback": wallet.get("cashback", 0),
            "redemption_id": body["redemption_id"],
            "payment_id": wallet.get("payment_id"),
            "prepaid_balance": body["prepaid_balance"],
            "wallet_balance": wallet.get("wallet_balance"),
            "business_date": body["business_date"],
        }
    return {
        "bill": amount,
        "from_prepaid": 0,
        "from_wallet": body["amount"],
        "from_grant": body.get("from_grant", 0),
        "cashback": body["cashback"],
        "redemption_id": None,
        "payment_id": body["payment_id"],
        "prepaid_balance": None,
        "wallet_balance": body["wallet_balance"],
        "business_date": body["business_date"],
    }
