"""Korean mobile numbers: one stored form, ``01012345678``.

Accepted as typed: ``010-1234-5678``, ``010 1234 5678``, ``01012345678``, ``+82 10-1234-5678``,
``+821012345678`` and ``82-10-1234-5678``. Mobile numbers start 010 (all numbers since the 2000s)
and, for old lines still in use, 011, 016, 017, 018 and 019 with a 3- or 4-digit middle part.

>>> phone_normalise("010-1234-5678")
'01012345678'
>>> phone_normalise("+82 10 1234 5678")
'01012345678'
>>> phone_mask("01012345678")
'010-****-5678'
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from jeonju_prepay.exceptions import ApplicationError

_SEPARATORS = re.compile(r"[\s\-.()]")
_MOBILE = re.compile(r"^(010\d{8}|01[16789]\d{7,8})$")


class PhoneNumberError(ApplicationError):
    code = "phone_invalid"
    default_message = _("Enter a Korean mobile number, e.g. 010-1234-5678.")


def phone_normalise(raw: str | None) -> str:
    """The stored form of a Korean mobile number; raises ``PhoneNumberError`` for anything else."""
    digits = _SEPARATORS.sub("", (raw or "").strip())
    if digits.startswith("+82"):
        digits = "0" + digits[3:]
    elif digits.startswith("82") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if digits.startswith("00"):
        digits = digits[1:]
    if not _MOBILE.match(digits):
        raise PhoneNumberError()
    return digits


def phone_display(phone: str) -> str:
    """``01012345678`` → ``010-1234-5678`` (``0111234567`` → ``011-123-4567``)."""
    if len(phone) == 11:
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if len(phone) == 10:
        return f"{phone[:3]}-{phone[3:6]}-{phone[6:]}"
    return phone


def phone_mask(phone: str) -> str:
    """The middle part hidden, for logs and pages that need no more: ``010-****-5678``."""
    shown = phone_display(phone)
    head, _sep, rest = shown.partition("-")
    middle, _sep2, tail = rest.partition("-")
    if not tail:
        return "***"
    return f"{head}-{'*' * len(middle)}-{tail}"
