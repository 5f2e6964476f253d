"""Each allocation mode with exact figures, the purchase through the wallet's charge path, and
expiries returning to the pool."""

import datetime as dt

import pytest

from ledger.selectors import citizen_balances, ledger_check
from sales import allocation
from sales.exceptions import NotAdmittedError, SaleClosedError, SaleStateError, TicketError
from sales.models import SaleChunk, Ticket
from sales.selectors import sale_fairness, sale_figures, ticket_status
from sales.services import (
    sale_draw,
    sale_pause,
    sale_resume,
    sale_tick,
    ticket_issue,
    ticket_pay,
)
from tests.accounts.factories import CitizenFactory
from tests.sales.factories import OPENS, make_sale
from tests.vouchers.conftest import charge
from vouchers.exceptions import ChargeLimitError
from vouchers.models import Charge
from vouchers.sandbox_views import sandbox_approve

pytestmark = pytest.mark.usefixtures("wallet_rules")

T1 = OPENS + dt.timedelta(minutes=1)


def _issue(sale, amounts, at=T1, **kw):
    people = [CitizenFactory() for _ in amounts]
    tickets = [
        ticket_issue(sale_id=sale.pk, user=p, amount=a, now=at, **kw)[0]
        for p, a in zip(people, amounts, strict=True)
    ]
    return people, tickets


def _states(tickets):
    return [(t.state, t.allocated) for t in (Ticket.objects.get(pk=t.pk) for t in tickets)]


def _pay(ticket, at):
    ticket.refresh_from_db()
    created, _url = ticket_pay(ticket_id=ticket.pk, user=ticket.user, now=at)
    return sandbox_approve(created.order_id)


def _check_figures(sale):
    f = sale_figures(sale_id=sale.pk)
    assert f.reserved + f.sold + f.remaining == f.amount == sale.amount
    assert sum(SaleChunk.objects.filter(sale=sale).values_list("amount", flat=True)) == sale.amount
    return f


def test_first_come_admits_in_arrival_order_and_the_next_in_line_takes_what_is_left():
    sale = make_sale()  # 300,000 won, at most 100,000 each
    _people, tickets = _issue(sale, [100_000, 100_000, 50_000, 100_000, 100_000])
    assert [t.number for t in tickets] == [1, 2, 3, 4, 5]
    sale_tick(sale_id=sale.pk, now=T1)
    # 100 + 100 + 50 = 250; the fourth gets the last 50,000; the fifth waits (reservations
    # in flight may come back).
    assert _states(tickets) == [
        ("admitted", 100_000),
        ("admitted", 100_000),
        ("admitted", 50_000),
        ("admitted", 50_000),
        ("waiting", 0),
    ]
    f = _check_figures(sale)
    assert (f.reserved, f.sold, f.remaining, f.queued) == (300_000, 0, 0, 1)
    sale.refresh_from_db()
    status = ticket_status(sale=sale, ticket=Ticket.objects.get(pk=tickets[4].pk))
    assert (status.position, status.ahead) == (1, 0)


def test_a_purchase_is_a_wallet_charge_with_the_tranches_incentive():
    sale = make_sale(incentive_bp=700)  # 7%, while the wallet's policy gives none
    (citizen,), (ticket,) = _issue(sale, [100_000])
    sale_tick(sale_id=sale.pk, now=T1)
    outcome = _pay(ticket, T1)
    assert outcome["status"] == "credited"
    balances = citizen_balances(user_id=citizen.pk)
    assert (balances.principal, balances.incentive) == (100_000, 7_000)
    ticket.refresh_from_db()
    assert ticket.state == "paid"
    f = _check_figures(sale)
    assert (f.reserved, f.sold, f.remaining, f.paid) == (0, 100_000, 200_000, 1)
    assert Charge.objects.get(pk=ticket.charge_id).incentive == 7_000
    assert ledger_check().ok


def test_the_wallets_monthly_limit_still_holds_for_a_sale():
    sale = make_sale()
    (citizen,), (ticket,) = _issue(sale, [100_000])
    charge(citizen, 450_000)  # 500,000 a month: 50,000 left
    sale_tick(sale_id=sale.pk, now=T1)
    with pytest.raises(ChargeLimitError):
        ticket_pay(ticket_id=ticket.pk, user=citizen, now=T1)
    ticket.refresh_from_db()
    assert ticket.state == "admitted"  # nothing changed; the reservation lapses in time
    assert _check_figures(sale).reserved == 100_000


