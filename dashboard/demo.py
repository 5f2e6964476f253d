"""Demo history for the dashboard: three weeks of wallet charges and payments by the city's
neighbours (60 citizens who do not sign in: ``neighbour1@demo.kr`` ...) at the demo's approved
shops, written in bulk by ``dashboard.synthetic`` with 10% cashback from the incentive budget (booked
before the history by the wallet's demo, so the budget's burn-down starts full). Last night's run
(``operations.demo``) then settles the shops and refreshes the figures of every past day.
Today's activity comes from the other apps' demo data and is shown live."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_create
from ledger.models import Account
from ledger.services import account_ids_get_or_create, business_date_today
from merchants.models import Shop
from vouchers.models import Charge
from vouchers.services import wallet_get_or_create

from . import synthetic

NEIGHBOURS = 60
CASHBACK_BP = 1000  # the demo policy's 10%, paid from the budget booked before the history
DAYS = 21
LABEL = "demo-history"
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "도윤", "하은", "시우", "지유", "주원", "서윤", "예준", "채원",
         "지호", "수아", "건우", "지민", "현우", "다은", "유진", "은서"]  # fmt: skip


def seed(ctx) -> None:
    if Charge.objects.filter(order_id__startswith=f"{LABEL}-").exists():
        return
    neighbours = _neighbours(NEIGHBOURS if ctx.is_main_city else NEIGHBOURS // 3)
    shops = list(Shop.objects.filter(status=Shop.Status.APPROVED).values_list("pk", flat=True))
    if not shops:
        return
    account_ids_get_or_create(
        [
            (Account.Kind.FLOAT, None, None, shard)
            for shard in range(settings.INCENTIVE_BUDGET_SHARDS)
        ]
        + [(Account.Kind.SHOP_PAYABLE, None, shop_id, 0) for shop_id in shops]
        + [(Account.Kind.WALLET_PRINCIPAL, user.pk, None, 0) for user in neighbours]
        + [(Account.Kind.WALLET_INCENTIVE, user.pk, None, 0) for user in neighbours]
    )
    today = business_date_today()
    with transaction.atomic():  # all the history or none of it
        _history(today, 40 if ctx.is_main_city else 15)
    ctx.notes.append(
        f"Dashboard: {DAYS} days of history by {len(neighbours)} neighbours; staff@demo.kr sees"
        " it at /dashboard/."
    )


def _history(today, per_day: int) -> None:
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        # Busier at the weekend, quieter at the start of the history.
        payments = per_day + (per_day // 2 if day.weekday() >= 5 else 0) + (DAYS - back)
        synthetic.stage(
            day,
            payments,
            15,
            citizens_where="u.email LIKE 'neighbour%%@demo.kr'",
            shops_where="s.public_code NOT LIKE 'bench-%%'",
        )
        batch = f"{day:%Y%m%d}-{secrets.token_hex(3)}"
        synthetic.charges(day, batch, label=LABEL)
        synthetic.payments_write(
            day, batch, payments, 10_000, label=LABEL, progress=False, cashback_bp=CASHBACK_BP
        )


def _neighbours(count: int) -> list[User]:
    users = []
    for i in range(1, count + 1):
        email = f"neighbour{i}@demo.kr"
        user = User.objects.filter(email=email).first()
        if user is None:
            name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]
            user = user_create(email=email, password=None, name=name, roles=[Role.CITIZEN])
        wallet_get_or_create(user=user)
        users.append(user)
    return users
