"""Donations to the city's community fund, and grants out of it.

- A citizen gives a one-off amount from the wallet: principal and incentive in the proportion
  the wallet holds them (``ledger.money.split``, as a gift or a payment), straight to the fund.
- A citizen who chose to give every cashback has each business day's cashback (the sum of that
  day's completed payments' cashback) moved from the wallet's incentive to the fund by the
  nightly run, at most what the incentive holds then; once per citizen and day.
- A donation-angel shop (착한가게) gives ``share_bp`` of each day's net sales: just before the
  night's settlement pays the shop (``merchants.settlement.settlement_before_register``), the
  share moves from the shop's payable to the fund, so the payout is the sales less the gift;
  once per shop and day, never for a day already settled.
- City staff grant money out of the fund to a good cause; the fund's page shows every grant.

Locks: a citizen's wallet accounts and the fund in one statement, in id order
(``vouchers.services.locks.wallet_lock``); an angel shop's payable and the fund in id order.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
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
    idempotent,
    system_account,
    with_retries,
)
from merchants.models import Shop
from merchants.selectors import member_role
from messaging.services import message_request
from vouchers.models import Payment
from vouchers.services.locks import wallet_lock

from ..exceptions import DonationError
from ..models import AngelShop, Donation, DonationPreference, FundGrant

DONATION_MAX = 10_000_000


def fund_account_id() -> int:
    return system_account(Account.Kind.COMMUNITY_FUND).pk


def donation_give(*, user: User, amount, idem: Idem) -> IdempotentResult:
    """A one-off donation of ``amount`` won from ``user``'s wallet to the community fund, once
    per ``idem``. Returns ``(201, {"donation_id", "amount", "principal", "incentive"})``.
    Raises ``InvalidAmountError``, ``DonationError`` (more than the wallet holds): nothing
    moves. Locks the wallet's accounts and the fund in id order."""
    amount = parse_amount(amount, maximum=DONATION_MAX)
    fund_id = fund_account_id()

    def operation() -> tuple[int, dict]:
        held = wallet_lock(user_id=user.pk, accounts=[fund_id])
        if amount > held.principal + held.incentive:
            raise DonationError(
                _("Your wallet holds %(balance)s won, less than the donation.")
                % {"balance": f"{held.principal + held.incentive:,}"},
                code="insufficient_balance",
            )
        principal, incentive = split(amount, [held.principal, held.incentive])
        legs = [Leg(fund_id, amount)]
        if principal:
            legs.append(Leg(held.principal_id, -principal))
        if incentive:
            legs.append(Leg(held.incentive_id, -incentive))
        today = business_date_today()
        entry = entry_post(
            kind=Entry.Kind.DONATION,
            legs=legs,
            idempotency_key=f"{idem.scope}:{idem.key}",
            actor=user,
            memo="donation to the community fund",
            business_date=today,
        )
        donation = Donation.objects.create(
            source=Donation.Source.ONE_OFF,
            user=user,
            amount=amount,
            principal=principal,
            incentive=incentive,
            business_date=today,
            entry=entry,
        )
        transaction.on_commit(
            lambda: message_request(kind="solidarity.donation_thanks", object_id=donation.pk)
        )
        return 201, {
            "donation_id": donation.pk,
            "amount": amount,
            "principal": principal,
            "incentive": incentive,
        }

    return idempotent(
        scope=idem.scope, key=idem.key, request_fingerprint=idem.fingerprint, operation=operation
    )


@transaction.atomic
def donation_preference_set(*, user: User, cashback_to_fund: bool) -> DonationPreference:
    """Turn on or off giving every cashback to the community fund (from the next night on)."""
    preference, _created = DonationPreference.objects.update_or_create(
        user=user, defaults={"cashback_to_fund": bool(cashback_to_fund)}
    )
    return preference


def cashback_of_day(*, user_id: int, business_date: date) -> int:
    total = Payment.objects.filter(
        user_id=user_id, business_date=business_date, status=Payment.Status.COMPLETED
    ).aggregate(total=Sum("cashback"))["total"]
    return int(total or 0)


def cashback_donate(*, user_id: int, business_date: date) -> Donation | None:
    """Give the citizen's cashback of ``business_date`` to the fund (at most what the incentive
    holds now). Once per citizen and day: a repeat finds the row and moves nothing. Locks the
    wallet's accounts and the fund."""
    cashback = cashback_of_day(user_id=user_id, business_date=business_date)
    if cashback <= 0:
        return None
    fund_id = fund_account_id()

    def attempt() -> Donation | None:
        with transaction.atomic():
            held = wallet_lock(user_id=user_id, accounts=[fund_id])
            existing = Donation.objects.filter(
                user_id=user_id, business_date=business_date, source=Donation.Source.CASHBACK
            ).first()
            if existing is not None:
                return None
            amount = min(cashback, held.incentive)
            if amount <= 0:
                return None
            entry = entry_post(
                kind=Entry.Kind.DONATION,
                legs=[Leg(held.incentive_id, -amount), Leg(fund_id, amount)],
                idempotency_key=f"donation:cashback:{user_id}:{business_date.isoformat()}",
                memo="cashback given to the community fund",
                business_date=business_date,
            )
            return Donation.objects.create(
                source=Donation.Source.CASHBACK,
                user_id=user_id,
                amount=amount,
                incentive=amount,
                business_date=business_date,
                entry=entry,
            )

    return with_retries(attempt)


