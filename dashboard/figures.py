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

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Organisation, Phase
from ledger.services import business_date_today
from merchants.models import Category, Shop
from vouchers.models import CapDecision

from . import rollups
from .models import CampaignDay, KindDay, ShopDay
from .tables import Column, Table

BUDGET = "incentive_budget"
# Cashback leaves the budget in its own entries (payments before vouchers migration 0004) and
# in the payment's entry (since). In a payment's entry the wallet's postings are the amount paid
# less the cashback credited to the incentive balance, and the budget's are minus the cashback,
# so the amount paid is minus the sum of all three.
CASHBACK_KINDS = ("cashback", "payment")
PAID_FROM = ("wallet_principal", "wallet_incentive", BUDGET)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    campaign: Campaign | None = None
    phase: Phase | None = None

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def as_query(self) -> dict[str, str]:
        query = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.campaign is not None:
            query["campaign"] = str(self.campaign.pk)
        if self.phase is not None:
            query["phase"] = str(self.phase.pk)
        return query


class _Sums:
    """Figures that add up column by column (``COLUMNS``: the rollup's columns, in order)."""

    COLUMNS: tuple[str, ...] = ()

    def add(self, values) -> None:
        for name, value in zip(self.COLUMNS, values, strict=True):
            setattr(self, name, getattr(self, name) + int(value or 0))


@dataclass
class ShopFigures(_Sums):
    COLUMNS = rollups.SHOP_COLUMNS

    sales: int = 0
    sales_count: int = 0
    refunds: int = 0
    settled: int = 0
    pledged: int = 0
    pledge_count: int = 0
    redeemed: int = 0
    expired: int = 0
    prepaid_closed: int = 0

    @property
    def released(self) -> int:
        return self.sales - self.refunds


@dataclass
class CampaignFigures(_Sums):
    COLUMNS = rollups.CAMPAIGN_COLUMNS

    pledges: int = 0
    pledged: int = 0
    value: int = 0
    redeemed: int = 0
    expired: int = 0
    closed: int = 0
    participants: int = 0

    @property
    def outstanding(self) -> int:
        return self.value - self.redeemed - self.expired - self.closed


@dataclass
class Totals:
    """The headline figures of the range (what the totals endpoint returns)."""

    charges: int = 0
    charge_count: int = 0
    charges_cancelled: int = 0
    wallet_payments: int = 0
    payment_count: int = 0
    refunds: int = 0
    incentives: int = 0
    cashback: int = 0
    pledged: int = 0
    pledge_count: int = 0
    prepaid_value: int = 0
    redeemed: int = 0
    expired: int = 0
    released: int = 0
    participants: int = 0
    outstanding_prepaid: int = 0  # now, from the ledger's balances
    budget_funded: int = 0  # up to the end of the range
    budget_used: int = 0  # up to the end of the range
    budget_remaining: int = 0  # at the end of the range
    shops_approved: int = 0
    shops_pending: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Report:
    filters: Filters
    totals: Totals
    campaigns: list[dict]
    tables: dict[str, Table]
    charts: dict
    live_days: list[date]
    forecast: CapDecision | None


# --- Reading rollups and live days -----------------------------------------------------------


def _live_days(upto: date) -> list[date]:
    """Dates up to ``upto`` read live: past dates with entries but no rollup, and today."""
    today = business_date_today()
    days = rollups.dates_missing(before=min(upto + timedelta(days=1), today))
    if upto >= today:
        days.append(today)
    return days


def _kind_sums(start: date, end: date, live: list[date]):
    """{date: {(entry kind, account kind): (amount, entries, reversals)}} for start..end."""
    by_day: dict[date, dict[tuple[str, str], tuple[int, int, int]]] = defaultdict(dict)
    rows = KindDay.objects.filter(business_date__range=(start, end)).exclude(business_date__in=live)
    for r in rows.values_list(
        "business_date", "entry_kind", "account_kind", "amount", "entries", "reversals"
    ):
        by_day[r[0]][(r[1], r[2])] = (r[3], r[4], r[5])
    for r in rollups.kind_rows([d for d in live if start <= d <= end]):
        by_day[r[0]][(r[1], r[2])] = (int(r[3]), int(r[4]), int(r[5]))
    return by_day


def _budget_before(start: date, live: list[date]) -> tuple[int, int]:
    """(funded, used) of the incentive budget before ``start``."""
    rows = (
        KindDay.objects.filter(account_kind=BUDGET, business_date__lt=start)
        .exclude(business_date__in=live)
        .values_list("entry_kind")
        .annotate(total=Sum("amount"))
    )
    funded = used = 0
    for kind, amount in [*rows, *_live_budget([d for d in live if d < start])]:
        if kind in ("funding", "adjustment"):
            funded += int(amount)
        else:
            used -= int(amount)
    return funded, used


