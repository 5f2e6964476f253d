"""Reads about campaigns: progress toward targets, organisations' standings, a citizen's
pledges and prepaid balances. Progress is computed with aggregate SQL over pledges (one row per
pledge, not per ledger posting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from ledger.models import Account, Posting
from ledger.services import business_date_today
from merchants.models import Category, Shop
from merchants.selectors import shop_policy_current

from .models import Campaign, CampaignShop, Organisation, Phase, Pledge

COUNTED = ["active", "used", "expired", "refunded"]


@dataclass(frozen=True)
class Progress:
    participants: int
    pledged: int
    redeemed: int
    outstanding: int
    pledges: int
    target_participants: int
    target_amount: int

    @property
    def participants_percent(self) -> int:
        return _percent(self.participants, self.target_participants)

    @property
    def amount_percent(self) -> int:
        return _percent(self.pledged, self.target_amount)

    def as_dict(self) -> dict:
        return {
            "participants": self.participants,
            "pledged": self.pledged,
            "redeemed": self.redeemed,
            "outstanding": self.outstanding,
            "pledges": self.pledges,
            "target_participants": self.target_participants,
            "target_amount": self.target_amount,
            "participants_percent": self.participants_percent,
            "amount_percent": self.amount_percent,
        }


def _percent(value: int, target: int) -> int:
    return 0 if target <= 0 else min(100, value * 100 // target)


def _progress(qs, target_participants: int, target_amount: int) -> Progress:
    row = qs.filter(status__in=COUNTED).aggregate(
        participants=Count("user", distinct=True),
        pledged=Sum("amount"),
        remaining=Sum("remaining", filter=Q(status="active")),
        pledges=Count("id"),
    )
    return Progress(
        participants=row["participants"] or 0,
        pledged=row["pledged"] or 0,
        redeemed=_redeemed(qs),
        outstanding=row["remaining"] or 0,
        pledges=row["pledges"] or 0,
        target_participants=target_participants,
        target_amount=target_amount,
    )


def _redeemed(qs) -> int:
    from .models import RedemptionPart

    total = RedemptionPart.objects.filter(pledge__in=qs.values("id")).aggregate(t=Sum("amount"))[
        "t"
    ]
    return int(total or 0)


def campaign_progress(campaign: Campaign) -> Progress:
    return _progress(
        Pledge.objects.filter(campaign=campaign),
        campaign.target_participants,
        campaign.target_amount,
    )


def phase_progress(campaign: Campaign) -> list[tuple[Phase, Progress]]:
    return [
        (
            phase,
            _progress(
                Pledge.objects.filter(phase=phase), phase.target_participants, phase.target_amount
            ),
        )
        for phase in campaign.phases.order_by("number")
    ]


@dataclass(frozen=True)
class Standing:
    organisation_id: int
    name: str
    kind: str
    members: int
    participants: int
    pledged: int


def organisation_standings(campaign: Campaign) -> list[Standing]:
    """Participating organisations by amount pledged for them in the campaign."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT o.id, o.name, o.kind,
                   (SELECT COUNT(*) FROM campaigns_membership m WHERE m.organisation_id = o.id),
                   COUNT(DISTINCT p.user_id), COALESCE(SUM(p.amount), 0)
              FROM campaigns_organisation o
              JOIN campaigns_organisation_campaigns oc ON oc.organisation_id = o.id
              LEFT JOIN campaigns_pledge p ON p.organisation_id = o.id AND p.campaign_id = %s
                                          AND p.status = ANY(%s)
             WHERE oc.campaign_id = %s
             GROUP BY o.id, o.name, o.kind
             ORDER BY COALESCE(SUM(p.amount), 0) DESC, o.name
            """,
            [campaign.pk, COUNTED, campaign.pk],
        )
        return [
            Standing(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in cursor.fetchall()
        ]


def campaigns_open(day: date | None = None) -> QuerySet[Campaign]:
    day = day or business_date_today()
    return Campaign.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by("ends_on")


def campaigns_all() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("-starts_on", "-id")


def campaign_shops(
    *, campaign: Campaign, district: str = "", category: str = "", query: str = ""
) -> QuerySet[CampaignShop]:
    qs = CampaignShop.objects.filter(
        campaign=campaign, active=True, shop__status=Shop.Status.APPROVED
    ).select_related("shop")
    if district:
        qs = qs.filter(shop__district=district)
    if category:
        qs = qs.filter(shop__category=category)
    if query:
        qs = qs.filter(Q(shop__name__icontains=query) | Q(shop__address__icontains=query))
    return qs.order_by("shop__district", "shop__name")


def campaign_districts(campaign: Campaign) -> list[str]:
    return list(
        CampaignShop.objects.filter(
            campaign=campaign, active=True, shop__status=Shop.Status.APPROVED
        )
        .order_by("shop__district")
        .values_list("shop__district", flat=True)
        .distinct()
    )


def campaign_categories(campaign: Campaign) -> list[str]:
    """The categories of the campaign's approved shops, outside those the city's shop policy
    excludes (a shop registered before a category was excluded is not offered as a filter)."""
    excluded = set(shop_policy_current().excluded_categories)
    found = (
        CampaignShop.objects.filter(
            campaign=campaign, active=True, shop__status=Shop.Status.APPROVED
        )
        .values_list("shop__category", flat=True)
        .distinct()
    )
    return [c for c in Category.values if c in set(found) and c not in excluded]


@dataclass(frozen=True)
class PrepaidAtShop:
    shop: Shop
    balance: int
    pledges: list[Pledge]


def citizen_prepaid(*, user) -> list[PrepaidAtShop]:
    """The citizen's prepaid balances by shop (from the ledger) with the pledges behind them."""
    balances = dict(
        Account.objects.filter(kind=Account.Kind.PREPAID, owner_user=user).values_list(
            "owner_shop_id", "balance"
        )
    )
    pledges = list(
        Pledge.objects.filter(user=user)
        .exclude(status__in=["failed"])
        .select_related("shop", "campaign")
        .order_by("shop__name", "-created_at")
    )
    by_shop: dict[int, PrepaidAtShop] = {}
    for pledge in pledges:
        entry = by_shop.get(pledge.shop_id)
        if entry is None:
            entry = by_shop[pledge.shop_id] = PrepaidAtShop(
                pledge.shop, int(balances.get(pledge.shop_id, 0)), []
            )
        entry.pledges.append(pledge)
    return sorted(by_shop.values(), key=lambda e: (-e.balance, e.shop.name))


