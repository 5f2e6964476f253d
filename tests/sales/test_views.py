"""The citizen's and the staff's pages."""

import datetime as dt

import pytest
from django.utils import timezone

from sales.models import Sale, Ticket
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.sales.factories import make_sale

pytestmark = pytest.mark.usefixtures("wallet_rules")


def _open_sale(**kw):
    now = timezone.now()
    return make_sale(
        opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=1), **kw
    )


def test_a_citizen_joins_watches_and_is_sent_to_pay(client_for):
    sale = _open_sale()
    client = client_for(CitizenFactory())
    assert "3월 할인 판매" in client.get("/sales/").content.decode()
    response = client.post(f"/sales/{sale.pk}/", {"amount": "100000"})
    assert response.status_code == 302
    page = client.get(f"/sales/{sale.pk}/ticket/").content.decode()
    assert 'hx-trigger="every 3s"' in page
    fragment = client.get(f"/sales/{sale.pk}/ticket/status/").content.decode()
    assert 'data-state="admitted"' in fragment
    paid = client.post(f"/sales/{sale.pk}/ticket/pay/")
    assert paid.status_code == 302
    assert "sandbox" in paid["Location"]


def test_an_application_above_the_limit_shows_the_error_on_the_form(client_for):
    sale = _open_sale()
    client = client_for(CitizenFactory())
    page = client.post(f"/sales/{sale.pk}/", {"amount": "900000"}).content.decode()
    assert 'role="alert"' in page
    assert not Ticket.objects.filter(sale=sale).exists()


def test_staff_set_up_watch_pause_and_draw(client_for):
    client = client_for(StaffFactory())
    now = timezone.localtime()
    response = client.post(
        "/sales/staff/",
        {
            "name": "추첨 판매",
            "amount": "1000000",
            "incentive_bp": "1000",
            "per_person_limit": "100000",
            "opens_at": (now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "lottery",
            "pay_minutes": "10",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sale = Sale.objects.get(name="추첨 판매")
    assert "sale-figures" in client.get(f"/sales/staff/{sale.pk}/").content.decode()
    client.post(f"/sales/staff/{sale.pk}/draw/")
    sale.refresh_from_db()
    assert sale.status == "drawn"
    audit = client.get(f"/sales/{sale.pk}/draw/").content.decode()
    assert sale.seed in audit
    client.post(f"/sales/staff/{sale.pk}/pause/")
    sale.refresh_from_db()
    assert sale.status == "paused"


def test_the_seed_is_not_shown_before_the_draw(client_for):
    sale = make_sale(mode="lottery")
    page = client_for(CitizenFactory()).get(f"/sales/{sale.pk}/draw/").content.decode()
    assert sale.seed_commitment in page
    assert sale.seed not in page


def test_citizen_pages_refuse_staff_and_staff_pages_refuse_citizens(client_for):
    sale = _open_sale()
    assert client_for(StaffFactory()).get(f"/sales/{sale.pk}/").status_code == 403
    assert client_for(CitizenFactory()).get("/sales/staff/").status_code == 403
