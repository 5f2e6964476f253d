"""Shop-to-shop payments: a shop pays another local shop or supplier from its unsettled sales,
instead of taking them out as cash and paying in cash. The won stays in the city (the
dashboard counts it as spent onward, ``dashboard.circulation``), and the payer's nightly
settlement pays out only what is left (``settlement_chunk``: ``Statement.spent_onward``).

Rules (per city, ``ShopPaymentPolicy``; the latest row is in force, defaults in
``selectors.shop_payment_policy_current``):

- only the payer shop's owner pays (clerks run the counter, not the money);
- the payer is approved and its settlement is not held (a fraud case under investigation);
- the payee is another approved shop, found by its code (the static QR the shop shows its
  customers), in a category the city allows to receive shop-to-shop payments;
- at most ``per_payment_limit`` won a payment and ``daily_limit`` won a business date per
  payer;
- at most the payer's unsettled balance (its ``shop_payable`` account): a shop spends only the
  sales the city owes it.

Worked example: a bakery sold 120,000 won today; it pays its flour mill 70,000 won. The
bakery's payable falls to 50,000 won, the mill's rises by 70,000 won; tonight the bakery's
statement reads gross 120,000, spent onward 70,000, payout 50,000, and the mill is paid its
own sales plus 70,000.

Every payment is one ``shop_payment`` ledger entry (payer's payable → payee's payable) with an
idempotency key; a retry with the same key replays the first answer and moves nothing.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.models import Account, Entry
from ledger.money import parse_amount
from ledger.services import (
    Idem,
    IdempotentResult,
    Leg,
    account_get_or_create,
    accounts_lock,
    business_date_today,
    entry_post,
    idempotency_replay,
    idempotent,
)

from .exceptions import (
    ShopError,
    ShopNotApprovedError,
    ShopPaymentBalanceError,
    ShopPaymentError,
    ShopPaymentLimitError,
    ShopPaymentPayeeError,
    ShopPermissionError,
    ShopSettlementHeldError,
)
from .models import Category, Shop, ShopEvent, ShopMember, ShopPayment, ShopPaymentPolicy
from .selectors import shop_by_code, shop_payment_policy_current


def _won(amount: int) -> str:
    return f"{amount:,}"


def shop_payment_pay(
    *, payer: Shop, payee_code: str, amount, by: User, idem: Idem, memo: str = ""
) -> IdempotentResult:
    """``payer`` pays the shop whose code is ``payee_code`` ``amount`` won from its unsettled
    sales, once per ``idem``. Returns the answer (201, the payment and the payer's balance left).

    Locks: the payer's shop row (``FOR SHARE``, so a settlement hold waits for payments in
    flight and a payment sees a hold made before it), then both payable accounts in id order.
    Raises ``ShopPermissionError``, ``ShopPaymentPayeeError``, ``ShopPaymentLimitError``,
    ``ShopPaymentBalanceError``, ``ShopSettlementHeldError``, ``ShopNotApprovedError``,
    ``InvalidAmountError``, ``IdempotencyConflictError``; a refusal changes nothing.
    """
    amount = parse_amount(amount)
    replay = idempotency_replay(idem)
    if replay is not None:
        return replay
    if not ShopMember.objects.filter(shop=payer, user=by, role=ShopMember.Role.OWNER).exists():
        raise ShopPermissionError(_("Only the shop's owner can pay other shops."))
    policy = shop_payment_policy_current()
    if not policy.enabled:
        raise ShopPaymentError(_("The city does not allow shop-to-shop payments at present."))
    payee = shop_by_code(payee_code)
    if payee is None or payee.status != Shop.Status.APPROVED:
        raise ShopPaymentPayeeError()
    if payee.pk == payer.pk:
        raise ShopPaymentPayeeError(_("A shop cannot pay itself."))
    if payee.category not in policy.payee_categories:
        raise ShopPaymentPayeeError(
            _("Shops of this category cannot receive shop-to-shop payments in this city.")
        )
    if amount > policy.per_payment_limit:
        raise ShopPaymentLimitError(
            _("One payment may be at most %(limit)s won.")
            % {"limit": _won(policy.per_payment_limit)}
        )
    memo = (memo or "").strip()[:100]
    payer_account = account_get_or_create(kind=Account.Kind.SHOP_PAYABLE, shop=payer.pk)
    payee_account = account_get_or_create(kind=Account.Kind.SHOP_PAYABLE, shop=payee.pk)

    def operation() -> tuple[int, dict]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status, settlement_held FROM merchants_shop WHERE id = %s FOR SHARE",
                [payer.pk],
            )
            status, held = cursor.fetchone()
        if status != Shop.Status.APPROVED:
            raise ShopNotApprovedError()
        if held:
            raise ShopSettlementHeldError()
        balances = accounts_lock([payer_account.pk, payee_account.pk])
        available = balances[payer_account.pk]
        if amount > available:
            raise ShopPaymentBalanceError(
                _("The shop's unsettled sales are %(available)s won; this payment needs more.")
                % {"available": _won(max(available, 0))},
                available=max(available, 0),
            )
        today = business_date_today()
        paid_today = (
            ShopPayment.objects.filter(payer=payer, business_date=today).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        if paid_today + amount > policy.daily_limit:
            raise ShopPaymentLimitError(
                _(
                    "A shop may pay other shops at most %(limit)s won a day; "
                    "%(left)s won is left today."
                )
                % {
                    "limit": _won(policy.daily_limit),
                    "left": _won(max(policy.daily_limit - paid_today, 0)),
                }
            )
        entry = entry_post(
            kind=Entry.Kind.SHOP_PAYMENT,
            legs=[Leg(payer_account.pk, -amount), Leg(payee_account.pk, amount)],
            idempotency_key=f"shop_payment:{idem.scope}:{idem.key}",
            actor=by,
            memo=f"{payer.name} → {payee.name}"[:200],
            business_date=today,
            savepoint=False,
        )
        payment = ShopPayment.objects.create(
            payer=payer,
            payee=payee,
            amount=amount,
            memo=memo,
            actor=by,
            entry_id=entry.pk,
            business_date=today,
        )
        return 201, {
            "payment": payment.pk,
            "entry": entry.pk,
            "payer": payer.pk,
            "payee": payee.pk,
            "payee_name": payee.name,
            "amount": amount,
            "unsettled_left": available - amount,
        }

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


def shop_payment_policy_set(
    *,
    by: User,
    enabled: bool,
    payee_categories: list[str],
    per_payment_limit: int,
    daily_limit: int,
) -> ShopPaymentPolicy:
    """Staff set the city's shop-to-shop payment rules (a new row; the latest is in force)."""
    if not by.has_perm("merchants.review_shop"):
        raise ShopPermissionError()
    if not set(payee_categories) <= set(Category.values):
        raise ShopError(_("Choose values from the lists."))
    per_payment_limit = parse_amount(per_payment_limit)
    daily_limit = parse_amount(daily_limit)
    if per_payment_limit > daily_limit:
        raise ShopPaymentLimitError(_("A payment's limit cannot be above the daily limit."))
    return ShopPaymentPolicy.objects.create(
        enabled=enabled,
        payee_categories=sorted(set(payee_categories)),
        per_payment_limit=per_payment_limit,
        daily_limit=daily_limit,
        changed_by=by,
    )


def shop_settlement_hold(*, shop: Shop, by: User, held: bool, reason: str) -> Shop:
    """Staff hold (``held=True``) or release a shop's settlement, with a reason, recorded as a
    ``ShopEvent``. While held, the nightly settlement skips the shop and it cannot pay other
    shops; its balance is paid whole at the first settlement after the release. Locks the shop
    row (waits for the shop's payments in flight). Holding a held shop changes nothing."""
    if not by.has_perm("merchants.review_shop"):
        raise ShopPermissionError(_("Only city staff hold a shop's settlement."))
    reason = (reason or "").strip()
    if not reason:
        raise ShopError(_("Give a reason; the owner will see it."))
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        if locked.settlement_held == held:
            return locked
        locked.settlement_held = held
        locked.save(update_fields=["settlement_held", "updated_at"])
        ShopEvent.objects.create(
            shop=locked,
            actor=by,
            action="settlement_hold" if held else "settlement_release",
            from_status=locked.status,
            to_status=locked.status,
            reason=reason,
        )
    return locked
