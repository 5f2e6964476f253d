"""Every change to cards, paper notes and desks, by subject (see docs/cards.md).

- ``cards``: issue, PIN, block, replace, pay at the counter
- ``notes``: batches, check codes, sale at a bank desk, redemption at a shop
- ``desks``: accounts made at a desk, charges with cash or transfer, the end-of-day close

Locks, whenever a transaction takes several, in this order: the card or note rows, the
citizen's ``MonthlyUsage`` row, then ledger accounts in ascending id (the wallet's order).
"""

from .cards import (
    card_block,
    card_issue,
    card_number_normalise,
    card_pay,
    card_pin_verify,
    card_replace,
    luhn_digit,
)
from .common import desk_check, is_card_staff, staff_check
from .desks import desk_account_create, desk_cash_account, desk_charge, desk_close
from .notes import (
    batch_cancel,
    batch_create,
    note_check_code,
    note_redeem,
    note_serial,
    note_verify,
    notes_sell,
)

__all__ = [
    "batch_cancel",
    "batch_create",
    "card_block",
    "card_issue",
    "card_number_normalise",
    "card_pay",
    "card_pin_verify",
    "card_replace",
    "desk_account_create",
    "desk_cash_account",
    "desk_charge",
    "desk_check",
    "desk_close",
    "is_card_staff",
    "luhn_digit",
    "note_check_code",
    "note_redeem",
    "note_serial",
    "note_verify",
    "notes_sell",
    "staff_check",
]
