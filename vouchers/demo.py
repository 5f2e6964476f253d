"""Demo wallet data: Jeonju's policy (10% cashback up to 50,000 won a month, 500,000 won monthly
limit, 1,000,000 won and 20% in January-February), a budget, charged wallets with payments;
Wanju gives a 10% charging incentive instead of cashback."""

from __future__ import annotations

import datetime as dt

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from ledger.services import Idem, business_date_today
from merchants.models import Shop

from .models import Charge, Policy, PolicyOverride
from .sandbox_views import sandbox_approve
from .services import (
    budget_fund,
    charge_cancel,
    charge_create,
    pin_set,
    policy_override_add,
    policy_set,
    wallet_pay,
)

DEMO_PIN = "123456"


def seed(ctx) -> None:
    today = business_date_today()
    staff = User.objects.get(email="staff@demo.kr")
    if not Policy.objects.exists():
        if ctx.is_main_city:
            policy_set(
                by=staff,
                effective_from=dt.date(2021, 1, 1),
                charge_incentive_bp=0,
                cashback_bp=1000,
                monthly_charge_limit=500_000,
                monthly_cashback_cap=50_000,
                carry_over=False,
                shop_class_cashback_bp={"over_3b": 0, "under_300m": 1000},
                citizen_group_bonus_bp={"low_income": 500},
            )
        else:
            policy_set(
                by=staff,
                effective_from=dt.date(2021, 1, 1),
                charge_incentive_bp=1000,
                cashback_bp=0,
                monthly_charge_limit=500_000,
                monthly_cashback_cap=0,
                monthly_incentive_cap=50_000,
                carry_over=True,
            )
    if ctx.is_main_city and not PolicyOverride.objects.exists():
        for year in (2021, today.year, today.year + 1):
            policy_override_add(
                by=staff,
                starts_on=dt.date(year, 1, 1),
                ends_on=dt.date(year, 2, 28),
                monthly_charge_limit=1_000_000,
                cashback_bp=2000,
                monthly_cashback_cap=100_000,
                note=f"{year}년 1~2월 특별 충전 (20%, 100만 원)",
            )
    budget_fund(
        by=staff,
        name=f"{today.year}년 인센티브 예산",
        starts_on=dt.date(today.year, 1, 1),
        ends_on=dt.date(today.year, 12, 31),
        amount=5_000_000_000 if ctx.is_main_city else 500_000_000,
        idempotency_key=f"demo-{today.year}",
        # Booked before the dashboard's three weeks of history, whose cashback it pays.
        business_date=today - dt.timedelta(days=30),
    )
    ctx.notes.append(
        "Wallet policy: staff@demo.kr adds versions, dated overrides and budget at /wallet/policy/."
    )
    citizens = [ctx.users[e] for e in ctx.users if e.startswith("citizen")]
    citizens.append(ctx.users["owner@demo.kr"])
    shops = list(Shop.objects.filter(status=Shop.Status.APPROVED).order_by("id"))
    for n, citizen in enumerate(citizens):
        if Charge.objects.filter(user=citizen).exists():
            continue
        pin_set(user=citizen, pin=DEMO_PIN, password=DEMO_PASSWORD)
        amount = (200_000, 300_000, 500_000)[n % 3]
        charge, _url = charge_create(user=citizen, amount=amount)
        sandbox_approve(charge.order_id)
        for k in range(2 + n % 3):
            shop = shops[(n + k) % len(shops)]
            wallet_pay(
                user=citizen,
                shop=shop,
                amount=(8_000, 12_500, 23_000, 41_000)[(n + k) % 4],
                method="shop_qr",
                idem=Idem.of(f"user:{citizen.pk}", f"demo-pay-{k}", "demo"),
                actor=citizen,
            )
    _charges_left_at_the_provider(ctx)


def _charges_left_at_the_provider(ctx) -> None:
    """citizen2 left two charges at the payment page: one an hour and more ago, closed as the
    nightly run closes it, and one still waiting, to finish or cancel from the wallet."""
    citizen = ctx.users.get("citizen2@demo.kr")
    if citizen is None or Charge.objects.filter(user=citizen, amount__in=(20_000, 30_000)).exists():
        return
    expired, _url = charge_create(user=citizen, amount=20_000)
    Charge.objects.filter(pk=expired.pk).update(
        created_at=expired.created_at - dt.timedelta(hours=2)
    )
    expired.refresh_from_db()
    charge_cancel(charge=expired, by=None)
    charge_create(user=citizen, amount=30_000)
    ctx.notes.append(
        "Charges left at the payment page: citizen2@demo.kr's /wallet/ lists one waiting (finish"
        " or cancel it) and one closed after an hour."
    )