def prepaid_history(*, user, shop: Shop, limit: int = 100) -> QuerySet[Posting]:
    return (
        Posting.objects.filter(
            account__kind=Account.Kind.PREPAID,
            account__owner_user=user,
            account__owner_shop_id=shop.pk,
        )
        .select_related("entry")
        .order_by("-entry_id")[:limit]
    )


def organisations_of(user) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).prefetch_related("campaigns")


@dataclass(frozen=True)
class ClosedShop:
    shop: Shop
    outstanding: int
    citizens: int


def closed_shops_outstanding() -> list[ClosedShop]:
    """Closed shops with prepaid value still owed to citizens (from active pledges)."""
    rows = (
        Pledge.objects.filter(shop__status=Shop.Status.CLOSED, status="active", remaining__gt=0)
        .values("shop_id")
        .annotate(outstanding=Sum("remaining"), citizens=Count("user", distinct=True))
        .order_by("-outstanding")
    )
    shops = Shop.objects.in_bulk([r["shop_id"] for r in rows])
    return [ClosedShop(shops[r["shop_id"]], int(r["outstanding"]), r["citizens"]) for r in rows]


def guarantee_fund_balance() -> int:
    return int(
        Account.objects.filter(kind=Account.Kind.GUARANTEE_FUND)
        .values_list("balance", flat=True)
        .first()
        or 0
    )


# --- What a citizen may still pledge (shown before the pledge form; checked by pledge_terms) ----

# Pledges that count against the per-citizen and per-shop limits: a pledge waiting for its card
# payment holds its room until it is paid or fails.
LIMIT_COUNTED = [
    Pledge.Status.AWAITING_PAYMENT,
    Pledge.Status.ACTIVE,
    Pledge.Status.USED,
    Pledge.Status.EXPIRED,
]


