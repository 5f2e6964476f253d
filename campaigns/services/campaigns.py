"""Campaigns, their phases, organisations and the shops that join."""

from __future__ import annotations

import logging
import secrets
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from ledger.services import (
    business_date_today,
)
from merchants.exceptions import ShopNotApprovedError, ShopPermissionError
from merchants.models import Shop, ShopMember

from ..exceptions import (
    CampaignError,
    InvitationCodeError,
)
from ..models import (
    Campaign,
    CampaignShop,
    Membership,
    Organisation,
    Phase,
)
from .common import require_manager

logger = logging.getLogger(__name__)

# --- Campaigns, phases, organisations, shops ---------------------------------------------------


@transaction.atomic
def campaign_create(
    *, by: User | None, name: str, starts_on: date, ends_on: date, **rules
) -> Campaign:
    require_manager(by)
    if ends_on < starts_on:
        raise CampaignError(_("The campaign ends before it starts."))
    campaign = Campaign(
        name=name.strip(), starts_on=starts_on, ends_on=ends_on, created_by=by, **rules
    )
    if campaign.min_pledge <= 0 or campaign.max_pledge < campaign.min_pledge:
        raise CampaignError(_("The pledge minimum must be positive and at most the maximum."))
    if campaign.max_per_citizen < campaign.min_pledge:
        raise CampaignError(_("The limit per citizen must allow at least one pledge."))
    campaign.save()
    return campaign


@transaction.atomic
def phase_add(
    *,
    by: User | None,
    campaign: Campaign,
    number: int,
    name: str,
    starts_on: date,
    ends_on: date,
    members_only: bool = False,
    target_participants: int = 0,
    target_amount: int = 0,
) -> Phase:
    require_manager(by)
    if ends_on < starts_on or starts_on < campaign.starts_on or ends_on > campaign.ends_on:
        raise CampaignError(_("A phase lies within its campaign's dates."))
    overlapping = campaign.phases.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlapping.exists():
        raise CampaignError(_("Phases of a campaign do not overlap."))
    return Phase.objects.create(
        campaign=campaign,
        number=number,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        members_only=members_only,
        target_participants=target_participants,
        target_amount=target_amount,
    )


def organisation_create(*, by: User | None, name: str, kind: str, campaigns=()) -> Organisation:
    require_manager(by)
    if kind not in Organisation.Kind.values:
        raise CampaignError(_("Choose the kind of organisation from the list."))
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name.strip(), kind=kind, invite_code=_new_invite_code()
        )
        organisation.campaigns.set(campaigns)
    return organisation


def _new_invite_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        if not Organisation.objects.filter(invite_code=code).exists():
            return code


def organisation_join(*, user: User, invite_code: str) -> Membership:
    """A citizen joins an organisation with its invitation code; their pledges count for it."""
    code = (invite_code or "").strip().upper().replace("-", "").replace(" ", "")
    organisation = Organisation.objects.filter(invite_code=code).first() if code else None
    if organisation is None:
        raise InvitationCodeError()
    membership, _created = Membership.objects.get_or_create(organisation=organisation, user=user)
    return membership


def campaign_shop_join(
    *, shop: Shop, by: User, campaign: Campaign, bonus_bp: int = 0
) -> CampaignShop:
    """A shop owner opts the shop into a campaign, with an optional bonus it pays itself."""
    if not ShopMember.objects.filter(shop=shop, user=by, role=ShopMember.Role.OWNER).exists():
        raise ShopPermissionError(_("Only the shop's owner can join a campaign."))
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotApprovedError()
    if not 0 <= int(bonus_bp) <= 3000:
        raise CampaignError(_("A bonus is between 0% and 30%."))
    if campaign.ends_on < business_date_today():
        raise CampaignError(_("This campaign has ended."))
    entry, created = CampaignShop.objects.get_or_create(
        campaign=campaign, shop=shop, defaults={"bonus_bp": bonus_bp}
    )
    if not created:
        entry.bonus_bp = bonus_bp
        entry.active = True
        entry.save(update_fields=["bonus_bp", "active"])
    return entry


def campaign_shop_leave(*, shop: Shop, by: User, campaign: Campaign) -> None:
    if not ShopMember.objects.filter(shop=shop, user=by, role=ShopMember.Role.OWNER).exists():
        raise ShopPermissionError(_("Only the shop's owner can leave a campaign."))
    CampaignShop.objects.filter(campaign=campaign, shop=shop).update(active=False)
