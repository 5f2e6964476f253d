from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FraudConfig(AppConfig):
    """Cash-out detection and review: above the programmes it watches (merchants, vouchers)
    and beside the dashboard; it registers its nightly step with operations."""

    name = "fraud"
    verbose_name = _("Cash-out detection")

    def ready(self) -> None:
        from operations.nightly import Step, step_register

        from .nightly import step_fraud

        step_register(Step.FRAUD, step_fraud)
