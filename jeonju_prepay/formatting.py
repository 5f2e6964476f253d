"""Amounts, rates and counts as Koreans read them, for any layer: ``12,000원``, ``2.5%``.

Plain functions, so services and messages format the way pages do without importing
presentation code; the template filters of ``jeonju_prepay.templatetags.won`` are these.
"""

from __future__ import annotations


def won(value) -> str:
    """``12000`` → ``12,000원``; negative amounts keep their sign; ``None`` → ``-``."""
    if value is None or value == "":
        return "-"
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{amount:,}원"


def bp_percent(value) -> str:
    """Basis points as a percentage: ``1000`` → ``10%``, ``250`` → ``2.5%``."""
    try:
        bp = int(value)
    except (TypeError, ValueError):
        return "-"
    sign = "-" if bp < 0 else ""
    whole, rest = divmod(abs(bp), 100)
    return f"{sign}{whole}%" if rest == 0 else f"{sign}{whole}.{rest:02d}".rstrip("0") + "%"


def num(value) -> str:
    """A count with thousands separators: ``50000`` → ``50,000``; ``None`` → ``-``."""
    if value is None or value == "":
        return "-"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def brn(value) -> str:
    """A business registration number as printed on the certificate: ``4028100073`` →
    ``402-81-00073``; anything that is not ten digits is shown as it is."""
    digits = str(value or "").replace("-", "")
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return str(value or "")
