"""Every change the solidarity programmes make, by subject; money moves only through
``ledger.services``.

- ``gifts``: a citizen's gift to another, its claim, cancellation and return after 30 days
- ``donations``: gifts to the community fund (one-off, every cashback, donation-angel shops)
  and grants out of it
- ``relay``: relay challenges between a campaign's organisations
"""

from .donations import (
    angel_shop_donate,
    angel_shop_join,
    angel_shop_leave,
    angel_shops_donate,
    cashback_donate,
    cashback_donations_run,
    donation_give,
    donation_preference_set,
    fund_account_id,
    fund_grant,
)
from .gifts import (
    GIFT_WAIT,
    gift_cancel,
    gift_send,
    gifts_claim,
    gifts_claim_waiting,
    gifts_return_expired,
    recipient_resolve,
)
from .relay import relay_join, relay_nominate

__all__ = [
    "GIFT_WAIT",
    "angel_shop_donate",
    "angel_shop_join",
    "angel_shop_leave",
    "angel_shops_donate",
    "cashback_donate",
    "cashback_donations_run",
    "donation_give",
    "donation_preference_set",
    "fund_account_id",
    "fund_grant",
    "gift_cancel",
    "gift_send",
    "gifts_claim",
    "gifts_claim_waiting",
    "gifts_return_expired",
    "recipient_resolve",
    "relay_join",
    "relay_nominate",
]
