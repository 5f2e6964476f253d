"""The demo shows a sale in every state, and seeding twice changes nothing."""

import pytest

from jeonju_prepay.demo import DemoContext
from sales import demo
from sales.models import Sale, Ticket
from tests.accounts.factories import CitizenFactory, StaffFactory

pytestmark = pytest.mark.usefixtures("wallet_rules")


def test_seed_shows_every_state_and_is_idempotent(city):
    StaffFactory(email="staff@demo.kr")
    users = {f"citizen{i or ''}@demo.kr": CitizenFactory() for i in range(5)}
    ctx = DemoContext(city=city, users=users)
    demo.seed(ctx)
    counts = (Sale.objects.count(), Ticket.objects.count())
    demo.seed(ctx)
    assert (Sale.objects.count(), Ticket.objects.count()) == counts
    assert set(Sale.objects.values_list("mode", flat=True)) == set(Sale.Mode.values)
    assert {"open", "scheduled", "drawn", "closed"} <= set(
        Sale.objects.values_list("status", flat=True)
    )
    states = set(Ticket.objects.values_list("state", flat=True))
    assert {"waiting", "admitted", "paid", "not_allocated"} <= states
