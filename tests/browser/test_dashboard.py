"""A member of the city's staff opens the dashboard on a desktop, sees the totals and the charts,
filters to one phase of the campaign and downloads a table as an Excel file."""

import pytest
from openpyxl import load_workbook

from campaigns.models import Pledge
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.browser.helpers import sign_in, wallet_policy_and_budget
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.services import pin_set

pytestmark = pytest.mark.browser


def test_staff_see_totals_and_charts_filter_to_a_phase_and_download_excel(
    live_server_url, browser, tmp_path
):
    staff = StaffFactory(email="staff-b@example.kr")
    wallet_policy_and_budget(staff)
    campaign = CampaignFactory(name="전주 착한 선결제")
    PhaseFactory(campaign=campaign, number=1, name="1단계 공무원")
    second = PhaseFactory(campaign=campaign, number=2, name="2단계 모든 시민")
    shops = [
        ShopFactory(name="풍남문 커피", district="풍남동", category="cafe"),
        ShopFactory(name="남부시장 국밥", district="중앙동", category="restaurant"),
    ]
    for shop in shops:
        CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    for n, shop in enumerate(shops):
        citizen = CitizenFactory()
        pin_set(user=citizen, pin="123456", password="test-pass-1234")
        charge(citizen, 300_000)
        pay(citizen, shop, 12_000 + n * 1_000)
        pledge(citizen, campaign, shop, 100_000 + n * 100_000)
    # The second citizen pledged in phase 2.
    Pledge.objects.filter(amount=200_000).update(phase=second)

    context = browser.new_context(
        locale="ko-KR", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server_url, staff.email)
        page.goto(f"{live_server_url}/dashboard/")
        assert page.locator("[data-total=pledged]").inner_text() == "300,000원"
        assert page.locator("[data-total=participants]").inner_text() == "2"
        assert page.locator("[data-total=wallet_payments]").inner_text() == "325,000원"
        for chart in ("chart-days", "chart-budget", "chart-districts"):
            page.wait_for_function(
                "id => window.Chart && Chart.getChart(document.getElementById(id))", arg=chart
            )
        points = page.evaluate(
            "Chart.getChart(document.getElementById('chart-days')).data.datasets[1].data"
        )
        assert points[-1] == 325_000  # today's wallet payments, live

        page.locator("select[name=phase]").select_option(label=str(second))
        page.locator("#filters button[type=submit]").click()
        page.wait_for_url(f"**/dashboard/?*phase={second.pk}*")
        assert "2단계 모든 시민" in page.locator("#period").inner_text()
        assert page.locator("[data-total=pledged]").inner_text() == "200,000원"
        assert page.locator("[data-total=participants]").inner_text() == "1"
        shown = page.locator("table[data-table=phases] tbody tr").all_inner_texts()
        assert len(shown) == 1
        assert "2단계 모든 시민" in shown[0]

        with page.expect_download() as download_info:
            page.locator("#table-phases a[data-export=xlsx]").click()
        download = download_info.value
        assert download.suggested_filename.startswith("phases-")
        assert download.suggested_filename.endswith(".xlsx")
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        rows = list(load_workbook(path).active.iter_rows(values_only=True))
        assert rows[1][:2] == ("전주 착한 선결제", "2단계 모든 시민")
        assert rows[1][2] == 1  # participants
        assert rows[1][4] == 200_000  # pledged
    finally:
        context.close()
