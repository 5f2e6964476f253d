"""Good rental in a real browser: a landlord proposes, the tenant shop's owner signs, staff verify.

Pages are matched by element ids and field names, not by their (translated) words.
"""

import re

import pytest

from rentals.models import Agreement
from tests.accounts.factories import PASSWORD, LandlordFactory, StaffFactory
from tests.merchants.factories import ShopFactory

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{base}/")


def test_landlord_proposes_tenant_signs_staff_verify(live_server_url, page):
    base = live_server_url
    landlord = LandlordFactory(email="landlord@browser.kr", name="최영호")
    shop = ShopFactory(name="풍남문 커피", owner__email="tenant@browser.kr")
    StaffFactory(email="staff@browser.kr")

    # The landlord registers the unit, the lease, and proposes 20% for 3 months.
    sign_in(page, base, landlord.email)
    page.goto(f"{base}/rentals/")
    page.locator("#new-property").click()
    page.locator("#id_address").fill("전주시 완산구 태조로 44")
    page.locator("#id_unit").fill("1층")
    page.locator("#id_district").fill("풍남동")
    page.locator("#property-submit").click()
    page.wait_for_url(re.compile(r"/rentals/properties/\d+/leases/new/$"))
    page.locator("#id_tenant_business_number").fill(shop.business_number_display)
    page.locator("#id_monthly_rent").fill("1,500,000")
    page.locator("#id_deposit").fill("30000000")
    page.locator("#id_start_date").fill("2020-01-01")
    page.locator("#id_end_date").fill("2021-12-31")
    page.locator("#lease-submit").click()
    page.wait_for_url(re.compile(r"/rentals/leases/\d+/propose/$"))
    page.locator("input[name=reduction_kind][value=rate]").check()
    page.locator("#id_rate_percent").fill("20")
    page.locator("#id_months").fill("3")
    page.locator("#id_start_date").fill("2020-04-01")
    page.locator("#agreement-submit").click()
    page.wait_for_url(re.compile(r"/rentals/agreements/\d+/$"))
    agreement_id = int(re.search(r"/agreements/(\d+)/", page.url).group(1))
    assert page.locator("#agreement-status").get_attribute("data-status") == "proposed"
    assert page.locator("#monthly-reduction").inner_text() == "300,000원"
    assert page.locator("#total-reduction").inner_text() == "900,000원"
    assert page.locator("#credit-estimate").inner_text() == "630,000원"

    # The tenant shop's owner finds it on their page and signs.
    sign_in(page, base, "tenant@browser.kr")
    page.goto(f"{base}/rentals/")
    page.locator(f"#open-agreement-{agreement_id}").click()
    page.wait_for_url(f"{base}/rentals/agreements/{agreement_id}/")
    page.locator("#sign-button").click()
    page.wait_for_url(f"{base}/rentals/agreements/{agreement_id}/")
    assert page.locator("#agreement-status").get_attribute("data-status") == "signed"
    assert page.locator("#tenant-signed").is_visible()

    # City staff open it from the queue and verify.
    sign_in(page, base, "staff@browser.kr")
    page.goto(f"{base}/rentals/staff/?status=signed")
    page.locator(f"#staff-open-{agreement_id}").click()
    page.wait_for_url(f"{base}/rentals/agreements/{agreement_id}/")
    # The 2020-2021 lease has ended: staff are warned and confirm before verifying.
    assert "2021-12-31" in page.locator("#agreement-warnings").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#verify-button").click()
    page.wait_for_url(f"{base}/rentals/agreements/{agreement_id}/")
    assert page.locator("#agreement-status").get_attribute("data-status") == "verified"

    # The landlord has a participation certificate now.
    sign_in(page, base, landlord.email)
    page.goto(f"{base}/rentals/agreements/{agreement_id}/")
    page.locator("#certificate-link").click()
    assert page.locator("#certificate").is_visible()

    agreement = Agreement.objects.get(pk=agreement_id)
    assert agreement.status == "verified"
    assert set(
        agreement.signatures.filter(terms_hash=agreement.terms_hash).values_list("party", flat=True)
    ) == {
        "landlord",
        "tenant",
    }
