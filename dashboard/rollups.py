"""The dashboard's rollups: the ledger summed per business date (see the models).

``rollups_refresh(days)`` rewrites the rows of the given dates in one transaction (delete, then
``INSERT ... SELECT`` from the ledger, then the ``RollupDate`` marker), so running it again is
harmless and a reader never sees half a date. The nightly run calls it for its date as its last
step, after settlement and expiry have posted their entries for that date. ``*_rows(days)``
run the same SELECTs without writing: the selectors use them for the dates that have no marker
yet (today, and any date the nightly run has not reached), so today's figures are live.

Each SELECT reads one date range of the ledger through the ``(business_date, kind)`` index of
the entries (or the pledges' and redemptions' date indexes), never the whole ledger.

The refresh writes each SELECT's rows from a materialised CTE (``WITH rows AS MATERIALIZED
(...) INSERT ... SELECT * FROM rows``). Every table has a sequence for its id, so under Citus
an INSERT ... SELECT into it is not sent to the worker whole: its rows come through the
coordinator. Written plainly, the SELECT's COUNT(DISTINCT ...) made that one row per entry;
from the CTE, the SELECT runs whole on the worker and only the sums come back. On a single
PostgreSQL both forms do the same work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction

from ledger.services import business_date_today

# A reversal counts as a negative entry of the kind it reverses.
_KIND_SQL = """
SELECT e.business_date, COALESCE(r.kind, e.kind) AS entry_kind, a.kind AS account_kind,
       SUM(p.amount)::bigint AS amount,
       COUNT(DISTINCT e.id) FILTER (WHERE e.reverses_id IS NULL) AS entries,
       COUNT(DISTINCT e.id) FILTER (WHERE e.reverses_id IS NOT NULL) AS reversals
  FROM ledger_entries e
  JOIN ledger_postings p ON p.entry_id = e.id
  JOIN ledger_accounts a ON a.id = p.account_id
  LEFT JOIN ledger_entries r ON r.id = e.reverses_id
 WHERE e.business_date = ANY(%(days)s::date[])
 GROUP BY 1, 2, 3
"""

SHOP_SQL = """
WITH p AS (
    SELECT e.business_date, a.owner_shop_id AS shop_id, a.kind AS account_kind,
           COALESCE(r.kind, e.kind) AS kind, e.reverses_id IS NULL AS original, e.id AS entry_id,
           p.amount
      FROM ledger_entries e
      JOIN ledger_postings p ON p.entry_id = e.id
      JOIN ledger_accounts a ON a.id = p.account_id
      LEFT JOIN ledger_entries r ON r.id = e.reverses_id
     WHERE e.business_date = ANY(%(days)s::date[])
       AND a.kind IN ('shop_payable', 'prepaid_issued') AND a.owner_shop_id IS NOT NULL
)
SELECT business_date, shop_id,
       COALESCE(SUM(amount) FILTER (WHERE account_kind = 'shop_payable'
                                      AND kind IN ('payment', 'pledge')), 0)::bigint,
       COUNT(DISTINCT entry_id) FILTER (WHERE account_kind = 'shop_payable' AND original
                                          AND kind IN ('payment', 'pledge')),
       COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'shop_payable'
                                       AND kind NOT IN ('payment', 'pledge', 'settlement',
                                                        'shop_payment')),
                0)::bigint,
       COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'shop_payable'
                                       AND kind = 'settlement'), 0)::bigint,
       COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'prepaid_issued'
                                       AND kind = 'pledge'), 0)::bigint,
       COUNT(DISTINCT entry_id) FILTER (WHERE account_kind = 'prepaid_issued' AND original
                                          AND kind = 'pledge'),
       COALESCE(SUM(amount) FILTER (WHERE account_kind = 'prepaid_issued'
                                      AND kind = 'redemption'), 0)::bigint,
       COALESCE(SUM(amount) FILTER (WHERE account_kind = 'prepaid_issued'
                                      AND kind = 'expiry'), 0)::bigint,
       COALESCE(SUM(amount) FILTER (WHERE account_kind = 'prepaid_issued'
                                      AND kind NOT IN ('pledge', 'redemption', 'expiry')),
                0)::bigint
  FROM p
 GROUP BY business_date, shop_id
"""
SHOP_COLUMNS = (
    "sales",
    "sales_count",
    "refunds",
    "settled",
    "pledged",
    "pledge_count",
    "redeemed",
    "expired",
    "prepaid_closed",
)

# A paid pledge's prepaid entry is posted on the pledge's business date (card pledges get the
# date they were paid), so the pledges of a date are those with an entry and that date.
_CAMPAIGN_SQL = """
WITH parts AS (
    SELECT p.business_date, p.campaign_id, p.phase_id, p.organisation_id,
           COUNT(*) AS pledges, SUM(p.amount) AS pledged, SUM(p.value) AS value,
           0::bigint AS redeemed, 0::bigint AS expired, 0::bigint AS closed
      FROM campaigns_pledge p
     WHERE p.business_date = ANY(%(days)s::date[]) AND p.entry_id IS NOT NULL
     GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT r.business_date, p.campaign_id, p.phase_id, p.organisation_id,
           0, 0, 0, SUM(rp.amount), 0, 0
      FROM campaigns_redemption r
      JOIN campaigns_redemptionpart rp ON rp.redemption_id = r.id
      JOIN campaigns_pledge p ON p.id = rp.pledge_id
     WHERE r.business_date = ANY(%(days)s::date[])
     GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT e.business_date, p.campaign_id, p.phase_id, p.organisation_id,
           0, 0, 0, 0,
           COALESCE(SUM(ev.amount) FILTER (WHERE ev.action = 'expired'), 0),
           COALESCE(SUM(ev.amount) FILTER (WHERE ev.action <> 'expired'), 0)
      FROM ledger_entries e
      JOIN campaigns_pledgeevent ev ON ev.entry_id = e.id
      JOIN campaigns_pledge p ON p.id = ev.pledge_id
     WHERE e.business_date = ANY(%(days)s::date[])
       AND e.kind IN ('expiry', 'cancellation', 'refund')
     GROUP BY 1, 2, 3, 4
)
SELECT business_date, campaign_id, phase_id, organisation_id,
       SUM(pledges)::bigint, SUM(pledged)::bigint, SUM(value)::bigint,
       SUM(redeemed)::bigint, SUM(expired)::bigint, SUM(closed)::bigint
  FROM parts
 GROUP BY 1, 2, 3, 4
