"""Expiry of prepaid value, closed shops and the guarantee fund."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.money import parse_amount
from ledger.services import (
    AccountSpec,
    Leg,
    account_get_or_create,
    accounts_lock_spec,
    entry_post,
    retried,
)
from merchants.models import Shop

from ..exceptions import (
    CampaignError,
)
from ..models import (
    Pledge,
    PledgeEvent,
)
from .common import require_manager

logger = logging.getLogger(__name__)

# --- Expiry, closed shops, the guarantee fund ---------------------------------------------------


@dataclass(frozen=True)
class ExpiryReport:
    business_date: date
    pledges: int
    amount: int
    shops: int
    replayed: bool = False


def prepaid_expire_due(*, as_of: date, business_date: date | None = None) -> ExpiryReport:
    """Expire the rest of every active pledge whose validity ended before ``as_of``: one ledger
    entry per shop (key ``expiry:<shop>:<as_of>``, so a second run posts nothing), the pledges
    marked expired and an event per pledge. Set-based: one database call (``prepaid_expire``,
    campaigns migration 0004) whatever the count. Locks the due pledge rows, then the accounts
    (inside ``ledger_post``)."""
    business_date = business_date or as_of
    # One call is one transaction: in autocommit when the caller has none (under Citus it then
    # runs on the city's worker, in one round trip), else as a savepoint.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(
            "SELECT pledge_id, amount FROM prepaid_expire(%s, %s)", [as_of, business_date]
        )
        rows = cursor.fetchall()
    total = sum(int(r[1]) for r in rows)
    shops = (
        Pledge.objects.filter(pk__in=[r[0] for r in rows]).values("shop_id").distinct().count()
        if rows
        else 0
    )
    return ExpiryReport(as_of, len(rows), total, shops)


@dataclass(frozen=True)
class ShopLiability:
    shop_id: int
    outstanding: int


def prepaid_liability_by_shop() -> list[ShopLiability]:
    """Outstanding prepaid value per shop (what each shop still owes its customers), from the
    ledger: minus the balance of the shop's ``prepaid_issued`` account."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT owner_shop_id, -balance FROM ledger_accounts"
            " WHERE kind = 'prepaid_issued' AND balance <> 0 ORDER BY owner_shop_id"
        )
        return [ShopLiability(shop_id, int(amount)) for shop_id, amount in cursor.fetchall()]


def redemptions_by_shop(*, business_date: date) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shop_id, SUM(amount) FROM campaigns_redemption WHERE business_date = %s"
            " GROUP BY shop_id",
            [business_date],
        )
        return {shop_id: int(total) for shop_id, total in cursor.fetchall()}


@retried
def guarantee_fund_add(*, by: User | None, amount, idempotency_key: str) -> Entry:
    """City money set aside to compensate citizens whose shop closed with prepaid balances."""
    require_manager(by)
    amount = parse_amount(amount, maximum=10**13)
    world = account_get_or_create(kind=Account.Kind.OUTSIDE_WORLD)
    fund = account_get_or_create(kind=Account.Kind.GUARANTEE_FUND)
    return entry_post(
        kind=Entry.Kind.FUNDING,
        legs=[Leg(world.pk, -amount), Leg(fund.pk, amount)],
        idempotency_key=f"guarantee:{idempotency_key}",
        actor=by,
        memo="guarantee fund",
    )


@retried
def closed_shop_refund(*, shop: Shop, by: User) -> dict:
    """Pay citizens back, from the guarantee fund into their wallets, the prepaid balances a
    closed shop still owed them. One entry for the shop; refused as a whole when the fund is
    short. Locks the shop's active pledges, then the accounts."""
    require_manager(by)
    if shop.status != Shop.Status.CLOSED:
        raise CampaignError(_("Only a closed shop's prepaid balances are refunded by the city."))
    with transaction.atomic():
        pledges = list(
            Pledge.objects.select_for_update()
            .filter(shop=shop, status=Pledge.Status.ACTIVE, remaining__gt=0)
            .order_by("id")
        )
        if not pledges:
            return {"citizens": 0, "amount": 0}
        per_user: dict[int, int] = {}
        for pledge in pledges:
            per_user[pledge.user_id] = per_user.get(pledge.user_id, 0) + pledge.remaining
        total = sum(per_user.values())
        fund = account_get_or_create(kind=Account.Kind.GUARANTEE_FUND)
        specs: list[AccountSpec] = [(Account.Kind.PREPAID_ISSUED, None, shop.pk, 0)]
        for user_id in sorted(per_user):
            specs += [
                (Account.Kind.PREPAID, user_id, shop.pk, 0),
                (Account.Kind.WALLET_PRINCIPAL, user_id, None, 0),
            ]
        locked = accounts_lock_spec(specs)
        issued_id = locked[0][0]
        legs = [Leg(fund.pk, -total), Leg(issued_id, total)]
        for n, user_id in enumerate(sorted(per_user)):
            prepaid_id, principal_id = locked[1 + 2 * n][0], locked[2 + 2 * n][0]
            legs += [Leg(prepaid_id, -per_user[user_id]), Leg(principal_id, per_user[user_id])]
        try:
            entry = entry_post(
                kind=Entry.Kind.REFUND,
                legs=legs,
                idempotency_key=f"closed-shop-refund:{shop.pk}:{pledges[-1].pk}",
                actor=by,
                memo=f"prepaid balances of closed shop {shop.name} refunded from the guarantee fund"[
                    :200
                ],
                savepoint=False,
            )
        except InsufficientBalanceError as exc:
            raise CampaignError(
                _("The guarantee fund holds less than the %(amount)s won to refund.")
                % {"amount": f"{total:,}"}
            ) from exc
        Pledge.objects.filter(pk__in=[p.pk for p in pledges]).update(
            status=Pledge.Status.REFUNDED, remaining=0, closed_at=timezone.now()
        )
        PledgeEvent.objects.bulk_create(
            [
                PledgeEvent(pledge=p, action="refunded", amount=p.remaining, actor=by, entry=entry)
                for p in pledges
            ]
        )
    return {"citizens": len(per_user), "amount": total, "entry_id": entry.pk}
