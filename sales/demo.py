"""Demo charge days, one in each state: a first-come sale running now (citizen@demo.kr holds a
ticket and is admitted), a lottery taking applications, a lottery drawn, a pro-rata sale
allocated, a staggered sale on its first day, a priority sale scheduled, and a first-come sale
sold out. Idempotent: a sale of the same name is left as it is."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import User
from jeonju_prepay.exceptions import ApplicationError
from vouchers.sandbox_views import sandbox_approve

from .models import Sale
from .services import sale_create, sale_draw, sale_tick, ticket_issue, ticket_pay


def seed(ctx) -> None:
    if not ctx.is_main_city:
        return
    staff = User.objects.get(email="staff@demo.kr")
    citizens = sorted(
        (u for e, u in ctx.users.items() if e.startswith("citizen")), key=lambda u: u.pk
    )
    now = timezone.now()
    base = {
        "by": staff,
        "incentive_bp": 1000,
    }

    def make(name, **kw):
        if Sale.objects.filter(name=name).exists():
            return None
        return sale_create(name=name, **{**base, **kw})

    # Running now, first come: everyone in the queue, citizen@demo.kr admitted first.
    sale = make(
        "설맞이 선착순 판매 (진행 중)",
        amount=50_000_000,
        per_person_limit=300_000,
        opens_at=now - dt.timedelta(minutes=10),
        closes_at=now + dt.timedelta(days=30),
        mode="fcfs",
        max_in_flight=2,
        batch_size=2,
    )
    if sale:
        for n, citizen in enumerate(citizens):
            ticket_issue(sale_id=sale.pk, user=citizen, amount=(100_000, 200_000)[n % 2])
        sale_tick(sale_id=sale.pk)
    # A lottery taking applications.
    sale = make(
        "추첨 판매 (신청 받는 중)",
        amount=20_000_000,
        per_person_limit=200_000,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=30),
        mode="lottery",
    )
    if sale:
        for citizen in citizens[1:]:
            ticket_issue(sale_id=sale.pk, user=citizen, amount=200_000)
    # Window sales already allocated: a lottery for two and a pro-rata share.
    past = {"opens_at": now - dt.timedelta(days=3), "closes_at": now - dt.timedelta(days=2)}
    applied = now - dt.timedelta(days=2, hours=12)
    for name, mode in (
        ("추첨 판매 (추첨 완료)", "lottery"),
        ("비례 배분 판매 (배분 완료)", "pro_rata"),
    ):
        sale = make(name, amount=300_000, per_person_limit=200_000, mode=mode, **past)
        if sale:
            for citizen in citizens:
                ticket_issue(sale_id=sale.pk, user=citizen, amount=200_000, now=applied)
            sale_draw(sale_id=sale.pk, by=staff)
            sale_tick(sale_id=sale.pk)
    # Staggered days: today is day one (birth years ending in 1 and 6).
    make(
        "요일제 판매 (1일차)",
        amount=10_000_000,
        per_person_limit=100_000,
        opens_at=now - dt.timedelta(minutes=30),
        closes_at=now + dt.timedelta(days=7),
        mode="staggered",
    )
    # Priority groups, next week.
    make(
        "우선 대상 판매 (예정)",
        amount=10_000_000,
        per_person_limit=100_000,
        opens_at=now + dt.timedelta(days=7),
        closes_at=now + dt.timedelta(days=8),
        mode="priority",
        priority_groups=["senior", "low_income"],
    )
    # Sold out: two bought, the others were not allocated.
    sale = make(
        "선착순 판매 (매진)",
        amount=20_000,
        per_person_limit=10_000,
        opens_at=now - dt.timedelta(minutes=20),
        closes_at=now + dt.timedelta(days=1),
        mode="fcfs",
    )
    if sale:
        tickets = [ticket_issue(sale_id=sale.pk, user=c, amount=10_000)[0] for c in citizens]
        sale_tick(sale_id=sale.pk)
        for ticket in tickets[:2]:
            try:
                charge, _url = ticket_pay(ticket_id=ticket.pk, user=ticket.user)
            except ApplicationError:
                continue  # the wallet's monthly limit is reached for this citizen
            sandbox_approve(charge.order_id)
        sale_tick(sale_id=sale.pk)
    ctx.notes.append(
        "Charge days: citizen@demo.kr at /sales/ (a ticket, admitted: pay), "
        "staff@demo.kr at /sales/staff/ (live figures, pause, draw, audit)."
    )
