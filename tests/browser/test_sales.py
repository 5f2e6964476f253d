"""The charge-day journey: a citizen joins the queue, watches the position fall as the two
ahead pay, is admitted, and pays on the provider's page."""

import datetime as dt

import pytest
from django.utils import timezone

from ledger.selectors import citizen_balances
from sales.services import sale_create, sale_tick, ticket_issue, ticket_pay
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.browser.helpers import sign_in, wallet_policy_and_budget
from vouchers.sandbox_views import sandbox_approve

pytestmark = pytest.mark.browser


def _pay(ticket):
    ticket.refresh_from_db()
    charge, _url = ticket_pay(ticket_id=ticket.pk, user=ticket.user)
    assert sandbox_approve(charge.order_id)["status"] == "credited"


def test_join_watch_the_position_fall_be_admitted_and_pay(live_server_url, page):
    wallet_policy_and_budget(StaffFactory())
    now = timezone.now()
    sale = sale_create(
        by=None,
        name="브라우저 충전의 날",
        amount=10_000_000,
        incentive_bp=1000,
        per_person_limit=100_000,
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(hours=1),
        mode="fcfs",
        max_in_flight=1,  # one at a time, so the queue moves as each pays
        batch_size=1,
    )
    first, second = (
        ticket_issue(sale_id=sale.pk, user=CitizenFactory(), amount=100_000)[0] for _ in (1, 2)
    )
    sale_tick(sale_id=sale.pk)  # the first is admitted
    citizen = CitizenFactory(email="queue@example.kr", name="박대기")

    sign_in(page, live_server_url, citizen.email)
    page.goto(f"{live_server_url}/sales/{sale.pk}/")
    page.get_by_label("구매할 금액(원)").fill("50000")
    page.get_by_role("button", name="번호표 받기").click()
    page.wait_for_url(f"**/sales/{sale.pk}/ticket/")
    assert page.locator("#ticket-number").inner_text() == "3"
    assert page.locator("#ticket-position").inner_text() == "대기 순번 2"

    _pay(first)  # the queue moves: the second is admitted at the next step
    page.locator("#ticket-position", has_text="대기 순번 1").wait_for(timeout=20_000)
    _pay(second)
    page.locator("#pay-button").wait_for(timeout=20_000)
    page.locator("#pay-button").click()
    page.get_by_role("button", name="결제", exact=True).click()
    page.wait_for_url("**/wallet/charge/**")
    balances = citizen_balances(user_id=citizen.pk)
    assert (balances.principal, balances.incentive) == (50_000, 5_000)
