"""What the figures are: the filters, the sums of a day or of a shop, the totals and the
report (data only, no SQL and no layout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from campaigns.models import Campaign, Phase
from vouchers.models import CapDecision

from .. import rollups
from ..tables import Table

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