def _live_budget(days: list[date]):
    return [(r[1], r[3]) for r in rollups.kind_rows(days) if r[2] == BUDGET]


def _shop_per_day(filters: Filters, live: list[date], shop_ids: set[int]):
    """Per day over the given shops (a campaign's), from the shop rows."""
    per_day: dict[date, ShopFigures] = defaultdict(ShopFigures)
    rows = (
        ShopDay.objects.filter(business_date__range=(filters.start, filters.end))
        .exclude(business_date__in=live)
        .filter(shop_id__in=shop_ids)
    )
    sums = {name: Sum(name) for name in rollups.SHOP_COLUMNS}
    for r in rows.values("business_date").annotate(**sums).values_list("business_date", *sums):
        per_day[r[0]].add(r[1:])
    for r in rollups.shop_rows([d for d in live if filters.start <= d <= filters.end]):
        if r[1] in shop_ids:
            per_day[r[0]].add(r[2:])
    return per_day


# The shops of the range in one statement: the rolled-up days' shop rows and the live days' rows
# (the rollup's own SELECT) summed per shop, joined to the shops and their outstanding prepaid
# value now, then grouped by district and by category, the top shops by money released, the
# largest outstanding balances, and the total. PostgreSQL materialises ``shops`` once.
_BREAKDOWN_SQL = """
WITH live (business_date, shop_id, sales, sales_count, refunds, settled, pledged, pledge_count,
           redeemed, expired, prepaid_closed) AS (@SHOP_SQL@
), per_shop AS (
    -- The rolled-up days summed per shop first (PostgreSQL knows that table's shops), then
    -- the live days' few rows added.
    SELECT shop_id, SUM(released)::bigint AS released, SUM(n)::bigint AS n,
           SUM(pledged)::bigint AS pledged, SUM(redeemed)::bigint AS redeemed,
           SUM(refunds)::bigint AS refunds, SUM(expired)::bigint AS expired
      FROM (
        SELECT shop_id, SUM(sales - refunds)::bigint AS released,
               SUM(sales_count)::bigint AS n, SUM(pledged)::bigint AS pledged,
               SUM(redeemed)::bigint AS redeemed, SUM(refunds)::bigint AS refunds,
               SUM(expired)::bigint AS expired
          FROM dashboard_shopday
         WHERE business_date BETWEEN %(start)s AND %(end)s
           AND business_date <> ALL(%(live)s::date[])
           AND (%(shops)s::bigint[] IS NULL OR shop_id = ANY(%(shops)s::bigint[]))
         GROUP BY shop_id
        UNION ALL
        SELECT shop_id, sales - refunds, sales_count, pledged, redeemed, refunds, expired
          FROM live
         WHERE %(shops)s::bigint[] IS NULL OR shop_id = ANY(%(shops)s::bigint[])
      ) r
     GROUP BY shop_id
), owed AS (
    SELECT owner_shop_id AS shop_id, -balance AS outstanding
      FROM ledger_accounts
     WHERE kind = 'prepaid_issued' AND balance <> 0
       AND (%(shops)s::bigint[] IS NULL OR owner_shop_id = ANY(%(shops)s::bigint[]))
), shops AS (
    SELECT s.id, s.name, s.district, s.category, s.status,
           COALESCE(p.released, 0) AS released, COALESCE(p.n, 0) AS n,
           COALESCE(p.pledged, 0) AS pledged, COALESCE(p.redeemed, 0) AS redeemed,
           COALESCE(p.refunds, 0) AS refunds, COALESCE(p.expired, 0) AS expired,
           COALESCE(o.outstanding, 0) AS outstanding
      FROM per_shop p
      FULL JOIN owed o ON o.shop_id = p.shop_id
      JOIN merchants_shop s ON s.id = COALESCE(p.shop_id, o.shop_id)
)
SELECT 'district', district, NULL::bigint, NULL, COUNT(*), SUM(released), SUM(n), SUM(pledged),
       SUM(redeemed), SUM(refunds), SUM(expired), SUM(outstanding)
  FROM shops GROUP BY district
UNION ALL
SELECT 'category', category, NULL, NULL, COUNT(*), SUM(released), SUM(n), SUM(pledged),
       SUM(redeemed), SUM(refunds), SUM(expired), SUM(outstanding)
  FROM shops GROUP BY category
UNION ALL
(SELECT 'top', name, id, district || '|' || category || '|' || status, 1, released, n, pledged,
        redeemed, refunds, expired, outstanding
   FROM shops WHERE released <> 0 ORDER BY released DESC, id LIMIT %(top)s)
UNION ALL
(SELECT 'owed', name, id, district || '|' || category || '|' || status, 1, released, n, pledged,
        redeemed, refunds, expired, outstanding
   FROM shops WHERE outstanding > 0 ORDER BY outstanding DESC, id LIMIT %(top)s)
UNION ALL
SELECT 'total', NULL, NULL, NULL, COUNT(*), SUM(released), SUM(n), SUM(pledged),
       SUM(redeemed), SUM(refunds), SUM(expired), SUM(outstanding)
  FROM shops
""".replace("@SHOP_SQL@", rollups.SHOP_SQL)