def cashback_donations_run(*, business_date: date) -> tuple[int, int]:
    """The nightly part: every citizen who gives every cashback gives the date's. Returns
    ``(donors, won)`` given now."""
    donors = won = 0
    for user_id in (
        DonationPreference.objects.filter(cashback_to_fund=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    ):
        donation = cashback_donate(user_id=user_id, business_date=business_date)
        if donation is not None:
            donors += 1
            won += donation.amount
    return donors, won


# --- Donation-angel shops -----------------------------------------------------------------------


@transaction.atomic
def angel_shop_join(*, shop: Shop, share_bp: int, by: User) -> AngelShop:
    """The shop's owner makes the shop a donation-angel shop giving ``share_bp`` (1-5000) of
    each day's net sales, from tonight's settlement on (or changes the share)."""
    if member_role(user=by, shop=shop) != "owner":
        raise DonationError(_("Only the shop's owner decides this."), code="forbidden")
    if isinstance(share_bp, bool) or not isinstance(share_bp, int) or not 1 <= share_bp <= 5000:
        raise DonationError(_("The share is from 0.01% to 50% of the day's sales."))
    angel, _created = AngelShop.objects.update_or_create(
        shop=shop, defaults={"share_bp": share_bp, "left_at": None}
    )
    return angel


@transaction.atomic
def angel_shop_leave(*, shop: Shop, by: User) -> None:
    if member_role(user=by, shop=shop) != "owner":
        raise DonationError(_("Only the shop's owner decides this."), code="forbidden")
    AngelShop.objects.filter(shop=shop, left_at__isnull=True).update(left_at=timezone.now())


def _net_sales_of_day(*, payable_id: int, business_date: date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger_postings"
            " WHERE account_id = %s AND business_date = %s",
            [payable_id, business_date],
        )
        return int(cursor.fetchone()[0])


def angel_shop_donate(*, angel: AngelShop, business_date: date) -> Donation | None:
    """Move the angel shop's share of ``business_date``'s net sales from its payable to the
    fund, unless the date is settled for the shop or given already. Locks the shop's payable
    and the fund (id order); the net sales are read under that lock."""
    from merchants.models import Statement

    fund_id = fund_account_id()
    payable = account_get_or_create(kind=Account.Kind.SHOP_PAYABLE, shop=angel.shop_id)

    def attempt() -> Donation | None:
        with transaction.atomic():
            accounts_lock([payable.pk, fund_id])
            if Statement.objects.filter(
                shop_id=angel.shop_id, business_date__gte=business_date
            ).exists():
                return None
            if Donation.objects.filter(
                shop_id=angel.shop_id,
                business_date=business_date,
                source=Donation.Source.ANGEL_SHOP,
            ).exists():
                return None
            net = _net_sales_of_day(payable_id=payable.pk, business_date=business_date)
            amount = apply_rate(net, angel.share_bp) if net > 0 else 0
            if amount <= 0:
                return None
            entry = entry_post(
                kind=Entry.Kind.DONATION,
                legs=[Leg(payable.pk, -amount), Leg(fund_id, amount)],
                idempotency_key=f"donation:angel:{angel.shop_id}:{business_date.isoformat()}",
                memo=f"donation-angel shop {angel.shop_id}: {angel.share_bp} bp of {net}",
                business_date=business_date,
            )
            return Donation.objects.create(
                source=Donation.Source.ANGEL_SHOP,
                shop_id=angel.shop_id,
                amount=amount,
                business_date=business_date,
                entry=entry,
            )

    return with_retries(attempt)


def angel_shops_donate(*, business_date: date) -> tuple[int, int]:
    """Every angel shop (joined and not left) gives its share of the date; ``(shops, won)``."""
    shops = won = 0
    for angel in AngelShop.objects.filter(left_at__isnull=True).order_by("shop_id"):
        donation = angel_shop_donate(angel=angel, business_date=business_date)
        if donation is not None:
            shops += 1
            won += donation.amount
    return shops, won


# --- Grants out of the fund ---------------------------------------------------------------------


def fund_grant(
    *, by: User, recipient: str, purpose: str, amount, idempotency_key: str
) -> FundGrant:
    """City staff grant ``amount`` from the community fund to ``recipient`` for ``purpose``
    (paid out of the city: the fund to the outside world). Refused beyond the fund's balance
    (``DonationError``; nothing moves). Once per ``idempotency_key``."""
    if not by.has_perm("vouchers.change_policy"):
        raise DonationError(_("Only city staff grant money from the fund."), code="forbidden")
    amount = parse_amount(amount)
    recipient = (recipient or "").strip()[:100]
    purpose = (purpose or "").strip()[:200]
    if not recipient or not purpose:
        raise DonationError(_("Say who receives the grant and what it is for."))
    fund_id, outside_id = account_ids_get_or_create(
        [(Account.Kind.COMMUNITY_FUND, None, None, 0), (Account.Kind.OUTSIDE_WORLD, None, None, 0)]
    )

    def attempt() -> FundGrant:
        with transaction.atomic():
            balances = accounts_lock([fund_id, outside_id])
            existing = FundGrant.objects.filter(
                entry__idempotency_key=f"fund_grant:{idempotency_key}"
            ).first()
            if existing is not None:
                return existing
            if amount > balances[fund_id]:
                raise DonationError(
                    _("The fund holds %(balance)s won.") % {"balance": f"{balances[fund_id]:,}"}
                )
            today = business_date_today()
            entry = entry_post(
                kind=Entry.Kind.FUND_GRANT,
                legs=[Leg(fund_id, -amount), Leg(outside_id, amount)],
                idempotency_key=f"fund_grant:{idempotency_key}",
                actor=by,
                memo=f"{recipient}: {purpose}"[:200],
                business_date=today,
            )
            return FundGrant.objects.create(
                recipient=recipient,
                purpose=purpose,
                amount=amount,
                business_date=today,
                entry=entry,
                created_by=by,
            )

    return with_retries(attempt)
