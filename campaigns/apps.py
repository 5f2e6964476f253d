from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        # A card pledge is a provider charge that pays a shop, not the wallet.
        from vouchers.services import ChargePurpose, charge_purpose_register

        from .services import pledge_charge_approved, pledge_charge_failed

        charge_purpose_register(
            "pledge", ChargePurpose(approved=pledge_charge_approved, failed=pledge_charge_failed)
        )
