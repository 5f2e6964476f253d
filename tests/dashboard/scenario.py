"""Helpers shared by the nightly-run tests: the clock in Asia/Seoul and a shop's ledger figures."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ledger.models import Account

SEOUL = ZoneInfo("Asia/Seoul")


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour``:``minute`` in Seoul (for time_machine)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)


def balance(kind: str, shop) -> int:
    return int(
        Account.objects.filter(kind=kind, owner_shop_id=shop.pk)
        .values_list("balance", flat=True)
        .first()
        or 0
    )


def payable(shop) -> int:
    return balance("shop_payable", shop)


def paid_out(shop) -> int:
    return balance("shop_payouts", shop)
