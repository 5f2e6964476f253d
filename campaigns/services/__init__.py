"""Every change to campaigns, organisations, pledges and prepaid balances.

Locks, in this order whenever a transaction takes several: the campaign-shop row (the cap per
shop), the citizen's user row (the cap per citizen), the citizen's pledge rows at the shop (in id
order), the prepaid accounts (``prepaid`` citizen × shop, then ``prepaid_issued`` of the shop, in
id order), then what ``vouchers.services.wallet_pay`` locks (usage row, wallet accounts, the
shop's payable). Keeping the prepaid accounts before the payable means a pledge and a mixed
redemption at one shop queue rather than deadlock.
"""

from __future__ import annotations

from .campaigns import (
    campaign_create,
    campaign_shop_join,
    campaign_shop_leave,
    organisation_create,
    organisation_join,
    phase_add,
)
from .common import PLEDGE_CANCEL_DAYS, require_manager
from .expiry import (
    ExpiryReport,
    ShopLiability,
    closed_shop_refund,
    guarantee_fund_add,
    prepaid_expire_due,
    prepaid_liability_by_shop,
    redemptions_by_shop,
)
from .locks import pledge_lock, prepaid_specs
from .pledges import (
    COUNTED,
    PledgeTerms,
    payment_owner_refusal,
    phase_on,
    pledge_body,
    pledge_cancel,
    pledge_charge_approved,
    pledge_charge_failed,
    pledge_charge_refunded,
    pledge_terms,
    pledge_with_card,
    pledge_with_wallet,
)
from .redemptions import prepaid_redeem, redemption_cancel

__all__ = [
    "COUNTED",
    "PLEDGE_CANCEL_DAYS",
    "ExpiryReport",
    "PledgeTerms",
    "ShopLiability",
    "campaign_create",
    "campaign_shop_join",
    "campaign_shop_leave",
    "closed_shop_refund",
    "guarantee_fund_add",
    "organisation_create",
    "organisation_join",
    "payment_owner_refusal",
    "phase_add",
    "phase_on",
    "pledge_body",
    "pledge_cancel",
    "pledge_charge_approved",
    "pledge_charge_failed",
    "pledge_charge_refunded",
    "pledge_lock",
    "pledge_terms",
    "pledge_with_card",
    "pledge_with_wallet",
    "prepaid_expire_due",
    "prepaid_liability_by_shop",
    "prepaid_redeem",
    "prepaid_specs",
    "redemption_cancel",
    "redemptions_by_shop",
    "require_manager",
]
