"""Reads of the city's districts, for every form and report that asks for one."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import District


def districts_all() -> QuerySet[District]:
    """Every district, those no longer in use too (the staff's list)."""
    return District.objects.order_by("position", "name")


def district_names(*, include: str = "") -> list[str]:
    """The names in use, in the city's order; ``include``: a name to keep even if it is no
    longer in use (the value already on a record being edited)."""
    names = list(District.objects.filter(active=True).values_list("name", flat=True))
    if include and include not in names:
        names.append(include)
    return names


def district_choices(*, include: str = "", blank_label: str | None = None) -> list:
    """Choices for a <select>: grouped by ward when the city has wards (Jeonju's 완산구 and
    덕진구), flat otherwise. ``blank_label``: a first, empty choice ("All", "Choose...")."""
    rows = list(District.objects.filter(active=True).values_list("name", "ward"))
    if include and include not in {name for name, _ward in rows}:
        rows.append((include, ""))
    choices: list = [("", blank_label)] if blank_label is not None else []
    wards: dict[str, list] = {}
    for name, ward in rows:
        wards.setdefault(ward, []).append((name, name))
    if len(wards) <= 1:
        return choices + [pair for group in wards.values() for pair in group]
    return choices + [(ward or "-", group) for ward, group in wards.items()]


def district_is_known(name: str) -> bool:
    return District.objects.filter(name=name, active=True).exists()
