"""What every campaigns service shares: the manager check and the limits."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from accounts.models import User

from ..exceptions import (
    CampaignError,
)

logger = logging.getLogger(__name__)

PLEDGE_CANCEL_DAYS = 7


def require_manager(by: User | None) -> None:
    if by is not None and not by.has_perm("campaigns.manage_campaign"):
        raise CampaignError(_("Only city staff run campaigns."), code="forbidden")
