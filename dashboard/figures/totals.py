"""The headline totals, added up from the rows read (arithmetic only)."""

from __future__ import annotations

from django.db.models import Count

from merchants.models import Shop

from .. import rollups
from .reads import _budget_before, _per_day_from_kinds
from .sums import BUDGET, CASHBACK_KINDS, PAID_FROM, ShopFigures, ShopRow, Totals


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
