from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Charge days")

    def ready(self):
        # A sale's purchase is a wallet charge with the tranche's incentive: vouchers asks us
        # for its terms when the provider confirms or declines it.
        from vouchers.services import charge_terms_register

        from .services import sale_charge_terms

        charge_terms_register(sale_charge_terms)
