"""The figures as tables and charts for the page and the exports (labels, columns, order)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Organisation, Phase
from merchants.models import Category, Shop

from .. import rollups
from ..tables import Column, Table
from .reads import _outstanding_now
from .sums import BUDGET, CASHBACK_KINDS, PAID_FROM, CampaignFigures, ShopFigures, ShopRow


def _days_table(filters, kinds, per_day):
    rows = []
    for day in filters.days():
        k = kinds.get(day, {})
        shop = per_day.get(day, ShopFigures())

        def amount(entry_kind, *account_kinds, k=k):
            return sum(k.get((entry_kind, a), (0, 0, 0))[0] for a in account_kinds)

        rows.append(
            [
                day,
                amount("charge", "wallet_principal"),
                -amount("payment", *PAID_FROM),
                shop.pledged,
                shop.redeemed,
                -amount("incentive", BUDGET) - amount("cancellation", BUDGET),
                -sum(amount(kind, BUDGET) for kind in CASHBACK_KINDS),
                shop.released,
            ]
        )
    table = Table(
        "days",
        _("By day"),
        [
            Column(_("Date"), "date"),
            Column(_("Charges"), "won"),
            Column(_("Wallet payments"), "won"),
            Column(_("Prepaid issued"), "won"),
            Column(_("Redeemed"), "won"),
            Column(_("Incentives"), "won"),
            Column(_("Cashback"), "won"),
            Column(_("Released into the market"), "won"),
        ],
        rows,
    )
    chart = {
        "labels": [r[0].isoformat() for r in rows],
        "charges": [r[1] for r in rows],
        "payments": [r[2] for r in rows],
        "pledged": [r[3] for r in rows],
        "redeemed": [r[4] for r in rows],
    }
    return table, chart


def _budget_table(filters, kinds, totals):
    """The budget per day of the range; what was funded and used before it is the totals'
    (up to the end of the range) less the range's days."""
    days = []
    for day in filters.days():
        day_funded = day_used = 0
        for (entry_kind, account_kind), (amount, _n, _r) in kinds.get(day, {}).items():
            if account_kind != BUDGET:
                continue
            if entry_kind in ("funding", "adjustment"):
                day_funded += amount
            else:
                day_used -= amount
        days.append((day, day_funded, day_used))
    funded = totals.budget_funded - sum(d[1] for d in days)
    used = totals.budget_used - sum(d[2] for d in days)
    rows = []
    for day, day_funded, day_used in days:
        funded += day_funded
        used += day_used
        rows.append([day, day_funded, day_used, funded - used])
    table = Table(
        "budget",
        _("Incentive budget"),
        [
            Column(_("Date"), "date"),
            Column(_("Funded"), "won"),
            Column(_("Granted (incentives and cashback)"), "won"),
            Column(_("Left at the end of the day"), "won"),
        ],
        rows,
    )
    chart = {"labels": [r[0].isoformat() for r in rows], "remaining": [r[3] for r in rows]}
    return table, chart


def _group_table(name, rows: list[ShopRow], *, label) -> Table:
    labels = dict(Category.choices) if name == "categories" else {}
    ordered = sorted(rows, key=lambda r: (-r.released, r.key))
    title = _("By district (dong)") if name == "districts" else _("By shop category")
    return Table(
        name,
        title,
        [
            Column(label, "text"),
            Column(_("Shops"), "int"),
            Column(_("Released into the market"), "won"),
            Column(_("Prepaid issued"), "won"),
            Column(_("Redeemed"), "won"),
            Column(_("Outstanding prepaid now"), "won"),
        ],
        [
            [
                str(labels.get(r.key, r.key)),
                r.shops,
                r.released,
                r.pledged,
                r.redeemed,
                r.outstanding,
            ]
            for r in ordered
        ],
    )


def _shop_columns():
    return [
        Column(_("Shop"), "text"),
        Column(_("District (dong)"), "text"),
        Column(_("Category"), "text"),
    ]


def _shop_cells(row: ShopRow) -> list:
    district, category, _status = (row.attrs or "||").split("|", 2)
    return [row.key, district, str(dict(Category.choices).get(category, category))]


def _top_shops(rows: list[ShopRow]) -> Table:
    return Table(
        "top_shops",
        _("Top shops"),
        [
            *_shop_columns(),
            Column(_("Released into the market"), "won"),
            Column(_("Payments and pledges"), "int"),
            Column(_("Prepaid issued"), "won"),
            Column(_("Redeemed"), "won"),
            Column(_("Outstanding prepaid now"), "won"),
        ],
        [
            [*_shop_cells(r), r.released, r.count, r.pledged, r.redeemed, r.outstanding]
            for r in rows
        ],
    )


def _outstanding_table(rows: list[ShopRow]) -> Table:
    status = dict(Shop.Status.choices)
    return Table(
        "outstanding",
        _("Largest outstanding prepaid balances"),
        [
            *_shop_columns(),
            Column(_("Status"), "text"),
            Column(_("Redeemed"), "won"),
            Column(_("Outstanding prepaid now"), "won"),
        ],
        [
            [
                *_shop_cells(r),
                str(status.get((r.attrs or "").rsplit("|", 1)[-1], "")),
                r.redeemed,
                r.outstanding,
            ]
            for r in rows
        ],
    )


