"""Reads for the counter: who a code belongs to (what a clerk may see of them), and today's
activity at a shop, payments and redemptions together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts.utils import mask_name
from campaigns.models import Redemption
from ledger.selectors import citizen_balances
from ledger.services import business_date_today
from vouchers.models import Payment


@dataclass(frozen=True)
class CounterLine:
    """One line of "today at the counter": a wallet payment or a redemption (with its wallet
    part, if any, on the same line)."""

    kind: str  # payment | redemption
    pk: int
    at: datetime
    customer: str
    amount: int  # the whole bill
    from_prepaid: int
    method: str
    cancelled: bool
    cancellable: bool  # by the shop's owner, today


def today_at_shop(*, shop, limit: int = 15) -> list[CounterLine]:
    today = business_date_today()
    redemptions = list(
        Redemption.objects.filter(shop=shop, business_date=today)
        .select_related("user", "payment")
        .order_by("-created_at")[:limit]
    )
    parts = {r.payment_id for r in redemptions if r.payment_id}
    payments = list(
        Payment.objects.filter(shop=shop, business_date=today)
        .exclude(pk__in=parts)
        .select_related("user")
        .order_by("-created_at")[:limit]
    )
    lines = [
        CounterLine(
            kind="payment",
            pk=p.pk,
            at=p.created_at,
            customer=p.user.name or "",
            amount=p.amount,
            from_prepaid=0,
            method=p.get_method_display(),
            cancelled=p.status == Payment.Status.CANCELLED,
            cancellable=p.status == Payment.Status.COMPLETED and p.method != Payment.Method.PLEDGE,
        )
        for p in payments
    ] + [
        CounterLine(
            kind="redemption",
            pk=r.pk,
            at=r.created_at,
            customer=r.user.name or "",
            amount=r.amount + (r.payment.amount if r.payment else 0),
            from_prepaid=r.amount,
            method="",
            cancelled=r.cancelled_at is not None,
            cancellable=r.cancelled_at is None,
        )
        for r in redemptions
    ]
    lines.sort(key=lambda line: line.at, reverse=True)
    return lines[:limit]


def identify_body(*, code_obj, shop) -> dict:
    balances = citizen_balances(user_id=code_obj.user.pk, shop_id=shop.pk)
    return {
        "citizen": {"name": mask_name(code_obj.user.name or code_obj.user.email.split("@")[0])},
        "shop": {"id": shop.pk, "name": shop.name},
        "prepaid_balance": balances.prepaid,
        "wallet_balance": balances.wallet,
        "principal": balances.principal,
        "incentive": balances.incentive,
        "grant": balances.grant,
        "code_expires_at": code_obj.expires_at,
    }
