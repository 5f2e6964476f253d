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


@register.filter
def num(value) -> str:
    """A count with thousands separators: ``50000`` → ``50,000``; ``None`` → ``-``."""
    if value is None or value == "":
        return "-"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def brn(value) -> str:
    """A business registration number as printed on the certificate: ``4028100073`` →
    ``402-81-00073``; anything that is not ten digits is shown as it is."""
    digits = str(value or "").replace("-", "")
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return str(value or "")
