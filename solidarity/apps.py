from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolidarityConfig(AppConfig):
    name = "solidarity"
    verbose_name = _("Solidarity")

    def ready(self) -> None:
        from merchants.settlement import settlement_before_register
        from operations.nightly import Step, step_register

        from . import message_kinds  # noqa: F401  (registers the messages)
        from .nightly import settlement_angel_shops, step_solidarity

        step_register(Step.SOLIDARITY, step_solidarity)
        settlement_before_register(settlement_angel_shops)
