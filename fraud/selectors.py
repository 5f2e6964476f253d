"""Reads: the facts the signals score, the city's thresholds, the review queue."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from merchants.models import Shop
from vouchers.exceptions import PolicyMissingError
from vouchers.models import Charge, Payment, Refund
from vouchers.rules import rules_on

from .models import Case, FraudSettings
from .rules import ChargeFact, Facts, PaymentFact, RefundFact, ShopFact, Thresholds


def settings_current() -> FraudSettings:
    return FraudSettings.objects.order_by("-created_at", "-id").first() or FraudSettings()


def thresholds_current(*, on: date | None = None) -> Thresholds:
    """The thresholds in force: the defaults, the wallet policy's monthly charge limit, then the
    city's own values."""
    values: dict = {}
    with contextlib.suppress(PolicyMissingError):  # no wallet policy yet: the default stands
        values["monthly_charge_limit"] = rules_on(on or timezone.localdate()).monthly_charge_limit
    values.update(settings_current().values)
    return Thresholds.of(values)


def window_of(business_date: date, thresholds: Thresholds) -> tuple[datetime, datetime]:
    """``window_days`` business dates ending with ``business_date``, as local times."""
    tz = timezone.get_current_timezone()
    end = datetime.combine(business_date + timedelta(days=1), time(), tzinfo=tz)
    return end - timedelta(days=thresholds.window_days), end


def facts_load(*, start: datetime, end: datetime, thresholds: Thresholds) -> Facts:
    """The window's completed wallet payments, the charges just before and in it, refunds and
    cancelled charges in it, and the shops (with their owners)."""
    facts = Facts(start=start, end=end)
    local = timezone.localtime
    for pk, user_id, shop_id, amount, created in (
        Payment.objects.filter(
            status=Payment.Status.COMPLETED, created_at__gte=start, created_at__lt=end
        )
        .values_list("id", "user_id", "shop_id", "amount", "created_at")
        .iterator(chunk_size=5_000)
    ):
        facts.payments.append(PaymentFact(pk, user_id, shop_id, amount, local(created)))
    since = start - timedelta(minutes=thresholds.fast_minutes)
    refund_since = start - timedelta(days=thresholds.refund_days)
    for pk, user_id, amount, incentive, paid_at in Charge.objects.filter(
        purpose="wallet", paid_at__gte=min(since, refund_since), paid_at__lt=end
    ).values_list("id", "user_id", "amount", "incentive", "paid_at"):
        facts.charges.append(ChargeFact(pk, user_id, amount, incentive, local(paid_at)))
    for pk, user_id, amount, created in Refund.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).values_list("id", "user_id", "principal", "created_at"):
        facts.refunds.append(RefundFact(pk, user_id, amount, local(created), "refund"))
    for pk, user_id, amount, cancelled in Charge.objects.filter(
        status=Charge.Status.CANCELLED, cancelled_at__gte=start, cancelled_at__lt=end
    ).values_list("id", "user_id", "amount", "cancelled_at"):
        facts.refunds.append(RefundFact(-pk, user_id, amount, local(cancelled), "cancel"))
    for pk, owner_id, approved_at, bracket, name in Shop.objects.values_list(
        "id", "owner_id", "approved_at", "sales_bracket", "name"
    ).iterator(chunk_size=5_000):
        facts.shops[pk] = ShopFact(
            pk, owner_id, local(approved_at) if approved_at else None, bracket, name
        )
    return facts


def cases_queue(*, status: str | None = None) -> QuerySet[Case]:
    cases = Case.objects.select_related("shop", "user")
    if status:
        return cases.filter(status=status)
    return cases.filter(status__in=Case.ACTIVE)


def case_payments(case: Case) -> QuerySet[Payment]:
    """The payments behind a case's signals."""
    return (
        Payment.objects.filter(pk__in=case.payment_ids)
        .select_related("shop", "user")
        .order_by("created_at")
    )


def case_shops(case: Case) -> QuerySet[Shop]:
    return Shop.objects.filter(pk__in=case.shops).order_by("pk")
