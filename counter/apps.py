from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    """The shop counter: identify a customer from their code, take a bill (the prepaid balance
    first, the rest from the wallet), today's activity and its cancellations, for clerks'
    pages and counter devices alike. It uses merchants, vouchers and campaigns; none of them
    knows it."""

    name = "counter"
    verbose_name = _("Counter")