@dataclass
class ShopRow:
    """A shop, a district or a category, over the range (``outstanding`` now)."""

    key: str
    shop_id: int | None
    attrs: str | None  # district|category|status of a shop
    shops: int
    released: int
    count: int
    pledged: int
    redeemed: int
    refunds: int
    expired: int
    outstanding: int


@dataclass
class Breakdown:
    district: list[ShopRow] = field(default_factory=list)
    category: list[ShopRow] = field(default_factory=list)
    top: list[ShopRow] = field(default_factory=list)
    owed: list[ShopRow] = field(default_factory=list)
    total: ShopRow | None = None


def _shop_breakdown(
    filters: Filters, live: list[date], shop_ids: set[int] | None, *, top: int
) -> Breakdown:
    live_in_range = [d for d in live if filters.start <= d <= filters.end]
    with connection.cursor() as cursor:
        cursor.execute(
            _BREAKDOWN_SQL,
            {
                "days": live_in_range,
                "live": live_in_range,
                "start": filters.start,
                "end": filters.end,
                "shops": sorted(shop_ids) if shop_ids is not None else None,
                "top": top,
            },
        )
        rows = cursor.fetchall()
    result = Breakdown()
    for group, *values in rows:
        row = ShopRow(values[0] or "", values[1], values[2],
                      *(int(v or 0) for v in values[3:]))  # fmt: skip
        if group == "total":
            result.total = row
        else:
            getattr(result, group).append(row)
    return result


def _per_day_from_kinds(kinds) -> dict[date, ShopFigures]:
    """The shops' figures per day, all shops together, from the city-wide kind sums (the same
    postings as the shop rows: every shop_payable and prepaid_issued account has its shop)."""
    per_day: dict[date, ShopFigures] = defaultdict(ShopFigures)
    for day, day_sums in kinds.items():
        f = per_day[day]
        for (entry_kind, account_kind), (amount, entries, _reversals) in day_sums.items():
            if account_kind == "shop_payable":
                if entry_kind in ("payment", "pledge"):
                    f.sales += amount
                    f.sales_count += entries
                elif entry_kind == "settlement":
                    f.settled -= amount
                elif entry_kind != "shop_payment":  # shops paying shops: circulation's
                    f.refunds -= amount
            elif account_kind == "prepaid_issued":
                if entry_kind == "pledge":
                    f.pledged -= amount
                    f.pledge_count += entries
                elif entry_kind == "redemption":
                    f.redeemed += amount
                elif entry_kind == "expiry":
                    f.expired += amount
                else:
                    f.prepaid_closed += amount
    return per_day


def _campaign_sums(filters: Filters, live: list[date], *, since: date | None):
    """{(campaign, phase, organisation): CampaignFigures} from ``since`` (None: the start of
    time) to the end of the range."""
    rows = CampaignDay.objects.filter(business_date__lte=filters.end).exclude(
        business_date__in=live
    )
    if since is not None:
        rows = rows.filter(business_date__gte=since)
    live_rows = rollups.campaign_rows(
        [d for d in live if (since is None or since <= d) and d <= filters.end]
    )
    if filters.campaign is not None:
        rows = rows.filter(campaign=filters.campaign)
        live_rows = [r for r in live_rows if r[1] == filters.campaign.pk]
    if filters.phase is not None:
        rows = rows.filter(phase=filters.phase)
        live_rows = [r for r in live_rows if r[2] == filters.phase.pk]
    sums = {name: Sum(name) for name in rollups.CAMPAIGN_COLUMNS}
    keys = ("campaign_id", "phase_id", "organisation_id")
    result: dict[tuple, CampaignFigures] = defaultdict(CampaignFigures)
    for r in rows.values(*keys).annotate(**sums).values_list(*keys, *sums):
        result[r[:3]].add(r[3:])
    for r in live_rows:
        result[(r[1], r[2], r[3])].add(r[4:])
    return result


