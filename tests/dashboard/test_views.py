"""The staff pages: the dashboard's home and the operations page with its "run again" button."""

import datetime as dt

import pytest
import time_machine

from merchants.models import Statement
from operations.models import JobRun
from tests.accounts.factories import CitizenFactory, OwnerFactory, StaffFactory
from tests.dashboard.scenario import at
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay

pytestmark = pytest.mark.usefixtures("jeonju_policy")

D = dt.date(2026, 3, 10)
NEXT = D + dt.timedelta(days=1)


@pytest.fixture
def sold(citizen, budget, city):
    budget(1_000_000)
    shop = ShopFactory()
    with time_machine.travel(at(D, 10)):
        charge(citizen, 100_000)
        pay(citizen, shop, 9_000)
    return shop


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/operations/"])
def test_only_city_staff_see_the_pages(client_for, city, url):
    assert client_for(StaffFactory()).get(url).status_code == 200
    assert client_for(CitizenFactory()).get(url).status_code == 403
    assert client_for(OwnerFactory()).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302


def test_the_dashboard_is_in_the_staff_navigation(client_for, city):
    page = client_for(StaffFactory()).get("/dashboard/").content.decode()
    assert 'href="/dashboard/"' in page
    assert 'href="/dashboard/operations/"' in page


def test_run_this_date_again_from_the_page(client_for, sold):
    client = client_for(StaffFactory())
    with time_machine.travel(at(NEXT, 9)):
        first = client.post("/dashboard/operations/run/", {"business_date": "2026-03-10"})
        again = client.post("/dashboard/operations/run/", {"business_date": "2026-03-10"})
        page = client.get("/dashboard/operations/").content.decode()
    assert first.status_code == again.status_code == 302
    assert JobRun.objects.filter(business_date=D).count() == 16  # two runs of eight steps
    assert Statement.objects.get(shop=sold).payout_amount == 9_000
    assert "2026-03-10" in page
    assert "Already settled: 1 statements" in page  # the latest attempt says it changed nothing
    assert "(2 attempts)" in page
    assert "Run this date again" in page
    trigger = JobRun.objects.filter(business_date=D).values_list("trigger", flat=True).first()
    assert trigger.startswith("staff:")


def test_one_step_from_the_page(client_for, sold):
    with time_machine.travel(at(NEXT, 9)):
        client_for(StaffFactory()).post(
            "/dashboard/operations/run/", {"business_date": "2026-03-10", "step": "reconcile"}
        )
    assert sorted(JobRun.objects.values_list("step", flat=True)) == ["reconcile", "rollups"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"business_date": "2026-03-11"}, "is not over yet"),
        ({"business_date": "2099-01-01"}, "is not over yet"),
        ({"business_date": "2026-02-30"}, "Choose a valid business date"),
        ({"business_date": ""}, "Choose a valid business date"),
        ({"business_date": "2026-03-10", "step": "payroll"}, "Choose a valid business date"),
    ],
)
def test_bad_input_is_a_clear_message_and_runs_nothing(client_for, city, data, message):
    client = client_for(StaffFactory())
    with time_machine.travel(at(NEXT, 9)):
        response = client.post("/dashboard/operations/run/", data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not JobRun.objects.exists()


def test_running_needs_a_post_and_staff(client_for, city):
    assert client_for(StaffFactory()).get("/dashboard/operations/run/").status_code == 405
    response = client_for(OwnerFactory()).post(
        "/dashboard/operations/run/", {"business_date": "2026-03-10"}
    )
    assert response.status_code == 403
    assert not JobRun.objects.exists()