def test_an_unpaid_reservation_expires_and_returns_to_the_next_in_line():
    sale = make_sale(pay_minutes=10)
    people, tickets = _issue(sale, [100_000, 100_000, 100_000, 100_000])
    sale_tick(sale_id=sale.pk, now=T1)
    assert [s for s, _a in _states(tickets)] == ["admitted"] * 3 + ["waiting"]
    _pay(tickets[0], T1 + dt.timedelta(minutes=5))
    later = T1 + dt.timedelta(minutes=11)
    report = sale_tick(sale_id=sale.pk, now=later)
    assert (report.expired, report.admitted) == (2, 1)
    assert _states(tickets) == [
        ("paid", 100_000),
        ("expired", 100_000),
        ("expired", 100_000),
        ("admitted", 100_000),
    ]
    f = _check_figures(sale)
    assert (f.reserved, f.sold, f.remaining) == (100_000, 100_000, 100_000)
    # Too late to pay an expired ticket.
    with pytest.raises(NotAdmittedError):
        ticket_pay(ticket_id=tickets[1].pk, user=people[1], now=later)


def test_a_payment_confirmed_after_expiry_is_refused_and_the_card_given_back():
    sale = make_sale(pay_minutes=10)
    (citizen,), (ticket,) = _issue(sale, [100_000])
    sale_tick(sale_id=sale.pk, now=T1)
    created, _url = ticket_pay(ticket_id=ticket.pk, user=citizen, now=T1)
    sale_tick(sale_id=sale.pk, now=T1 + dt.timedelta(minutes=11))  # expires meanwhile
    outcome = sandbox_approve(created.order_id)
    assert outcome["status"] == "over_limit"  # not credited; the outbox gives the card back
    assert citizen_balances(user_id=citizen.pk).wallet == 0
    f = _check_figures(sale)
    assert (f.reserved, f.sold, f.remaining) == (0, 0, 300_000)
    assert ledger_check().ok


def test_a_declined_card_keeps_the_reservation_until_it_expires():
    sale = make_sale()
    (citizen,), (ticket,) = _issue(sale, [100_000])
    sale_tick(sale_id=sale.pk, now=T1)
    created, _url = ticket_pay(ticket_id=ticket.pk, user=citizen, now=T1)
    assert sandbox_approve(created.order_id, approve=False)["status"] == "failed"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.charge_id) == ("admitted", None)
    assert _pay(ticket, T1)["status"] == "credited"


def test_the_same_citizen_asking_again_gets_the_same_ticket():
    sale = make_sale()
    citizen = CitizenFactory()
    first, created = ticket_issue(sale_id=sale.pk, user=citizen, amount=10_000, now=T1)
    again, created_again = ticket_issue(sale_id=sale.pk, user=citizen, amount=90_000, now=T1)
    assert created
    assert not created_again
    assert first.pk == again.pk


def test_applications_outside_the_window_or_above_the_limit_are_refused():
    sale = make_sale()
    citizen = CitizenFactory()
    with pytest.raises(SaleClosedError):
        ticket_issue(sale_id=sale.pk, user=citizen, amount=10_000, now=OPENS - dt.timedelta(1))
    with pytest.raises(TicketError):
        ticket_issue(sale_id=sale.pk, user=citizen, amount=200_000, now=T1)
    with pytest.raises(TicketError):
        ticket_issue(sale_id=sale.pk, user=citizen, amount=1_500, now=T1)
    assert not Ticket.objects.filter(sale=sale).exists()


def test_a_paused_sale_admits_nobody_until_resumed():
    sale = make_sale()
    _people, tickets = _issue(sale, [10_000])
    sale_pause(sale_id=sale.pk, by=None)
    sale_tick(sale_id=sale.pk, now=T1)
    assert _states(tickets) == [("waiting", 0)]
    sale_resume(sale_id=sale.pk, by=None)
    sale_tick(sale_id=sale.pk, now=T1)
    assert _states(tickets) == [("admitted", 10_000)]


