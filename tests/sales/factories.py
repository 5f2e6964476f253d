"""Sales made through the service (chunks, sequence and seed come with it)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sales.services import sale_create

OPENS = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))  # a Monday, 09:00 Seoul


def make_sale(**overrides):
    values = {
        "by": None,
        "name": "3월 할인 판매",
        "amount": 300_000,
        "incentive_bp": 1000,
        "per_person_limit": 100_000,
        "opens_at": OPENS,
        "closes_at": OPENS + dt.timedelta(hours=2),
        "mode": "fcfs",
        "chunks": 4,
    }
    values.update(overrides)
    return sale_create(**values)
