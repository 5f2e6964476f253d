"""The Korean business registration number (사업자등록번호): its shape, ranges and check digit.

Ten digits ``abc-de-fghij``: ``abc`` the tax office code (101 and up), ``de`` the type of
business (01-99; 81-88 corporations, 90-99 tax-exempt individuals ...), ``fghi`` a serial
(never 0000) and ``j`` the check digit. The check digit is computed from the first nine with the
weights 1 3 7 1 3 7 1 3 5, plus the tens digit of (9th digit × 5); the sum's last digit taken
from 10, modulo 10, must equal the tenth digit.

``parse`` is the one way in for a number someone typed: ASCII digits, either all ten together or
with hyphens in the usual places (``124-81-00998``), surrounding spaces trimmed; anything else
(letters, other separators, full-width digits) is refused, never dropped silently.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
_SHAPE = re.compile(r"^(?:\d{10}|\d{3}-\d{2}-\d{5})$", re.ASCII)


def check_digit(first_nine: str) -> int:
    digits = [int(ch) for ch in first_nine]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True))
    total += digits[8] * 5 // 10
    return (10 - total % 10) % 10


def problem(value: str) -> str | None:
    """Why ``value`` is not a business registration number (a sentence), or None."""
    text = (value or "").strip()
    if not _SHAPE.match(text):
        return _("A business registration number is 10 digits, written 123-45-67890 or 1234567890.")
    digits = text.replace("-", "")
    if int(digits[:3]) < 101:
        return _("The first three digits (the tax office code) start at 101.")
    if digits[3:5] == "00":
        return _("The middle two digits (the type of business) cannot be 00.")
    if digits[5:9] == "0000":
        return _("The serial digits cannot all be 0.")
    if check_digit(digits[:9]) != int(digits[9]):
        return _("The last digit does not match: check the number on the registration.")
    return None


def parse(value: str) -> str:
    """The ten digits of a valid number, or ``InvalidBusinessNumberError`` saying what is
    wrong."""
    from .exceptions import InvalidBusinessNumberError

    reason = problem(value)
    if reason is not None:
        raise InvalidBusinessNumberError(reason)
    return value.strip().replace("-", "")


def is_valid(value: str) -> bool:
    return problem(value) is None


def formatted(digits: str) -> str:
    """``1248100998`` → ``124-81-00998`` (the way the number is printed everywhere)."""
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else digits


def with_check_digit(first_nine: str) -> str:
    """Complete nine digits into a number with its check digit (for demo data and tests)."""
    return first_nine + str(check_digit(first_nine))
