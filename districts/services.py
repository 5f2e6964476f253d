"""Changes to the city's list of districts (city staff, and the demo/new-city loader)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from .exceptions import DistrictError, DistrictNotFoundError
from .models import District


@transaction.atomic
def district_create(*, name: str, kind: str = District.Kind.DONG, ward: str = "") -> District:
    """Adds a district at the end of the list. Raises ``DistrictError`` for an empty or
    existing name (a name once used stays unique: reactivate it instead)."""
    name, ward = " ".join(str(name).split()), " ".join(str(ward).split())
    if not name:
        raise DistrictError(_("Enter the district's name."))
    if kind not in District.Kind.values:
        raise DistrictError(_("Choose dong, eup or myeon."))
    last = District.objects.aggregate(m=Max("position"))["m"] or 0
    try:
        with transaction.atomic():
            return District.objects.create(name=name, kind=kind, ward=ward, position=last + 1)
    except IntegrityError as exc:
        raise DistrictError(
            _("%(name)s is already on the list.") % {"name": name}, code="district_exists"
        ) from exc


def district_check(name: str) -> str:
    """``name`` if the city's list has it in use; raises ``DistrictError`` otherwise. A city
    whose staff have not made a list yet takes any name (it has nothing to choose from)."""
    name = " ".join(str(name).split())
    if not name:
        raise DistrictError(_("Choose the district."), code="district_required")
    if District.objects.exists() and not District.objects.filter(name=name, active=True).exists():
        raise DistrictError(
            _("%(name)s is not one of the city's districts: choose one from the list.")
            % {"name": name},
            code="district_unknown",
        )
    return name


@transaction.atomic
def district_set_active(*, district_id: int, active: bool) -> District:
    """Takes a district out of use (merged, renamed) or back into use. Records that name it
    keep it either way."""
    district = District.objects.select_for_update().filter(pk=district_id).first()
    if district is None:
        raise DistrictNotFoundError()
    district.active = active
    district.save(update_fields=["active"])
    return district


@transaction.atomic
def districts_load(*, rows: list[tuple[str, str, str]]) -> int:
    """Adds the ``(name, kind, ward)`` rows not on the list yet, in order; returns how many.
    Safe to run again (the demo seed does)."""
    existing = set(District.objects.values_list("name", flat=True))
    last = District.objects.aggregate(m=Max("position"))["m"] or 0
    new = [
        District(name=name, kind=kind, ward=ward, position=last + i)
        for i, (name, kind, ward) in enumerate((r for r in rows if r[0] not in existing), start=1)
    ]
    District.objects.bulk_create(new)
    return len(new)
