from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    """Access without a smartphone: card and paper certificates, and the assisted desks of
    partner bank branches and community centres (docs/cards.md)."""

    name = "cards"
    verbose_name = _("Cards, paper notes and desks")
    default_auto_field = "django.db.models.BigAutoField"
