"""Amounts as Koreans read them: ``12,000원``. Loaded in every template (a builtin)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def won(value) -> str:
    """``12000`` → ``12,000원``; negative amounts keep their sign; ``None`` → ``-``."""
    if value is None or value == "":
        return "-"
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{amount:,}원"


@register.filter
def bp_percent(value) -> str:
    """Basis points as a percentage: ``1000`` → ``10%``, ``250`` → ``2.5%``."""
    try:
        bp = int(value)
    except (TypeError, ValueError):
        return "-"
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


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
