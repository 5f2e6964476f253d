"""Last night's run for yesterday in the demo: it settles the shops' sales of the dashboard's
history and refreshes the dashboard's figures of every past day (idempotent: a second
``seed_demo`` finds the date done and changes nothing)."""

from __future__ import annotations

from datetime import timedelta

from ledger.services import business_date_today

from .nightly import nightly_run


def seed(ctx) -> None:
    nightly_run(business_date=business_date_today() - timedelta(days=1), trigger="demo")
