"""Races on real PostgreSQL connections: the tranche is never oversold nor sold twice to one
citizen, whatever the interleaving of admissions, expiries, declined and repeated payments."""

import datetime as dt

import pytest
from django.utils import timezone

from ledger.selectors import citizen_balances, ledger_check
from sales.models import SaleChunk, Ticket
from sales.selectors import sale_figures
from sales.services import sale_tick, ticket_admit, ticket_issue, ticket_pay, tickets_expire
from tests.accounts.factories import CitizenFactory
from tests.helpers import race
from tests.sales.conftest import wallet_rules_set
from tests.sales.factories import make_sale
from vouchers.sandbox_views import sandbox_approve

pytestmark = pytest.mark.slow


def _pay(ticket_id, user, *, decline_first):
    if decline_first:
        created, _url = ticket_pay(ticket_id=ticket_id, user=user)
        assert sandbox_approve(created.order_id, approve=False)["status"] == "failed"
    created, _url = ticket_pay(ticket_id=ticket_id, user=user)
    return sandbox_approve(created.order_id)["status"]


def test_500_racing_admissions_against_a_tranche_for_300_sell_exactly_300(live_city):
    wallet_rules_set()
    now = timezone.now()
    sale = make_sale(
        amount=3_000_000,  # 300 purchases of 10,000 won
        per_person_limit=10_000,
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(hours=1),
        chunks=8,
    )
    people = [CitizenFactory() for _ in range(500)]
    tickets = [ticket_issue(sale_id=sale.pk, user=p, amount=10_000)[0].pk for p in people]
    long_ago = now - dt.timedelta(hours=1)

    def act(i):
        # One in ten is admitted "an hour ago": its reservation is already overdue and the
        # expiries racing beside it give it back to the pool. One in six declines the card
        # first, then pays again. Every 20th call also runs the expiry.
        if i % 20 == 0:
            tickets_expire(sale_id=sale.pk)
        stale = i % 10 == 3
        if not ticket_admit(ticket_id=tickets[i], now=long_ago if stale else None):
            return "waiting"
        if stale:
            return "stale"
        return _pay(tickets[i], people[i], decline_first=i % 6 == 0)

    results = race(live_city, 500, act, workers=24)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    # Whatever is still waiting or overdue is settled by the admission step in turn.
    for _round in range(20):
        sale_tick(sale_id=sale.pk)
        admitted = Ticket.objects.filter(sale=sale, state="admitted", charge__isnull=True)
        for ticket in admitted.select_related("user"):
            if ticket.expires_at < timezone.now():
                continue
            assert _pay(ticket.pk, ticket.user, decline_first=False) == "credited"
        if not Ticket.objects.filter(sale=sale, state__in=["waiting", "admitted"]).exists():
            break
        # The stale reservations are overdue: expire them now.
        tickets_expire(sale_id=sale.pk)
    f = sale_figures(sale_id=sale.pk)
    assert (f.sold, f.reserved, f.remaining) == (3_000_000, 0, 0)
    assert Ticket.objects.filter(sale=sale, state="paid").count() == 300
    for chunk in SaleChunk.objects.filter(sale=sale):
        assert chunk.reserved + chunk.sold <= chunk.amount
    assert sum(SaleChunk.objects.filter(sale=sale).values_list("amount", flat=True)) == 3_000_000
    # Never sold twice to one citizen: each buyer's wallet holds one purchase and its 10%.
    for ticket in Ticket.objects.filter(sale=sale, state="paid"):
        b = citizen_balances(user_id=ticket.user_id)
        assert (b.principal, b.incentive) == (10_000, 1_000)
    assert ledger_check().ok