def _campaign_tables(filters, campaign_sums, campaign_to_date, participants):
    """Per campaign (with targets), per phase and per organisation: the range's figures, with
    the prepaid value still outstanding at the end of the range."""
    by_campaign: dict[int, CampaignFigures] = defaultdict(CampaignFigures)
    by_phase: dict[int, CampaignFigures] = defaultdict(CampaignFigures)
    by_org: dict[int | None, CampaignFigures] = defaultdict(CampaignFigures)
    for (campaign_id, phase_id, org_id), f in campaign_sums.items():
        for target in (by_campaign[campaign_id], by_phase[phase_id], by_org[org_id]):
            target.add([getattr(f, name) for name in rollups.CAMPAIGN_COLUMNS])
    owed: dict[str, dict] = {"campaign": defaultdict(int), "phase": defaultdict(int),
                             "org": defaultdict(int)}  # fmt: skip
    for (campaign_id, phase_id, org_id), f in campaign_to_date.items():
        owed["campaign"][campaign_id] += f.outstanding
        owed["phase"][phase_id] += f.outstanding
        owed["org"][org_id] += f.outstanding
    groups = {"campaign": by_campaign, "phase": by_phase, "org": by_org}
    for key, n in participants.items():
        if key is not None:
            groups[key[0]][key[1]].participants = n

    campaigns_qs = Campaign.objects.order_by("-starts_on", "pk")
    if filters.campaign is not None:
        campaigns_qs = campaigns_qs.filter(pk=filters.campaign.pk)
    else:
        campaigns_qs = campaigns_qs.filter(
            Q(pk__in=list(by_campaign)) | Q(starts_on__lte=filters.end, ends_on__gte=filters.start)
        )
    campaigns = []
    for campaign in campaigns_qs:
        f = by_campaign.get(campaign.pk, CampaignFigures())
        target_amount, target_participants = campaign.target_amount, campaign.target_participants
        if filters.phase is not None and filters.phase.campaign_id == campaign.pk:
            target_amount = filters.phase.target_amount
            target_participants = filters.phase.target_participants
        campaigns.append(
            {
                "campaign": campaign,
                "figures": f,
                "outstanding": owed["campaign"][campaign.pk],
                "target_amount": target_amount,
                "target_participants": target_participants,
            }
        )

    phases = Phase.objects.select_related("campaign").order_by("campaign__starts_on", "number")
    if filters.campaign is not None:
        phases = phases.filter(campaign=filters.campaign)
    if filters.phase is not None:
        phases = phases.filter(pk=filters.phase.pk)
    phases = [p for p in phases if p.pk in by_phase or filters.campaign is not None]
    phase_rows = [
        [
            p.campaign.name,
            p.name,
            by_phase[p.pk].participants,
            p.target_participants,
            by_phase[p.pk].pledged,
            p.target_amount,
            by_phase[p.pk].redeemed,
            owed["phase"][p.pk],
        ]
        for p in phases
    ]
    phase_table = Table(
        "phases",
        _("Campaign progress by phase"),
        [
            Column(_("Campaign"), "text"),
            Column(_("Phase"), "text"),
            Column(_("Participants"), "int"),
            Column(_("Target participants"), "int"),
            Column(_("Pledged"), "won"),
            Column(_("Target amount"), "won"),
            Column(_("Redeemed"), "won"),
            Column(_("Outstanding prepaid at the end"), "won"),
        ],
        phase_rows,
    )
    names = dict(
        Organisation.objects.filter(pk__in=[k for k in by_org if k]).values_list("pk", "name")
    )
    org_rows = sorted(
        (
            [
                names.get(org_id, "") if org_id else str(_("No organisation")),
                f.participants,
                f.pledges,
                f.pledged,
                f.redeemed,
                owed["org"][org_id],
            ]
            for org_id, f in by_org.items()
        ),
        key=lambda row: (-row[3], row[0]),
    )
    org_table = Table(
        "organisations",
        _("Campaign progress by organisation"),
        [
            Column(_("Organisation"), "text"),
            Column(_("Participants"), "int"),
            Column(_("Pledges"), "int"),
            Column(_("Pledged"), "won"),
            Column(_("Redeemed"), "won"),
            Column(_("Outstanding prepaid at the end"), "won"),
        ],
        org_rows,
    )
    return campaigns, phase_table, org_table


def shop_tables() -> dict[str, Table]:
    """The shops that need the city's attention: the approval queue, and the suspended and
    closed shops with the prepaid value they still owe (now)."""
    pending = Shop.objects.filter(status=Shop.Status.PENDING).order_by("created_at", "pk")
    pending_rows = [
        [s.name, s.district, s.get_category_display(), s.business_number, s.created_at.date()]
        for s in pending
    ]
    troubled = list(
        Shop.objects.filter(status__in=[Shop.Status.SUSPENDED, Shop.Status.CLOSED]).order_by(
            "status", "name", "pk"
        )
    )
    outstanding = _outstanding_now({s.pk for s in troubled})
    troubled_rows = sorted(
        (
            [
                s.name,
                s.district,
                s.get_category_display(),
                s.get_status_display(),
                s.closed_at.date() if s.closed_at else "",
                outstanding.get(s.pk, 0),
            ]
            for s in troubled
        ),
        key=lambda row: (-row[5], row[0]),
    )
    return {
        "pending": Table(
            "pending",
            _("Waiting for approval"),
            [
                Column(_("Shop"), "text"),
                Column(_("District (dong)"), "text"),
                Column(_("Category"), "text"),
                Column(_("Business registration number"), "text"),
                Column(_("Applied on"), "date"),
            ],
            pending_rows,
        ),
        "suspended_closed": Table(
            "suspended_closed",
            _("Suspended and closed shops"),
            [
                Column(_("Shop"), "text"),
                Column(_("District (dong)"), "text"),
                Column(_("Category"), "text"),
                Column(_("Status"), "text"),
                Column(_("Closed on"), "date"),
                Column(_("Outstanding prepaid now"), "won"),
            ],
            troubled_rows,
        ),
    }
