"""Reads shared by solidarity's pages, API and tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum

from accounts.models import User
from campaigns.models import Campaign
from campaigns.selectors import organisation_standings
from ledger.models import Account
from ledger.selectors import system_balances

from .models import AngelShop, Donation, DonationPreference, FundGrant, Gift, RelayNomination


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


@dataclass
class RelayNode:
    """One organisation in a campaign's relay: its figures, the baton it received (None for
    those that joined by themselves) and the organisations it passed the baton to."""

    organisation_id: int
    name: str
    joined: bool
    participants: int
    pledged: int
    nomination: RelayNomination | None = None
    children: list[RelayNode] = field(default_factory=list)


def relay_tree(*, campaign: Campaign) -> list[RelayNode]:
    """The campaign's relay as a forest: the organisations that joined without a baton are the
    roots; under each, the ones it nominated (joined or still invited), and so on."""
    standings = {s.organisation_id: s for s in organisation_standings(campaign)}
    nominations = list(
        RelayNomination.objects.filter(campaign=campaign)
        .select_related("nominee", "nominator")
        .order_by("created_at", "id")
    )
    nodes: dict[int, RelayNode] = {}

    def node(org_id: int, name: str) -> RelayNode:
        if org_id not in nodes:
            standing = standings.get(org_id)
            nodes[org_id] = RelayNode(
                organisation_id=org_id,
                name=name,
                joined=standing is not None,
                participants=standing.participants if standing else 0,
                pledged=standing.pledged if standing else 0,
            )
        return nodes[org_id]

    nominated = set()
    for nomination in nominations:
        child = node(nomination.nominee_id, nomination.nominee.name)
        child.nomination = nomination
        node(nomination.nominator_id, nomination.nominator.name).children.append(child)
        nominated.add(nomination.nominee_id)
    roots = [
        node(org_id, standing.name)
        for org_id, standing in standings.items()
        if org_id not in nominated
    ]
    return sorted(roots, key=lambda n: (-n.pledged, n.name))


def relay_invitations_for(*, user: User) -> list[RelayNomination]:
    """Invitations still open for the organisations ``user`` is a member of."""
    return list(
        RelayNomination.objects.filter(
            nominee__memberships__user=user, status=RelayNomination.Status.INVITED
        )
        .select_related("nominator", "nominee", "campaign")
        .order_by("created_at")
    )
