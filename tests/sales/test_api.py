"""The charge-day API contract."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.sales.factories import make_sale
from vouchers.sandbox_views import sandbox_approve

pytestmark = pytest.mark.usefixtures("wallet_rules")


def _open_sale(**kw):
    now = timezone.now()
    return make_sale(
        opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=1), **kw
    )


def test_staff_create_a_sale_and_read_its_figures(api_client):
    api_client.force_authenticate(StaffFactory())
    now = timezone.now()
    response = api_client.post(
        "/api/v1/sales",
        {
            "name": "설 특별 판매",
            "amount": 1_000_000,
            "incentive_bp": 1000,
            "per_person_limit": 100_000,
            "opens_at": now.isoformat(),
            "closes_at": (now + dt.timedelta(hours=1)).isoformat(),
            "mode": "fcfs",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    sale_id = response.json()["sale_id"]
    figures = api_client.get(f"/api/v1/sales/{sale_id}").json()
    assert {k: figures[k] for k in ("amount", "reserved", "sold", "remaining", "queued")} == {
        "amount": 1_000_000,
        "reserved": 0,
        "sold": 0,
        "remaining": 1_000_000,
        "queued": 0,
    }


def test_a_bad_sale_is_a_clear_400(api_client):
    api_client.force_authenticate(StaffFactory())
    now = timezone.now()
    response = api_client.post(
        "/api/v1/sales",
        {
            "name": "x",
            "amount": 1_500,
            "incentive_bp": 1000,
            "per_person_limit": 1_000,
            "opens_at": now.isoformat(),
            "closes_at": (now + dt.timedelta(hours=1)).isoformat(),
            "mode": "fcfs",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "sale_invalid"


def test_a_citizen_queues_polls_and_pays(api_client):
    sale = _open_sale()
    citizen = CitizenFactory()
    api_client.force_authenticate(citizen)
    url = f"/api/v1/sales/{sale.pk}/queue"
    first = api_client.post(url, {"amount": 50_000}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    assert first.json()["ticket"] == 1
    assert first.json()["position"] == 1
    again = api_client.post(url, {"amount": 50_000}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201
    assert again.json()["ticket"] == 1
    status = api_client.get(f"{url}/1").json()  # the poll drives the admission step
    assert (status["state"], status["allocated"], status["position"]) == ("admitted", 50_000, None)
    paid = api_client.post(f"{url}/1/pay", format="json")
    assert paid.status_code == 201
    assert sandbox_approve(paid.json()["order_id"])["status"] == "credited"
    assert api_client.get(f"{url}/1").json()["state"] == "paid"


def test_the_queue_needs_an_idempotency_key_and_a_ticket_is_its_citizens_only(api_client):
    sale = _open_sale()
    api_client.force_authenticate(CitizenFactory())
    url = f"/api/v1/sales/{sale.pk}/queue"
    assert api_client.post(url, {"amount": 50_000}, format="json").status_code == 400
    api_client.post(url, {"amount": 50_000}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    api_client.force_authenticate(CitizenFactory())
    assert api_client.get(f"{url}/1").status_code == 404
    assert api_client.get(f"/api/v1/sales/{sale.pk}").status_code == 403


def test_a_closed_sale_refuses_with_a_message(api_client):
    now = timezone.now()
    sale = make_sale(opens_at=now + dt.timedelta(hours=1), closes_at=now + dt.timedelta(hours=2))
    api_client.force_authenticate(CitizenFactory())
    response = api_client.post(
        f"/api/v1/sales/{sale.pk}/queue", {"amount": 1_000}, format="json", HTTP_IDEMPOTENCY_KEY="a"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sale_closed"
