"""How money circulates in the city, measured from the ledger (the local multiplier).

In the spirit of the New Economics Foundation's Local Multiplier 3 (LM3: money that enters,
what is spent locally, what is re-spent locally by those who received it), but measured from
the transactions themselves rather than from surveys. The circle is the local currency: the
citizens' wallets (principal and incentive) and the shops' unsettled balances
(``shop_payable``). For each entry of the period (by business date):

- **entered**: what the entry brought into the circle from outside it (charges, charging
  incentives, cashback, grants, pledges paid by card): its postings to circle accounts, when
  they add up to more than zero;
- **spent_local**: what citizens paid shops (wallet payments, pledges, the wallet part of
  redemptions), less what was taken back (cancellations, reversals): the entry's postings to
  ``shop_payable`` for those kinds;
- **respent_local**: what shops paid other local shops from their unsettled sales
  (``shop_payment`` entries, ``merchants.shop_payments``);
- **left_city**: what settlement paid out to shops' bank accounts (out of the local currency);
- **returned**: everything else that left the circle (refunds to citizens' banks, charges
  cancelled, incentive taken back to the budget);
- **multiplier** = (spent_local + respent_local) / entered, rounded down to 4 decimals.

Worked example (``tests/dashboard/test_circulation.py``): a citizen charges 100,000 won with a
10% incentive (entered 110,000), pays a bakery 50,000 (spent locally), the bakery pays its mill
30,000 (re-spent), the night settles 20,000 to the bakery and 30,000 to the mill (left the
city 50,000): multiplier (50,000 + 30,000) / 110,000 = 0.7272.

Read live from the ledger's views (``ledger_postings``, ``ledger_entries``, ``ledger_accounts``)
with one statement: a year of a large city is a scan of its postings in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db import connection
from django.db.models import Count, Sum

CIRCLE = ("wallet_principal", "wallet_incentive", "shop_payable")
SPENDING = ("payment", "pledge", "redemption", "cancellation", "reversal")

_SQL = """
WITH p AS (
    SELECT p.entry_id, e.kind, date_trunc('month', p.business_date)::date AS month,
           a.kind AS account_kind, p.amount
      FROM ledger_postings p
      JOIN ledger_entries e ON e.id = p.entry_id
      JOIN ledger_accounts a ON a.id = p.account_id
     WHERE p.business_date BETWEEN %(start)s AND %(end)s
), per_entry AS (
    SELECT entry_id, kind, month,
           COALESCE(SUM(amount) FILTER (WHERE account_kind = ANY(%(circle)s)), 0) AS circle,
           COALESCE(SUM(amount) FILTER (WHERE account_kind = 'shop_payable'), 0) AS to_shops,
           COALESCE(SUM(amount) FILTER (WHERE account_kind = 'shop_payable' AND amount > 0), 0)
               AS shops_received
      FROM p
     GROUP BY entry_id, kind, month
)
SELECT month,
       COALESCE(SUM(GREATEST(circle, 0)), 0)::bigint,
       COALESCE(SUM(to_shops) FILTER (WHERE kind = ANY(%(spending)s)), 0)::bigint,
       COALESCE(SUM(shops_received) FILTER (WHERE kind = 'shop_payment'), 0)::bigint,
       COALESCE(SUM(-LEAST(circle, 0)) FILTER (WHERE kind = 'settlement'), 0)::bigint,
       COALESCE(SUM(-LEAST(circle, 0)) FILTER (WHERE kind <> 'settlement'), 0)::bigint
  FROM per_entry
 GROUP BY month
 ORDER BY month
"""


def multiplier_of(local: int, entered: int) -> Decimal:
    if entered <= 0:
        return Decimal("0.0000")
    return (Decimal(local) / Decimal(entered)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


@dataclass
class Circulation:
    start: date
    end: date
    entered: int = 0
    spent_local: int = 0
    respent_local: int = 0
    left_city: int = 0
    returned: int = 0
    months: list[Circulation] = field(default_factory=list)

    @property
    def circulated(self) -> int:
        return self.spent_local + self.respent_local

    @property
    def multiplier(self) -> Decimal:
        return multiplier_of(self.circulated, self.entered)

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "entered": self.entered,
            "spent_local": self.spent_local,
            "respent_local": self.respent_local,
            "left_city": self.left_city,
            "returned": self.returned,
            "multiplier": str(self.multiplier),
        }


def circulation(*, start: date, end: date) -> Circulation:
    """The period's circulation, with a ``Circulation`` per calendar month in it."""
    total = Circulation(start, end)
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL, {"start": start, "end": end, "circle": list(CIRCLE), "spending": list(SPENDING)}
        )
        rows = cursor.fetchall()
    for month, entered, spent, respent, left, returned in rows:
        m = Circulation(max(month, start), end, entered, spent, respent, left, returned)
        total.months.append(m)
        total.entered += entered
        total.spent_local += spent
        total.respent_local += respent
        total.left_city += left
        total.returned += returned
    for i, m in enumerate(total.months[:-1]):
        nxt = total.months[i + 1].start
        m.end = date.fromordinal(nxt.toordinal() - 1)
    return total


@dataclass
class CampaignCirculation:
    """The seed's promise recomputed for a campaign: N citizens charged X won over its period,
    and Y won circulated locally (spent at shops and re-spent by them)."""

    citizens: int
    charged: int
    circulation: Circulation


def campaign_circulation(*, campaign) -> CampaignCirculation:
    from vouchers.models import Charge

    figures = circulation(start=campaign.starts_on, end=campaign.ends_on)
    charges = Charge.objects.filter(
        status=Charge.Status.PAID,
        purpose="wallet",
        business_date__gte=campaign.starts_on,
        business_date__lte=campaign.ends_on,
    )
    agg = charges.aggregate(citizens=Count("user", distinct=True), charged=Sum("amount"))
    return CampaignCirculation(agg["citizens"] or 0, agg["charged"] or 0, figures)
