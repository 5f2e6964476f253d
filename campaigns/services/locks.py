"""The campaigns' lock sets, in the one order every transaction takes them (see the package's
docstring): the campaign-shop row, the citizen's user row, then the prepaid accounts.

The pledge rows themselves are locked by the service that reads them (``select_for_update``
ordered by id); the wallet's own set follows, from ``vouchers.services.locks``.
"""

from __future__ import annotations

from django.db import connection

from accounts.models import User
from ledger.models import Account

from ..models import CampaignShop


def pledge_lock(*, campaign_shop: CampaignShop, user: User) -> None:
    """The cap per shop (the campaign-shop row), then the cap per citizen (the user row)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM campaigns_campaignshop WHERE id = %s FOR UPDATE", [campaign_shop.pk]
        )
        cursor.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [user.pk])


def prepaid_specs(user_id: int, shop_id: int) -> list[tuple]:
    """The prepaid accounts of a citizen at a shop (the citizen's ``prepaid``, the shop's
    ``prepaid_issued``), as ``ledger.services.accounts_lock_spec`` wants them: it locks them in
    id order, after the pledge rows and before anything of the wallet."""
    return [
        (Account.Kind.PREPAID, user_id, shop_id, 0),
        (Account.Kind.PREPAID_ISSUED, None, shop_id, 0),
    ]
