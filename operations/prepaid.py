"""The nightly prepaid step: expire what is past its validity, then record per shop what was
redeemed and expired on the business date and the prepaid value still owed at its end.

Expiry is ``campaigns.services.prepaid_expire_due`` (one ledger entry per shop, keyed by shop and
date: a repeat posts nothing). The figures come from ``campaigns.services`` selectors and go into
``PrepaidSnapshot`` with one ``INSERT ... SELECT`` (unique per shop and date: a repeat inserts
nothing). The reads and the insert share one REPEATABLE READ snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection

from campaigns.services import (
    prepaid_expire_due,
    prepaid_liability_by_shop,
    redemptions_by_shop,
)
from jeonju_prepay.db import snapshot

from .models import PrepaidSnapshot


@dataclass(frozen=True)
class PrepaidReport:
    business_date: date
    pledges_expired: int
    expired: int
    shops_expired: int
    snapshots: int  # written by this run
    already: int  # snapshots of the date that existed before
    redeemed: int
    outstanding: int


# The outstanding value at the end of the date is the current one (from the selector) plus what
# was posted to the shop's prepaid_issued account after the date (redemptions and expiries
# raise it toward zero, pledges lower it). Expired amounts are the date's expiry entries.
_SNAPSHOT_SQL = """
WITH redeemed AS (
    SELECT shop_id, amount FROM unnest(%(r_shops)s::bigint[], %(r_amounts)s::bigint[])
        AS r(shop_id, amount)
), current AS (
    SELECT shop_id, amount FROM unnest(%(o_shops)s::bigint[], %(o_amounts)s::bigint[])
        AS o(shop_id, amount)
), later AS (
    SELECT a.owner_shop_id AS shop_id, SUM(p.amount)::bigint AS amount
      FROM ledger_postings p
      JOIN ledger_accounts a ON a.id = p.account_id
     WHERE a.kind = 'prepaid_issued' AND p.business_date > %(day)s
     GROUP BY a.owner_shop_id
), expired AS (
    SELECT a.owner_shop_id AS shop_id, SUM(p.amount)::bigint AS amount
      FROM ledger_entries e
      JOIN ledger_postings p ON p.entry_id = e.id
      JOIN ledger_accounts a ON a.id = p.account_id AND a.kind = 'prepaid_issued'
     WHERE e.business_date = %(day)s AND e.kind = 'expiry'
     GROUP BY a.owner_shop_id
), shops AS (
    SELECT shop_id FROM redeemed UNION SELECT shop_id FROM current
    UNION SELECT shop_id FROM later UNION SELECT shop_id FROM expired
), figures AS (
    SELECT s.shop_id,
           COALESCE(r.amount, 0) AS redeemed,
           COALESCE(x.amount, 0) AS expired,
           COALESCE(c.amount, 0) + COALESCE(l.amount, 0) AS outstanding
      FROM shops s
      LEFT JOIN redeemed r ON r.shop_id = s.shop_id
      LEFT JOIN current c ON c.shop_id = s.shop_id
      LEFT JOIN later l ON l.shop_id = s.shop_id
      LEFT JOIN expired x ON x.shop_id = s.shop_id
), written AS (
    INSERT INTO dashboard_prepaidsnapshot (shop_id, business_date, redeemed, expired,
                                          outstanding, created_at)
    SELECT shop_id, %(day)s, redeemed, expired, outstanding, now()
      FROM figures
     WHERE redeemed <> 0 OR expired <> 0 OR outstanding <> 0
    ON CONFLICT (shop_id, business_date) DO NOTHING
    RETURNING redeemed, outstanding
)
SELECT count(*), COALESCE(SUM(redeemed), 0), COALESCE(SUM(outstanding), 0) FROM written
"""


def prepaid_close_day(*, business_date: date) -> PrepaidReport:
    """Expire the pledges valid through ``business_date`` (and any older ones left), then record
    the date's prepaid figures per shop. Idempotent per date. Locks the due pledge rows and the
    prepaid accounts of the expiry (inside ``prepaid_expire_due``)."""
    expiry = prepaid_expire_due(
        as_of=business_date + timedelta(days=1), business_date=business_date
    )
    already = PrepaidSnapshot.objects.filter(business_date=business_date).count()
    with snapshot(read_only=False):
        redeemed = redemptions_by_shop(business_date=business_date)
        current = prepaid_liability_by_shop()
        with connection.cursor() as cursor:
            cursor.execute(
                _SNAPSHOT_SQL,
                {
                    "day": business_date,
                    "r_shops": list(redeemed),
                    "r_amounts": list(redeemed.values()),
                    "o_shops": [row.shop_id for row in current],
                    "o_amounts": [row.outstanding for row in current],
                },
            )
            written, redeemed_sum, outstanding_sum = (int(v) for v in cursor.fetchone())
    if not written and already:
        # Report the recorded figures, not zeros, when the date was done before.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(redeemed), 0), COALESCE(SUM(outstanding), 0)"
                " FROM dashboard_prepaidsnapshot WHERE business_date = %s",
                [business_date],
            )
            redeemed_sum, outstanding_sum = (int(v) for v in cursor.fetchone())
    return PrepaidReport(
        business_date=business_date,
        pledges_expired=expiry.pledges,
        expired=expiry.amount,
        shops_expired=expiry.shops,
        snapshots=written,
        already=already,
        redeemed=redeemed_sum,
        outstanding=outstanding_sum,
    )