_PARTICIPANTS_SQL = """
SELECT GROUPING(campaign_id, phase_id, organisation_id), campaign_id, phase_id, organisation_id,
       COUNT(DISTINCT user_id)
  FROM campaigns_pledge
 WHERE entry_id IS NOT NULL AND business_date BETWEEN %(start)s AND %(end)s
   AND (%(campaign)s::bigint IS NULL OR campaign_id = %(campaign)s)
   AND (%(phase)s::bigint IS NULL OR phase_id = %(phase)s)
 GROUP BY GROUPING SETS ((), (campaign_id), (phase_id), (organisation_id))
"""


def _participants(filters: Filters) -> dict:
    """Distinct citizens with a paid pledge in the range: in all (key None) and per campaign,
    phase and organisation (keys ``("campaign", id)`` ...), in one pass over the pledges."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PARTICIPANTS_SQL,
            {
                "start": filters.start,
                "end": filters.end,
                "campaign": filters.campaign.pk if filters.campaign else None,
                "phase": filters.phase.pk if filters.phase else None,
            },
        )
        rows = cursor.fetchall()
    result: dict = {None: 0}
    for grouping, campaign_id, phase_id, org_id, n in rows:
        key = {7: None, 3: ("campaign", campaign_id), 5: ("phase", phase_id),
               6: ("org", org_id)}[grouping]  # fmt: skip
        result[key] = n
    return result


def _outstanding_total() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(-SUM(balance), 0) FROM ledger_accounts WHERE kind = 'prepaid_issued'"
        )
        return int(cursor.fetchone()[0])


def _outstanding_now(shop_ids: set[int] | None = None) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT owner_shop_id, -balance FROM ledger_accounts"
            " WHERE kind = 'prepaid_issued' AND balance <> 0"
        )
        rows = cursor.fetchall()
    return {shop: int(amount) for shop, amount in rows if shop_ids is None or shop in shop_ids}


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


def _shops_from_kinds(kinds) -> ShopRow:
    total = ShopFigures()
    for f in _per_day_from_kinds(kinds).values():
        total.add([getattr(f, name) for name in rollups.SHOP_COLUMNS])
    return ShopRow("", None, None, 0, total.released, total.sales_count, total.pledged,
                   total.redeemed, total.refunds, total.expired, 0)  # fmt: skip


def _totals(
    filters, kinds, shops: ShopRow, outstanding: int, campaign_sums, to_date, live, participants
) -> Totals:
    t = Totals()
    for day_sums in kinds.values():
        for (entry_kind, account_kind), (amount, entries, _rev) in day_sums.items():
            if account_kind == "wallet_principal" and entry_kind == "charge":
                t.charges += amount
                t.charge_count += entries
            elif account_kind == "wallet_principal" and entry_kind == "cancellation":
                t.charges_cancelled -= amount
            if account_kind in PAID_FROM and entry_kind == "payment":
                t.wallet_payments -= amount
            if account_kind == "shop_payable" and entry_kind == "payment":
                t.payment_count += entries
            if account_kind == BUDGET and entry_kind in ("incentive", "cancellation"):
                t.incentives -= amount
            elif account_kind == BUDGET and entry_kind in CASHBACK_KINDS:
                t.cashback -= amount
    t.refunds, t.released = shops.refunds, shops.released
    t.redeemed, t.expired = shops.redeemed, shops.expired
    if filters.campaign is None and filters.phase is None:
        t.prepaid_value = shops.pledged
    for figures in campaign_sums.values():
        t.pledged += figures.pledged
        t.pledge_count += figures.pledges
        if filters.campaign is not None or filters.phase is not None:
            t.prepaid_value += figures.value
    if filters.campaign is not None or filters.phase is not None:
        # Campaign-scoped: what was redeemed and expired of this campaign's pledges.
        t.redeemed = sum(f.redeemed for f in campaign_sums.values())
        t.expired = sum(f.expired for f in campaign_sums.values())
    t.participants = participants[None]
    t.outstanding_prepaid = outstanding
    if to_date is not None:
        # Campaign-scoped: what this campaign's pledges still hold at the end of the range.
        t.outstanding_prepaid = sum(f.outstanding for f in to_date.values())
    funded, used = _budget_before(filters.start, live)
    for day_sums in kinds.values():
        for (entry_kind, account_kind), (amount, _n, _r) in day_sums.items():
            if account_kind != BUDGET:
                continue
            if entry_kind in ("funding", "adjustment"):
                funded += amount
            else:
                used -= amount
    t.budget_funded, t.budget_used, t.budget_remaining = funded, used, funded - used
    counts = dict(
        Shop.objects.filter(status__in=[Shop.Status.APPROVED, Shop.Status.PENDING])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    t.shops_approved = counts.get(Shop.Status.APPROVED, 0)
    t.shops_pending = counts.get(Shop.Status.PENDING, 0)
    return t


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
