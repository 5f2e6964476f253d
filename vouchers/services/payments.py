"""Wallet payments at shops, with cashback, and their cancellation by the shop.

The locked part of a payment runs in the database in one call (``wallet_pay()``); this module
decides the rates from the policy, creates what a first payment lacks, retries deadlocks, and
maps the function's refusals to domain errors.

A payment may have dependants in other programmes: a pledge paid from the wallet, the wallet
part of a prepaid redemption. Such a payment is reversed only with its dependant, through the
dependant's own path (``pledge_cancel``, ``redemption_cancel``); the apps that own them say so
through ``payment_dependant_register`` (vouchers imports none of them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from jeonju_prepay.exceptions import ApplicationError
from ledger.exceptions import IdempotencyConflictError, InsufficientBalanceError
from ledger.models import Account
from ledger.money import parse_amount
from ledger.services import (
    Idem,
    IdempotentResult,
    account_ids_get_or_create,
    business_date_today,
    entry_reverse,
    idempotency_replay,
    translate_db_error,
    with_retries,
)
from merchants.exceptions import (
    PaymentCodeExpiredError,
    PaymentCodeUsedError,
    ShopNotApprovedError,
)
from merchants.models import Device, Shop
from merchants.services import ResolvedCode

from ..exceptions import PaymentError, PaymentNotCancellableError
from ..models import Payment
from ..rules import Rules, rules_on
from .common import month_of, shard_of
from .usage import usage_cashback_return, usage_ensure, usage_row_lock
from .wallets import pin_verify, wallet_get_or_create


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

    A grant balance the shop may take (``wallet_grant_source()``: the grants app's rules) pays
    first; the rest comes from principal and incentive in proportion to their balances (the won
    that rounding leaves goes to principal). Cashback is not given on the grant's part unless
    its programme says so. Cashback is the rate for the shop's class and the citizen's group,
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
        *terms.sql_args(user.pk),
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

    def sql_args(self, user_id: int) -> list:
        """The arguments every money function of the counter takes after its own, in its order:
        the business date, its month, the cashback rate and cap, the citizen's shard."""
        return [
            self.today,
            month_of(self.today),
            self.rate_bp,
            self.cashback_cap,
            shard_of(user_id),
        ]


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
                    usage_ensure(user_id=user_id, month=month_of(today), rules=rules)
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


# --- Cancellation by the shop -------------------------------------------------------------------

PaymentDependant = Callable[[Payment], "ApplicationError | None"]
PAYMENT_DEPENDANTS: list[PaymentDependant] = []


def payment_dependant_register(check: PaymentDependant) -> None:
    """A higher app says which payments belong to one of its rows: ``check(payment)`` returns
    the refusal to raise (naming the path that reverses it) or None."""
    PAYMENT_DEPENDANTS.append(check)


def payment_cancel(*, payment: Payment, by: User, reason: str = "") -> Payment:
    """The shop's owner cancels a payment of the same business day: the money goes back to the
    wallet as it was spent and the cashback back to the budget.

    Refused (``PaymentNotCancellableError``, nothing moves) for someone who is not the owner, a
    payment already cancelled or of another day, a payment with a dependant (a pledge, a
    redemption: cancel that instead, with its own rules), or one whose cashback has been spent.
    Locks the payment row, then the accounts (in ``entry_reverse``)."""
    from merchants.selectors import member_role

    if member_role(user=by, shop=payment.shop) != "owner":
        raise PaymentNotCancellableError(
            _("Only the shop's owner cancels payments."), code="forbidden"
        )

    def attempt() -> Payment:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            for check in PAYMENT_DEPENDANTS:
                refusal = check(locked)
                if refusal is not None:
                    raise refusal
            if locked.status != Payment.Status.COMPLETED:
                raise PaymentNotCancellableError(_("This payment is cancelled already."))
            if locked.business_date != business_date_today():
                raise PaymentNotCancellableError(
                    _(
                        "Only payments of today can be cancelled at the counter; ask the city for"
                        " older ones."
                    )
                )
            try:
                payment_reverse(payment=locked, by=by, key=f"cancel:payment:{locked.pk}")
            except InsufficientBalanceError as exc:
                raise PaymentNotCancellableError(
                    _("The cashback of this payment has been spent; ask the city to cancel it.")
                ) from exc
        return locked

    return with_retries(attempt)


def payment_reverse(*, payment: Payment, by: User | None, key: str) -> None:
    """The one reversal of a wallet payment: its entry (and a pre-0004 payment's separate
    cashback entry) mirrored, the month's cashback given back, the row marked cancelled.

    For the owners of its paths only: ``payment_cancel`` above, and the dependants' own
    cancellations (a pledge, a redemption), which have checked their rules and hold the payment
    row. Raises ``InsufficientBalanceError`` (in a savepoint: nothing written) when the cashback
    has been spent. Locks the usage row of the payment's month before the accounts (the order
    of ``wallet_pay()``)."""
    usage_row_lock(user_id=payment.user_id, month=month_of(payment.business_date))
    with transaction.atomic():
        cashback_entry = payment.cashback_entry if payment.cashback_entry_id else None
        if cashback_entry is not None:
            entry_reverse(entry=cashback_entry, idempotency_key=f"{key}:cashback", actor=by)
        entry_reverse(entry=payment.entry, idempotency_key=key, actor=by)
    usage_cashback_return(payment=payment)
    payment.status = Payment.Status.CANCELLED
    payment.cancelled_at = timezone.now()
    payment.save(update_fields=["status", "cancelled_at"])
