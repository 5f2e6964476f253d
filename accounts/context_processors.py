"""Navigation by role, for the base layout."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name

from .roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...]


# Added to as features land; an item whose URL does not exist yet is left out.
NAV_ITEMS: list[NavItem] = [
    NavItem(_("Wallet"), "vouchers:wallet", (Role.CITIZEN,)),
    NavItem(_("Campaigns"), "campaigns:campaign-list", (Role.CITIZEN,)),
    NavItem(_("My prepayments"), "campaigns:pledge-list", (Role.CITIZEN,)),
    NavItem(_("Grants"), "grants:home", (Role.CITIZEN,)),
    NavItem(_("Counter"), "counter:counter-home", (Role.MERCHANT_OWNER, Role.MERCHANT_CLERK)),
    NavItem(_("My shops"), "merchants:shop-list", (Role.MERCHANT_OWNER, Role.MERCHANT_CLERK)),
    NavItem(_("Rent reductions"), "rentals:home", (Role.LANDLORD, Role.MERCHANT_OWNER)),
    NavItem(_("Dashboard"), "dashboard:home", (Role.CITY_STAFF,)),
    NavItem(_("Shop reviews"), "merchants:review-list", (Role.CITY_STAFF,)),
    NavItem(_("Wallet policy"), "vouchers:policy", (Role.CITY_STAFF,)),
    NavItem(_("Good rental"), "rentals:staff-list", (Role.CITY_STAFF,)),
    NavItem(_("Grant programmes"), "grants:staff-home", (Role.CITY_STAFF,)),
    NavItem(_("Districts"), "districts:list", (Role.CITY_STAFF,)),
    NavItem(_("My cards"), "cards:mine", (Role.CITIZEN,)),
    NavItem(_("Paper notes"), "cards:batches", (Role.CITY_STAFF,)),
    NavItem(_("Desks"), "cards:desk-home", (Role.BANK_TELLER, Role.COMMUNITY_STAFF)),
]


def navigation(request):
    if connection.schema_name == get_public_schema_name():
        return {"nav_items": [], "is_platform_host": True}
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        roles = user.roles
        for item in NAV_ITEMS:
            if roles.intersection(item.roles):
                try:
                    url = reverse(item.url_name)
                except NoReverseMatch:
                    continue
                items.append({"label": item.label, "url": url})
    return {
        "nav_items": items,
        "is_platform_host": False,
        "city": getattr(request, "tenant", None),
    }
