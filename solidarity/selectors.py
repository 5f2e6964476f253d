"""Reads shared by solidarity's pages, API and tasks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from accounts.models import User
from ledger.models import Account
from ledger.selectors import system_balances

from .models import AngelShop, Donation, DonationPreference, FundGrant, Gift


def gifts_of(*, user: User) -> QuerySet[Gift]:
    """Gifts the citizen sent or received, newest first."""
    return (
        Gift.objects.filter(Q(sender=user) | Q(recipient=user))
        .select_related("sender", "recipient")
        .order_by("-created_at", "-id")
    )


def gift_of_sender(*, user: User, gift_id: int) -> Gift | None:
    return Gift.objects.filter(pk=gift_id, sender=user).first()


def cashback_to_fund(*, user: User) -> bool:
    return bool(
        DonationPreference.objects.filter(user=user)
        .values_list("cashback_to_fund", flat=True)
        .first()
    )


def donations_of(*, user: User, year: int | None = None) -> QuerySet[Donation]:
    qs = Donation.objects.filter(user=user)
    if year is not None:
        qs = qs.filter(business_date__year=year)
    return qs.order_by("-business_date", "-id")


@dataclass(frozen=True)
class FundSummary:
    balance: int
    donated: int
    granted: int
    donors: int
    angel_shops: int
    by_source: dict


def fund_summary() -> FundSummary:
    """The public figures of the community fund: its balance (the ledger's), what came in by
    source, what went out, how many citizens gave and how many shops are angels."""
    by_source = {
        row["source"]: int(row["total"])
        for row in Donation.objects.values("source").annotate(total=Sum("amount"))
    }
    granted = FundGrant.objects.aggregate(total=Sum("amount"))["total"] or 0
    return FundSummary(
        balance=system_balances().get(Account.Kind.COMMUNITY_FUND, 0),
        donated=sum(by_source.values()),
        granted=int(granted),
        donors=Donation.objects.filter(user__isnull=False).values("user").distinct().count(),
        angel_shops=AngelShop.objects.filter(left_at__isnull=True).count(),
        by_source=by_source,
    )


def fund_grants(limit: int = 100) -> list[FundGrant]:
    return list(FundGrant.objects.order_by("-business_date", "-id")[:limit])


def angel_shops() -> list[AngelShop]:
    return list(
        AngelShop.objects.filter(left_at__isnull=True).select_related("shop").order_by("shop__name")
    )
