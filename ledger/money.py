"""Whole won, basis points and the one rounding rule.

Money is a Python ``int`` of whole won. Rates are basis points (1000 = 10%). Every division of
money rounds **down** to the won, here and nowhere else; a split of an amount between balances
hands the won that rounding leaves over to the first part, so no won is lost or created.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext as _

from .exceptions import InvalidAmountError

Won = int
BASIS_POINTS = 10_000
# The ledger's own bound on one posting: ten trillion won. Services bound user input lower.
LEDGER_MAX_AMOUNT = 10_000_000_000_000


def apply_rate(amount: Won, rate_bp: int) -> Won:
    """``amount × rate``, rounded down to the won. ``apply_rate(12_345, 1000) == 1_234``."""
    if amount < 0 or rate_bp < 0:
        raise ValueError("apply_rate takes a non-negative amount and rate")
    return amount * rate_bp // BASIS_POINTS


def split(amount: Won, weights: Sequence[int]) -> list[Won]:
    """Split ``amount`` in proportion to ``weights`` (non-negative integers).

    Every part but the first is rounded down; the first takes what is left, so the parts sum to
    ``amount`` exactly. ``split(1001, [2, 1]) == [668, 333]``.
    """
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("split takes non-negative amounts and weights")
    total = sum(weights)
    if not weights:
        raise ValueError("split needs at least one weight")
    if total == 0:
        return [amount] + [0] * (len(weights) - 1)
    rest = [amount * w // total for w in weights[1:]]
    return [amount - sum(rest), *rest]


def parse_amount(value, *, maximum: Won | None = None, minimum: Won = 1) -> Won:
    """A user-supplied amount as whole won, or ``InvalidAmountError``.

    Accepts an ``int`` or a string of ASCII digits (with optional thousands commas and a trailing
    원). Refuses booleans, floats, fractions, signs, non-ASCII digits, and anything outside
    ``minimum``..``maximum`` (default ``MONEY_MAX_AMOUNT``).
    """
    maximum = settings.MONEY_MAX_AMOUNT if maximum is None else maximum
    if isinstance(value, bool):
        raise InvalidAmountError(_("An amount is a whole number of won."))
    if isinstance(value, int):
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace(",", "").removesuffix("원").strip()
        if not text or not text.isascii() or not text.isdigit() or len(text) > 15:
            raise InvalidAmountError(_("An amount is a whole number of won, like 12000."))
        amount = int(text)
    else:
        raise InvalidAmountError(_("An amount is a whole number of won, like 12000."))
    if amount < minimum:
        raise InvalidAmountError(
            _("The amount must be at least %(min)s won.") % {"min": f"{minimum:,}"}
        )
    if amount > maximum:
        raise InvalidAmountError(
            _("The amount may be at most %(max)s won.") % {"max": f"{maximum:,}"}
        )
    return amount
