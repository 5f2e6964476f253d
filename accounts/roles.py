"""Roles are Django groups; what each may do is a list of permissions, kept here in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    MERCHANT_OWNER = "merchant_owner", _("Shop owner")
    MERCHANT_CLERK = "merchant_clerk", _("Shop clerk")
    LANDLORD = "landlord", _("Landlord")
    CITY_STAFF = "city_staff", _("City staff")
    BANK_TELLER = "bank_teller", _("Partner bank teller")
    COMMUNITY_STAFF = "community_staff", _("Community centre staff")


# "app_label.codename" of each permission a role carries. A permission of an app that is not
# installed is skipped with a warning by roles_sync.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CITIZEN: [
        "vouchers.use_wallet",
        "campaigns.add_pledge",
        "grants.apply_grant",
    ],
    Role.MERCHANT_OWNER: [
        "merchants.manage_shop",
        "merchants.serve_counter",
        "merchants.view_payouts",
    ],
    Role.MERCHANT_CLERK: [
        "merchants.serve_counter",
    ],
    Role.LANDLORD: [
        "rentals.propose_agreement",
    ],
    Role.CITY_STAFF: [
        "accounts.create_staff",
        "merchants.review_shop",
        "vouchers.change_policy",
        "campaigns.manage_campaign",
        "dashboard.view_dashboard",
        "operations.run_nightly",
        "rentals.verify_agreement",
        "workplaces.manage_workplaces",
        "ledger.view_ledger",
        "districts.manage_district",
        "cards.manage_cards",
        "sales.manage_sale",
        "grants.manage_grants",
        "fraud.review_case",
    ],
    Role.BANK_TELLER: [],
    Role.COMMUNITY_STAFF: [],
}
