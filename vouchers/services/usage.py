"""The citizen's usage row for a month: what was charged, granted and paid back as cashback. It
is the row every monthly limit is checked and raised under (locked per citizen, never
city-wide), locked before any ledger account."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from ..exceptions import ChargeLimitError
from ..models import MonthlyUsage, Payment
from ..rules import Rules, carried_in_for
from ..rules import charge_headroom as rules_charge_headroom
from .common import month_of

_USAGE_COLUMNS = ("id", "user_id", "month", "charged", "incentive", "cashback", "carried_in")


def usage_lock(*, user_id: int, month: date, rules: Rules) -> MonthlyUsage:
    """The citizen's usage row for ``month``, locked; created with the carry-over from the month
    before when the policy allows it."""
    select = (
        "SELECT id, user_id, month, charged, incentive, cashback, carried_in"
        " FROM vouchers_monthlyusage WHERE user_id = %s AND month = %s FOR UPDATE"
    )
    with connection.cursor() as cursor:
        cursor.execute(select, [user_id, month])
        row = cursor.fetchone()
        if row is None:
            carried = carried_in_for(user_id=user_id, month=month, rules=rules)
            cursor.execute(
                "INSERT INTO vouchers_monthlyusage (user_id, month, charged, incentive, cashback,"
                " carried_in) VALUES (%s, %s, 0, 0, 0, %s) ON CONFLICT DO NOTHING",
                [user_id, month, carried],
            )
            cursor.execute(select, [user_id, month])
            row = cursor.fetchone()
    usage = MonthlyUsage(**dict(zip(_USAGE_COLUMNS, row, strict=True)))
    usage._state.adding = False
    return usage


def charge_headroom(*, usage: MonthlyUsage, rules: Rules) -> int:
    return rules_charge_headroom(
        limit=rules.monthly_charge_limit, carried_in=usage.carried_in, charged=usage.charged
    )


def charge_limits_check(*, user_id: int, amount: int, usage: MonthlyUsage, rules: Rules) -> None:
    headroom = charge_headroom(usage=usage, rules=rules)
    if amount > headroom:
        raise ChargeLimitError(
            _(
                "This charge would pass your monthly limit: you can charge %(left)s won more "
                "this month."
            )
            % {"left": f"{headroom:,}"},
            headroom=headroom,
        )
    if rules.annual_charge_limit is not None:
        year_total = sum(
            MonthlyUsage.objects.filter(user_id=user_id, month__year=usage.month.year).values_list(
                "charged", flat=True
            )
        )
        if year_total + amount > rules.annual_charge_limit:
            raise ChargeLimitError(
                _("This charge would pass your annual limit of %(limit)s won.")
                % {"limit": f"{rules.annual_charge_limit:,}"}
            )


def holding_limit_check(*, balance: int, amount: int, rules: Rules) -> None:
    if rules.holding_limit is not None and balance + amount > rules.holding_limit:
        raise ChargeLimitError(
            _("Your wallet may hold at most %(limit)s won.") % {"limit": f"{rules.holding_limit:,}"}
        )


def usage_ensure(*, user_id: int, month: date, rules: Rules) -> None:
    """Create the citizen's usage row for ``month`` (with its carry-over) if it is missing."""
    with transaction.atomic():
        usage_lock(user_id=user_id, month=month, rules=rules)


def usage_row_lock(*, user_id: int, month: date) -> None:
    """Lock the citizen's usage row of ``month`` if it exists (a path that changes a month
    already used: a cancellation), before any ledger account."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM vouchers_monthlyusage WHERE user_id = %s AND month = %s FOR UPDATE",
            [user_id, month],
        )


def usage_cashback_return(*, payment: Payment) -> None:
    """A cancelled payment's cashback no longer counts toward the month's cap."""
    if payment.cashback:
        MonthlyUsage.objects.filter(
            user_id=payment.user_id, month=month_of(payment.business_date)
        ).update(cashback=Greatest(F("cashback") - payment.cashback, Value(0)))