def test_the_lottery_is_reproduced_from_its_published_seed():
    sale = make_sale(mode="lottery", amount=200_000)
    _people, tickets = _issue(sale, [100_000] * 6)
    sale_tick(sale_id=sale.pk, now=T1)
    assert {s for s, _a in _states(tickets)} == {"waiting"}  # nobody before the draw
    with pytest.raises(SaleStateError):
        sale_draw(sale_id=sale.pk, by=None, now=T1)  # the window is still open
    drawn_at = OPENS + dt.timedelta(hours=3)
    sale = sale_draw(sale_id=sale.pk, by=None, now=drawn_at)
    sale_tick(sale_id=sale.pk, now=drawn_at)
    winners = allocation.lottery_order(sale.seed, [1, 2, 3, 4, 5, 6])[:2]
    admitted = sorted(t.number for t in Ticket.objects.filter(sale=sale, state="admitted"))
    assert admitted == sorted(winners)
    fairness = sale_fairness(sale=sale)
    assert fairness.seed == sale.seed
    assert fairness.seed_matches
    assert fairness.order_reproduced
    assert allocation.seed_commitment(sale.seed) == sale.seed_commitment
    # A winner who does not pay: the third in the draw's order moves up.
    third = allocation.lottery_order(sale.seed, [1, 2, 3, 4, 5, 6])[2]
    sale_tick(sale_id=sale.pk, now=drawn_at + dt.timedelta(minutes=11))
    assert Ticket.objects.get(sale=sale, number=third).state == "admitted"


def test_pro_rata_gives_each_the_same_share_adding_up_to_the_tranche():
    sale = make_sale(mode="pro_rata", amount=10_000, per_person_limit=10_000, chunks=3)
    _people, tickets = _issue(sale, [10_000, 5_000, 5_000])
    drawn_at = OPENS + dt.timedelta(hours=3)
    sale_draw(sale_id=sale.pk, by=None, now=drawn_at)
    sale_tick(sale_id=sale.pk, now=drawn_at)
    # Exact shares 5 / 2.5 / 2.5 thousand: the unit left goes to the earlier half.
    assert _states(tickets) == [
        ("admitted", 5_000),
        ("admitted", 3_000),
        ("admitted", 2_000),
    ]
    f = _check_figures(sale)
    assert (f.reserved, f.remaining) == (10_000, 0)


def test_staggered_days_serve_their_birth_years_and_carry_leftovers():
    # 500,000 won over five days: 100,000 a day, unsold carried.
    sale = make_sale(mode="staggered", amount=500_000, closes_at=OPENS + dt.timedelta(days=7))
    monday = OPENS + dt.timedelta(minutes=1)
    with pytest.raises(TicketError):
        ticket_issue(
            sale_id=sale.pk, user=CitizenFactory(), amount=10_000, birth_year=1982, now=monday
        )
    _p, monday_tickets = _issue(sale, [60_000], at=monday, birth_year=1981)
    sale_tick(sale_id=sale.pk, now=monday)
    assert _states(monday_tickets) == [("admitted", 60_000)]
    assert _pay(monday_tickets[0], monday)["status"] == "credited"
    tuesday = monday + dt.timedelta(days=1)
    _p, tuesday_tickets = _issue(sale, [100_000, 100_000], at=tuesday, birth_year=1987)
    sale_tick(sale_id=sale.pk, now=tuesday)
    # Tuesday's cap is 200,000 with Monday's 40,000 carried: 60,000 held, so 140,000 more.
    assert _states(tuesday_tickets) == [("admitted", 100_000), ("admitted", 40_000)]


def test_priority_groups_are_served_first():
    from vouchers.models import Wallet

    sale = make_sale(mode="priority", amount=100_000, priority_groups=["senior"])
    general, senior = CitizenFactory(), CitizenFactory()
    Wallet.objects.create(user=senior, citizen_group="senior")
    first = ticket_issue(sale_id=sale.pk, user=general, amount=100_000, now=T1)[0]
    second = ticket_issue(sale_id=sale.pk, user=senior, amount=100_000, now=T1)[0]
    drawn_at = OPENS + dt.timedelta(hours=3)
    sale_draw(sale_id=sale.pk, by=None, now=drawn_at)
    sale_tick(sale_id=sale.pk, now=drawn_at)
    assert _states([first, second]) == [("waiting", 0), ("admitted", 100_000)]


