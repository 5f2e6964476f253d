"""Reading the figures: rollups for closed days, the same SQL live for the others, balances
now. One row per shop and day of the range at the most."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import connection
from django.db.models import Sum

from ledger.services import business_date_today

from .. import rollups
from ..models import CampaignDay, KindDay, ShopDay
from .sums import BUDGET, Breakdown, CampaignFigures, Filters, ShopFigures, ShopRow

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
