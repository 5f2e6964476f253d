"""The dashboard pages, their exports and the totals endpoint: who may see them, that every
export opens and says what the page says, and that bad filters get a clear answer."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
import time_machine
from openpyxl import load_workbook

from campaigns.models import Pledge
from dashboard.figures import Filters, report_build
from tests.accounts.factories import CitizenFactory, OwnerFactory, StaffFactory
from tests.campaigns.conftest import pledge, redeem
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.dashboard.scenario import at
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.services import pin_set

pytestmark = pytest.mark.usefixtures("jeonju_policy")

D = dt.date(2026, 3, 10)
TODAY = D + dt.timedelta(days=1)
TABLES = ["phases", "organisations", "days", "budget", "districts", "categories", "top_shops",
          "outstanding"]  # fmt: skip


class TableCells(HTMLParser):
    """The text of every cell of every ``<table data-table=...>`` of a page."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._table = self.tables.setdefault(attrs["data-table"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = TableCells()
    parser.feed(html)
    return parser.tables


def as_page_text(value) -> str:
    if isinstance(value, int | float):
        return f"{int(value):,}"
    return str(value).removeprefix("'")


@pytest.fixture
def activity(budget, staff):
    campaign = CampaignFactory(name="착한 선결제 봄")
    PhaseFactory(campaign=campaign, number=1, name="1단계")
    other_phase = PhaseFactory(campaign=campaign, number=2, name="2단계")
    shops = [
        ShopFactory(name='=HYPERLINK("http://evil")', district="풍남동", category="cafe"),
        ShopFactory(name="콩나물국밥", district="중앙동", category="restaurant"),
    ]
    for shop in shops:
        CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    people = [CitizenFactory() for _ in range(2)]
    for person in people:
        pin_set(user=person, pin="123456", password="test-pass-1234")
    with time_machine.travel(at(D, 10)):
        budget(1_000_000)
        for person, shop in zip(people, shops, strict=True):
            charge(person, 300_000)
            pay(person, shop, 23_456)
            pledge(person, campaign, shop, 100_000)
        redeem(people[0], shops[0], 30_000)
    with time_machine.travel(at(TODAY, 10)):
        pay(people[1], shops[0], 7_000)
        Pledge.objects.filter(user=people[1]).update(phase=other_phase)
    return {"campaign": campaign, "shops": shops, "other_phase": other_phase}


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/shops/", "/dashboard/export/days.csv"])
def test_only_city_staff_see_the_dashboard(client_for, city, url):
    assert client_for(StaffFactory()).get(url).status_code == 200
    assert client_for(CitizenFactory()).get(url).status_code == 403
    assert client_for(OwnerFactory()).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302


def test_the_totals_endpoint_is_for_city_staff(client_for, city, activity):
    with time_machine.travel(at(TODAY, 12)):
        staff = client_for(StaffFactory()).get("/api/v1/dashboard/totals?start=2026-03-10")
        citizen = client_for(CitizenFactory()).get("/api/v1/dashboard/totals")
        anonymous = client_for(None).get("/api/v1/dashboard/totals")
    assert staff.status_code == 200
    body = staff.json()
    assert body["start"] == "2026-03-10"
    assert body["end"] == "2026-03-11"
    assert body["live_days"] == ["2026-03-10", "2026-03-11"]  # no nightly run yet
    assert body["totals"]["wallet_payments"] == 2 * 23_456 + 2 * 100_000 + 7_000
    assert body["totals"]["pledged"] == 200_000
    assert body["totals"]["participants"] == 2
    assert citizen.status_code == 403
    assert citizen.json()["error"]["code"]
    assert anonymous.status_code in (401, 403)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-11&end=2026-03-01", "The start date must not be after the end date."),
        ("start=yesterday", "Enter a valid date."),
        ("start=2020-01-01&end=2026-01-01", "Choose at most 400 days."),
        (
            "campaign=999999",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        ("campaign=abc", "Select a valid choice. That choice is not one of the available choices."),
    ],
)
def test_bad_filters_get_a_clear_answer(client_for, city, query, message):
    staff = StaffFactory()
    page = client_for(staff).get(f"/dashboard/?{query}")
    assert page.status_code == 200
    assert message in page.content.decode()
    api = client_for(staff).get(f"/api/v1/dashboard/totals?{query}")
    assert api.status_code == 400
    assert api.json()["error"]["message"] == message
    export = client_for(staff).get(f"/dashboard/export/days.csv?{query}")
    assert export.status_code == 400
    assert message in export.content.decode()