def test_first_come_fairness_reports_no_inversion():
    sale = make_sale(amount=1_000_000)
    _people, _tickets = _issue(sale, [10_000] * 12)
    sale_tick(sale_id=sale.pk, now=T1)
    assert sale_fairness(sale=sale).largest_inversion == 0


def _skip_a_number(sale):
    """What a request that drew its ticket number and has not committed yet looks like to
    everyone else: the number is taken from the sequence, and no row has it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{sale.sequence_name}')")
        return cursor.fetchone()[0]


def test_first_come_waits_for_a_number_drawn_but_not_yet_committed(monkeypatch):
    from sales import services

    monkeypatch.setattr(services, "ARRIVAL_GRACE_SECONDS", 3600)  # however slow this machine
    sale = make_sale(amount=1_000_000)
    _p, (first,) = _issue(sale, [10_000])
    late_number = _skip_a_number(sale)  # the second arrival, still committing
    _p, (third,) = _issue(sale, [10_000])
    assert (first.number, late_number, third.number) == (1, 2, 3)
    sale_tick(sale_id=sale.pk, now=T1)
    assert _states([first, third]) == [("admitted", 10_000), ("waiting", 0)]

    # The second arrival's row commits: it is admitted before the third.
    second_user = CitizenFactory()
    second = Ticket.objects.create(
        sale=sale,
        user=second_user,
        number=late_number,
        order_key=late_number,
        requested=10_000,
        target=10_000,
        allocated=0,
        state="waiting",
    )
    sale_tick(sale_id=sale.pk, now=T1 + dt.timedelta(seconds=2))
    assert _states([first, second, third]) == [("admitted", 10_000)] * 3
    admitted = list(
        Ticket.objects.filter(sale=sale)
        .order_by("admitted_at", "order_key")
        .values_list("order_key", flat=True)
    )
    assert admitted == [1, 2, 3]
    assert sale_fairness(sale=sale).largest_inversion == 0


def test_a_number_that_never_comes_holds_nobody_up_for_long():
    """A number drawn by an insert that was rolled back (or lost a citizen's race with
    themselves) is passed over once the ticket after it is ARRIVAL_GRACE_SECONDS old."""
    from sales.services import ARRIVAL_GRACE_SECONDS

    sale = make_sale(amount=1_000_000)
    _skip_a_number(sale)
    _p, (second,) = _issue(sale, [10_000])
    sale_tick(sale_id=sale.pk, now=T1)
    assert _states([second]) == [("waiting", 0)]
    Ticket.objects.filter(pk=second.pk).update(
        arrived_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=ARRIVAL_GRACE_SECONDS + 1)
    )
    sale_tick(sale_id=sale.pk, now=T1 + dt.timedelta(seconds=2))
    assert _states([second]) == [("admitted", 10_000)]


def test_redis_gone_or_emptied_mid_sale_loses_no_ticket_and_no_reservation(redis_url):
    from django.core.cache import cache
    from django.test import override_settings
    from django.utils import timezone

    from sales.services import sale_tick_maybe

    now = timezone.now()
    sale = make_sale(opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=1))
    _people, tickets = _issue(sale, [100_000, 100_000], at=now)
    sale_tick(sale_id=sale.pk)
    cache.clear()  # Redis restarted without its data
    dead = {
        "default": {
            "BACKEND": "jeonju_prepay.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens: every call fails
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
    with override_settings(CACHES=dead):
        _more, later = _issue(sale, [100_000, 100_000], at=now)
        sale_tick_maybe(sale_id=sale.pk)  # the row lock alone paces the step
        status = ticket_status(sale=sale, ticket=Ticket.objects.get(pk=later[1].pk))
    assert [t.number for t in tickets + later] == [1, 2, 3, 4]
    assert _states(tickets + later) == [
        ("admitted", 100_000),
        ("admitted", 100_000),
        ("admitted", 100_000),
        ("waiting", 0),
    ]
    assert status.state == "waiting"
    f = _check_figures(sale)
    assert (f.reserved, f.remaining, f.queued) == (300_000, 0, 1)


def test_a_tranche_of_25_billion_won_is_set_up_in_chunks_that_add_up():
    # Seoul 2022: 25 billion won; far above one payment's ceiling, within the ledger's.
    sale = make_sale(amount=25_000_000_000, chunks=16)
    assert _check_figures(sale).remaining == 25_000_000_000
