"""The dashboard's figures for a date range (and optionally a campaign or phase).

Past dates come from the rollups (``dashboard.models``); dates without a complete rollup (today,
and any date the nightly run has not reached yet) are summed live from the ledger with the very
same SQL (``dashboard.rollups``), so a closed day and a live day are counted the same way.
Outstanding prepaid balances "now" are the ledger accounts' balances. Nothing here scans the
whole ledger: the biggest read is one row per shop and day of the range.

Definitions (all amounts whole won, net of reversals, counted on the business date):

- charges: credited to wallets by charges; ``charges_cancelled``: taken back by cancellations.
- wallet payments: paid from wallets to shops (including pledges paid from the wallet).
- pledged: paid by citizens for pledges (card or wallet); prepaid value adds the shops' bonus.
- released into the market: what shops were paid (wallet payments and card pledges) less refunds.
- incentives and cashback: granted from the incentive budget, less what came back to it.
- participants: citizens with at least one paid pledge in the range.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

from vouchers.models import CapDecision

from .layout import (
    _budget_table,
    _campaign_tables,
    _days_table,
    _group_table,
    _outstanding_table,
    _top_shops,
    shop_tables,
)
from .reads import (
    _campaign_sums,
    _kind_sums,
    _live_days,
    _outstanding_total,
    _participants,
    _per_day_from_kinds,
    _shop_breakdown,
    _shop_per_day,
)
from .sums import CampaignFigures, Filters, Report, ShopFigures, Totals
from .totals import _shops_from_kinds, _totals

# --- The report ----------------------------------------------------------------------------------


def _campaign_shop_ids(filters: Filters) -> set[int] | None:
    if filters.campaign is None:
        return None
    return set(filters.campaign.shops.values_list("shop_id", flat=True))


def report_totals(filters: Filters) -> tuple[Totals, list[date]]:
    """Only the headline figures (the totals endpoint), and the dates read live. City-wide,
    the shops' figures are in the kind sums; for a campaign, its shops' rows are summed."""
    live = _live_days(filters.end)
    shop_ids = _campaign_shop_ids(filters)
    kinds = _kind_sums(filters.start, filters.end, live)
    if shop_ids is None:
        shop_total = _shops_from_kinds(kinds)
        outstanding = _outstanding_total()
    else:
        breakdown = _shop_breakdown(filters, live, shop_ids, top=0)
        shop_total, outstanding = breakdown.total, breakdown.total.outstanding
    campaign_sums = _campaign_sums(filters, live, since=filters.start)
    to_date = _campaign_sums(filters, live, since=None) if filters.campaign else None
    totals = _totals(
        filters, kinds, shop_total, outstanding, campaign_sums, to_date, live,
        _participants(filters),
    )  # fmt: skip
    return totals, live


def report_build(filters: Filters, *, top: int = 20) -> Report:
    live = _live_days(filters.end)
    shop_ids = _campaign_shop_ids(filters)
    kinds = _kind_sums(filters.start, filters.end, live)
    # Per day over all shops is in the city-wide kind sums already (a few rows a day).
    if shop_ids is None:
        per_day = _per_day_from_kinds(kinds)
    else:
        per_day = _shop_per_day(filters, live, shop_ids)
    breakdown = _shop_breakdown(filters, live, shop_ids, top=top)
    campaign_sums = _campaign_sums(filters, live, since=filters.start)
    campaign_to_date = _campaign_sums(filters, live, since=None)
    participants = _participants(filters)
    totals = _totals(
        filters, kinds, breakdown.total, breakdown.total.outstanding, campaign_sums,
        campaign_to_date, live, participants,
    )  # fmt: skip
    tables = {}
    tables["days"], day_chart = _days_table(filters, kinds, per_day)
    budget_table, budget_chart = _budget_table(filters, kinds, totals)
    tables["budget"] = budget_table
    tables["districts"] = _group_table("districts", breakdown.district, label=_("District (dong)"))
    tables["categories"] = _group_table("categories", breakdown.category, label=_("Category"))
    tables["top_shops"] = _top_shops(breakdown.top)
    tables["outstanding"] = _outstanding_table(breakdown.owed)
    campaigns, tables["phases"], tables["organisations"] = _campaign_tables(
        filters, campaign_sums, campaign_to_date, participants
    )
    forecast = CapDecision.objects.order_by("-business_date").first()
    charts = {
        "days": day_chart,
        "budget": budget_chart,
        "districts": {
            "labels": [row[0] for row in tables["districts"].rows],
            "sales": [row[2] for row in tables["districts"].rows],
            "pledged": [row[3] for row in tables["districts"].rows],
        },
    }
    if forecast is not None and forecast.runs_out_on:
        charts["budget"]["forecast"] = {
            "from": forecast.business_date.isoformat(),
            "remaining": forecast.remaining,
            "runs_out_on": forecast.runs_out_on.isoformat(),
        }
    return Report(filters, totals, campaigns, tables, charts, live, forecast)


__all__ = [
    "CampaignFigures",
    "Filters",
    "Report",
    "ShopFigures",
    "Totals",
    "report_build",
    "report_totals",
    "shop_tables",
]
