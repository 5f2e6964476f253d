"""The city's administrative districts: its 행정동 (dong), or 읍 and 면 in a county.

One list per city (each city's schema has its own), kept by city staff at /districts/. Every
form that asks for a district chooses from it, so a report grouped by district has no rows split
by a typo ("풍남동" and "풍남 동"). A district merged or renamed is deactivated, not deleted:
records made before keep their district, and new ones can no longer choose it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    class Kind(models.TextChoices):
        DONG = "dong", _("Dong")
        EUP = "eup", _("Eup")
        MYEON = "myeon", _("Myeon")

    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DONG)
    # The 구 of a city with wards (Jeonju: 완산구, 덕진구); empty for a county's 읍·면.
    ward = models.CharField(_("ward (gu)"), max_length=50, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        permissions = [("manage_district", "Can keep the city's list of districts")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="districts_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name
