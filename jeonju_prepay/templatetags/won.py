"""Amounts as Koreans read them: ``12,000원``. Loaded in every template (a builtin)."""

from __future__ import annotations

from django import template

from jeonju_prepay import formatting

register = template.Library()
register.filter("won", formatting.won)
register.filter("bp_percent", formatting.bp_percent)
register.filter("num", formatting.num)
register.filter("brn", formatting.brn)


@register.filter
def percent_of(value, target) -> int:
    """Progress in whole percent, capped at 100, for progress bars."""
    try:
        value, target = int(value), int(target)
    except (TypeError, ValueError):
        return 0
    if target <= 0:
        return 0
    return max(0, min(100, value * 100 // target))


@register.filter
def mask(name) -> str:
    """A person's name as a shop may see it: 김민수 → 김*수."""
    from accounts.utils import mask_name

    return mask_name(str(name or ""))