def pledged_by_citizen(*, campaign: Campaign, user, exclude: Pledge | None = None) -> int:
    """Won the citizen has pledged in the campaign, as the per-citizen limit counts it."""
    qs = Pledge.objects.filter(campaign=campaign, user=user, status__in=LIMIT_COUNTED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return int(qs.aggregate(s=Sum("amount"))["s"] or 0)


def pledged_at_shop(*, campaign: Campaign, shop: Shop, exclude: Pledge | None = None) -> int:
    """Won pledged to the shop in the campaign, as the per-shop cap counts it."""
    qs = Pledge.objects.filter(campaign=campaign, shop=shop, status__in=LIMIT_COUNTED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return int(qs.aggregate(s=Sum("amount"))["s"] or 0)


def organisation_of(*, user, campaign: Campaign) -> Organisation | None:
    """The participating organisation the citizen's pledges count for (the first joined)."""
    return (
        Organisation.objects.filter(campaigns=campaign, memberships__user=user)
        .order_by("id")
        .first()
    )


@dataclass(frozen=True)
class PledgeOutlook:
    """What the pledge page tells a citizen before the form: the phase open today and its
    rule, how much more they may pledge in the campaign and the shop may take, and, when they
    cannot pledge now, why (``blocked``: "no_phase", "members_only", "citizen_limit",
    "shop_cap")."""

    phase: Phase | None
    next_open_phase: Phase | None  # the next phase open to everyone, for a non-member
    organisation: Organisation | None
    pledged: int
    citizen_room: int
    shop_room: int | None  # None: the campaign sets no cap per shop
    min_pledge: int
    max_pledge: int

    @property
    def members_only(self) -> bool:
        return bool(self.phase and self.phase.members_only)

    @property
    def room(self) -> int:
        """The most the citizen can pledge here now (before the per-pledge maximum)."""
        return (
            self.citizen_room if self.shop_room is None else min(self.citizen_room, self.shop_room)
        )

    @property
    def blocked(self) -> str:
        if self.phase is None:
            return "no_phase"
        if self.members_only and self.organisation is None:
            return "members_only"
        if self.citizen_room < self.min_pledge:
            return "citizen_limit"
        if self.shop_room is not None and self.shop_room < self.min_pledge:
            return "shop_cap"
        return ""


def pledge_outlook(
    *, user, campaign: Campaign, shop: Shop, day: date | None = None
) -> PledgeOutlook:
    day = day or business_date_today()
    phase = None
    if campaign.starts_on <= day <= campaign.ends_on:
        phase = campaign.phases.filter(starts_on__lte=day, ends_on__gte=day).first()
    next_open = (
        campaign.phases.filter(members_only=False, starts_on__gt=day).order_by("starts_on").first()
    )
    pledged = pledged_by_citizen(campaign=campaign, user=user)
    shop_room = None
    if campaign.cap_per_shop is not None:
        shop_room = max(0, campaign.cap_per_shop - pledged_at_shop(campaign=campaign, shop=shop))
    return PledgeOutlook(
        phase=phase,
        next_open_phase=next_open,
        organisation=organisation_of(user=user, campaign=campaign),
        pledged=pledged,
        citizen_room=max(0, campaign.max_per_citizen - pledged),
        shop_room=shop_room,
        min_pledge=campaign.min_pledge,
        max_pledge=campaign.max_pledge,
    )


def pledge_result_url(charge) -> str | None:
    """The page of the pledge a card charge paid for (where the provider's return page sends
    the citizen), or None when no pledge waits for this charge."""
    from django.urls import reverse

    pledge_id = Pledge.objects.filter(charge=charge).values_list("pk", flat=True).first()
    return reverse("campaigns:pledge-done", args=[pledge_id]) if pledge_id else None


def pledge_of_user(*, user, pledge_id: int) -> Pledge | None:
    return (
        Pledge.objects.filter(pk=pledge_id, user=user)
        .select_related("campaign", "shop", "phase", "organisation", "charge")
        .first()
    )
