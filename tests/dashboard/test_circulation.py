"""Circulation from the ledger against a hand-made scenario with exact won, page and API."""

import datetime as dt

import pytest
import time_machine

from dashboard.circulation import circulation, multiplier_of
from ledger.services import Idem
from merchants.settlement import settlement_run
from merchants.shop_payments import shop_payment_pay
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.dashboard.scenario import at
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.services import budget_fund, policy_set

D = dt.date(2026, 3, 10)
APRIL = dt.date(2026, 4, 2)


@pytest.fixture
def scenario(city):
    """A 10% charging incentive, no cashback. On D a citizen charges 100,000 (+10,000), pays a
    bakery 50,000; the bakery pays its mill 30,000; the night settles 20,000 to the bakery and
    30,000 to the mill. In April the citizen pays the mill 10,000 more."""
    policy_set(
        by=None,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=1000,
        cashback_bp=0,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=0,
    )
    budget_fund(
        by=None,
        name="2026",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2030, 12, 31),
        amount=1_000_000,
        idempotency_key="budget-circ",
    )
    citizen = CitizenFactory()
    bakery = ShopFactory(category="bakery")
    mill = ShopFactory(category="grocery")
    with time_machine.travel(at(D, 10)):
        charge(citizen, 100_000)
        pay(citizen, bakery, 50_000)
        shop_payment_pay(
            payer=bakery,
            payee_code=mill.public_code,
            amount=30_000,
            by=bakery.owner,
            idem=Idem.of("t", "flour", 1),
        )
    with time_machine.travel(at(D + dt.timedelta(days=1), 2)):
        settlement_run(business_date=D)
    with time_machine.travel(at(APRIL, 12)):
        pay(citizen, mill, 10_000)
    return citizen, bakery, mill


def test_the_figures_are_exact(scenario):
    march = circulation(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    assert (march.entered, march.spent_local, march.respent_local) == (110_000, 50_000, 30_000)
    # The budget's funding is not money entering the circle; the settlement of D (dated D)
    # paid 20,000 to the bakery and 30,000 to the mill.
    assert (march.left_city, march.returned) == (50_000, 0)
    assert str(march.multiplier) == "0.7272"  # 80,000 / 110,000, rounded down

    both = circulation(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 30))
    assert [m.start for m in both.months] == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    assert both.months[0].end == dt.date(2026, 3, 31)
    april = both.months[1]
    assert (april.entered, april.spent_local, april.left_city) == (0, 10_000, 0)
    assert str(april.multiplier) == "0.0000"  # nothing entered in April
    assert str(both.multiplier) == "0.8181"  # 90,000 / 110,000


def test_the_multiplier_rounds_down_and_survives_nothing_entered():
    assert str(multiplier_of(2, 3)) == "0.6666"
    assert str(multiplier_of(5, 0)) == "0.0000"


def test_the_api_contract(scenario, client_for):
    client = client_for(StaffFactory())
    body = client.get("/api/v1/dashboard/circulation?start=2026-03-01&end=2026-03-31").json()
    assert {k: body[k] for k in ("entered", "spent_local", "respent_local", "left_city")} == {
        "entered": 110_000,
        "spent_local": 50_000,
        "respent_local": 30_000,
        "left_city": 50_000,
    }
    assert body["multiplier"] == "0.7272"
    bad = client.get("/api/v1/dashboard/circulation?start=2026-03-31&end=2026-03-01")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_filters"
    citizen = client_for(scenario[0])
    assert citizen.get("/api/v1/dashboard/circulation").status_code == 403


def test_the_dashboard_shows_them(scenario, client_for):
    page = client_for(StaffFactory()).get("/dashboard/?start=2026-03-01&end=2026-03-31")
    html = page.content.decode()
    assert 'data-circulation="entered">110,000원' in html
    assert 'data-circulation="multiplier">0.7272' in html
