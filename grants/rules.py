"""The grants' pure rules: the amount, the identifier's fingerprint and mask, thresholds.

Worked example (Jeonju, March 2020): 30% (3,000 bp) of the standard median income of 2020 for
one person, 1,757,194 won a month, is 527,158.2 won, rounded down to the won: 527,158 won.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from ledger.money import apply_rate


def grant_amount(
    *, rule: str, fixed_amount: int, share_bp: int, table: dict, household_size: int, per: str
) -> int:
    """Won for one grant. A share of the median income uses the household's size when the
    programme pays per household, the one-person figure when it pays per person; a size
    beyond the table takes its largest size."""
    if rule == "fixed":
        return fixed_amount
    size = household_size if per == "household" else 1
    sizes = sorted(int(k) for k in table)
    if not sizes:
        return 0
    size = min(max(size, sizes[0]), sizes[-1])
    return apply_rate(int(table[str(size)]), share_bp)


def identifier_normalise(value: str) -> str:
    """A resident-registration or other identifier with its separators removed."""
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def person_key(identifier: str) -> str:
    """A keyed fingerprint of an identifier (HMAC-SHA-256 with the site's secret): lists and
    applications are matched on it, and the identifier itself is never stored."""
    raw = identifier_normalise(identifier).encode()
    secret = f"grants:{settings.SECRET_KEY}".encode()
    return hmac.new(secret, raw, hashlib.sha256).hexdigest()


def identifier_mask(identifier: str) -> str:
    """The first six characters and the seventh (birth date and sex digit of a resident
    number), the rest hidden: ``900101-1******``."""
    value = identifier_normalise(identifier)
    if len(value) <= 7:
        return value[:2] + "*" * max(0, len(value) - 2)
    return f"{value[:6]}-{value[6]}{'*' * (len(value) - 7)}"


def name_mask(name: str) -> str:
    """김민수 → 김*수, 이준 → 이*."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
