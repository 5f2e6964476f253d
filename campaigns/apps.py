from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        # A card pledge is a provider charge that pays a shop, not the wallet; a pledge paid from
        # the wallet and a redemption's wallet part are payments reversed only with their owner.
        from vouchers.services import (
            ChargePurpose,
            charge_purpose_register,
            payment_dependant_register,
        )

        from .selectors import pledge_result_url
        from .services import (
            payment_owner_refusal,
            pledge_charge_approved,
            pledge_charge_failed,
            pledge_charge_refunded,
        )

        charge_purpose_register(
            "pledge",
            ChargePurpose(
                approved=pledge_charge_approved,
                failed=pledge_charge_failed,
                refunded=pledge_charge_refunded,
                result_url=pledge_result_url,
            ),
        )
        payment_dependant_register(payment_owner_refusal)