"""
CAMPAIGN_COLUMNS = ("pledges", "pledged", "value", "redeemed", "expired", "closed")


@dataclass(frozen=True)
class RefreshReport:
    days: int
    kind_rows: int
    shop_rows: int
    campaign_rows: int


def _rows(sql: str, days: Sequence[date]) -> list[tuple]:
    if not days:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, {"days": list(days)})
        return cursor.fetchall()


def kind_rows(days: Sequence[date]) -> list[tuple]:
    """(date, entry kind, account kind, amount, entries, reversals) per group, from the ledger."""
    return _rows(_KIND_SQL, days)


def shop_rows(days: Sequence[date]) -> list[tuple]:
    """(date, shop id, *SHOP_COLUMNS) per shop with postings on the date, from the ledger."""
    return _rows(SHOP_SQL, days)


def campaign_rows(days: Sequence[date]) -> list[tuple]:
    """(date, campaign, phase, organisation, *CAMPAIGN_COLUMNS), from the pledges."""
    return _rows(_CAMPAIGN_SQL, days)


def rollups_refresh(days: Sequence[date]) -> RefreshReport:
    """Rewrite the rollups of ``days`` (each must be over: today stays live) from the ledger."""
    today = business_date_today()
    days = sorted({d for d in days if d < today})
    if not days:
        return RefreshReport(0, 0, 0, 0)
    params = {"days": days}
    counts = []
    with transaction.atomic(), connection.cursor() as cursor:
        # One writer per date at a time: the nightly run holds its date's lock, but a catch-up
        # may touch the same dates from a command.
        for day in days:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('dashboard_rollup'), %s)", [day.toordinal()]
            )
        for table in ("dashboard_kindday", "dashboard_shopday", "dashboard_campaignday"):
            cursor.execute(
                f"DELETE FROM {table} WHERE business_date = ANY(%(days)s::date[])",  # noqa: S608
                params,
            )
        cursor.execute(
            "WITH rows AS MATERIALIZED (" + _KIND_SQL + ")"  # noqa: S608 - this module's constants
            " INSERT INTO dashboard_kindday (business_date, entry_kind, account_kind, amount,"
            " entries, reversals) SELECT * FROM rows",
            params,
        )
        counts.append(cursor.rowcount)
        cursor.execute(
            "WITH rows AS MATERIALIZED (" + SHOP_SQL + ")"  # noqa: S608 - this module's constants
            " INSERT INTO dashboard_shopday (business_date, shop_id, "
            + ", ".join(SHOP_COLUMNS)
            + ") SELECT * FROM rows",
            params,
        )
        counts.append(cursor.rowcount)
        cursor.execute(
            "WITH rows AS MATERIALIZED (" + _CAMPAIGN_SQL + ")"  # noqa: S608 - this module's constants
            " INSERT INTO dashboard_campaignday (business_date, campaign_id, phase_id,"
            " organisation_id, " + ", ".join(CAMPAIGN_COLUMNS) + ") SELECT * FROM rows",
            params,
        )
        counts.append(cursor.rowcount)
        cursor.execute(
            """
            INSERT INTO dashboard_rollupdate (business_date, refreshed_at, entries)
            SELECT d, now(), (SELECT COUNT(*) FROM ledger_entries e WHERE e.business_date = d)
              FROM unnest(%(days)s::date[]) AS d
            ON CONFLICT (business_date) DO UPDATE
               SET refreshed_at = EXCLUDED.refreshed_at, entries = EXCLUDED.entries
            """,
            params,
        )
        # A refresh may rewrite most of a table: fresh statistics keep the pages' plans right
        # (without them PostgreSQL guessed 1,000 rows for 100,000 and chose a slow plan).
        cursor.execute("ANALYZE dashboard_kindday, dashboard_shopday, dashboard_campaignday")
    return RefreshReport(len(days), *counts)


def dates_missing(*, before: date | None = None) -> list[date]:
    """Past business dates with ledger entries but no complete rollup (e.g. before the first
    nightly run, or a date whose run failed): what a catch-up refreshes."""
    before = before or business_date_today()
    with connection.cursor() as cursor:
        # A loose index scan over the entries' (business_date, kind) index: one probe per date.
        cursor.execute(
            """
            WITH RECURSIVE d AS (
                (SELECT business_date FROM ledger_entries ORDER BY business_date LIMIT 1)
                UNION ALL
                SELECT (SELECT e.business_date FROM ledger_entries e
                         WHERE e.business_date > d.business_date
                         ORDER BY e.business_date LIMIT 1)
                  FROM d WHERE d.business_date IS NOT NULL
            )
            SELECT business_date FROM d
             WHERE business_date IS NOT NULL AND business_date < %s
               AND NOT EXISTS (SELECT 1 FROM dashboard_rollupdate r
                                WHERE r.business_date = d.business_date)
             ORDER BY business_date
            """,
            [before],
        )
        return [row[0] for row in cursor.fetchall()]