def test_a_phase_of_another_campaign_is_refused(client_for, city, activity):
    other = CampaignFactory()
    query = f"campaign={other.pk}&phase={activity['other_phase'].pk}"
    page = client_for(StaffFactory()).get(f"/dashboard/?{query}")
    assert "That phase belongs to another campaign." in page.content.decode()


@pytest.mark.parametrize("url", ["/dashboard/export/nothing.csv", "/dashboard/export/days.pdf"])
def test_unknown_exports_are_404(client_for, city, url):
    assert client_for(StaffFactory()).get(url).status_code == 404


def test_every_export_opens_and_matches_the_page(client_for, activity):
    client = client_for(StaffFactory())
    query = "start=2026-03-10&end=2026-03-11"
    with time_machine.travel(at(TODAY, 12)):
        html = client.get(f"/dashboard/?{query}").content.decode()
        shown = page_tables(html)
        for name in TABLES:
            page_rows = shown[name]
            csv_response = client.get(f"/dashboard/export/{name}.csv?{query}")
            xlsx_response = client.get(f"/dashboard/export/{name}.xlsx?{query}")
            assert csv_response["Content-Disposition"] == (
                f'attachment; filename="{name}-20260310-20260311.csv"'
            )
            assert csv_response.content.startswith("\ufeff".encode())
            csv_rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
            sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
            xlsx_rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            assert csv_rows[0] == page_rows[0] == [str(v) for v in xlsx_rows[0]], name
            body = page_rows[1:]
            if len(body) == 1 and len(body[0]) == 1:  # "Nothing in this period."
                assert csv_rows[1:] == xlsx_rows[1:] == [], name
                continue
            assert [[as_page_text(v) for v in r] for r in xlsx_rows[1:]] == body, name
            assert [[as_page_text(_int_or(v)) for v in r] for r in csv_rows[1:]] == body, name
    assert len(shown["days"]) == 3  # the header and two days
    assert "23,456" in " ".join(" ".join(r) for r in shown["top_shops"])


def _int_or(value: str):
    try:
        return int(value)
    except ValueError:
        return value


def test_spreadsheets_keep_a_formula_like_shop_name_as_text(client_for, activity):
    client = client_for(StaffFactory())
    with time_machine.travel(at(TODAY, 12)):
        response = client.get("/dashboard/export/top_shops.xlsx?start=2026-03-10")
        csv_text = client.get("/dashboard/export/top_shops.csv?start=2026-03-10").content
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil")' in names
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert "'=HYPERLINK" in csv_text.decode("utf-8-sig")


def test_filter_to_a_phase(client_for, activity):
    campaign, phase2 = activity["campaign"], activity["other_phase"]
    with time_machine.travel(at(TODAY, 12)):
        everything = report_build(Filters(D, TODAY, campaign)).totals
        second = report_build(Filters(D, TODAY, campaign, phase2)).totals
        page = client_for(StaffFactory()).get(f"/dashboard/?phase={phase2.pk}").content.decode()
    assert everything.pledged == 200_000
    assert second.pledged == 100_000
    assert second.participants == 1
    assert "2단계" in page
    assert f'<option value="{phase2.pk}" selected>' in page


def test_the_shops_page_lists_the_queue_and_closed_shops_with_what_they_owe(client_for, activity):
    from merchants.models import Shop

    ShopFactory(name="새 가게", status=Shop.Status.PENDING)
    owing = activity["shops"][0]
    Shop.objects.filter(pk=owing.pk).update(status=Shop.Status.CLOSED)
    tables = page_tables(client_for(StaffFactory()).get("/dashboard/shops/").content.decode())
    assert any("새 가게" in row for row in tables["pending"])
    (closed,) = tables["suspended_closed"][1:]
    assert closed[0] == owing.name
    assert closed[-1] == "75,000"  # 105,000 issued, 30,000 redeemed


def test_a_campaign_that_has_not_started_shows_its_period(client_for, city):
    from ledger.services import business_date_today

    today = business_date_today()
    later = CampaignFactory(
        starts_on=today + dt.timedelta(days=10), ends_on=today + dt.timedelta(days=40)
    )
    page = client_for(StaffFactory()).get(f"/dashboard/?campaign={later.pk}").content.decode()
    assert f"{later.starts_on:%Y-%m-%d} – {later.ends_on:%Y-%m-%d}" in page
    assert "form-error" not in page
