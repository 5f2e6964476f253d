from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from operations.nightly import Step, step_register

        from .nightly import step_rollups

        step_register(Step.ROLLUPS, step_rollups)
