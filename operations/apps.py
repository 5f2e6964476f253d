from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """The nightly run and its records, the schedule, and the platform's commands
    (``setup_platform``, ``seed_demo``, ``run_nightly``): above every domain app, it uses them;
    the dashboard only reads what it records."""

    name = "operations"
    verbose_name = _("Operations")
