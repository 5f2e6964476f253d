"""City without dismissal in a real browser: an employer registers and signs, the workers'
representative co-signs, staff verify, the employer files a month with one dismissal, staff
open the case and close it.

Pages are matched by element ids and field names, not by their (translated) words.
"""

import re

import pytest

from tests.accounts.factories import PASSWORD, CitizenFactory, StaffFactory
from tests.workplaces.factories import RoundFactory
from workplaces.models import Case, Declaration, Workplace

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{base}/")


def test_employer_signs_representative_cosigns_staff_verify_and_open_the_case(
    live_server_url, page
):
    base = live_server_url
    staff = StaffFactory(email="staff@browser.kr")
    RoundFactory(created_by=staff)
    CitizenFactory(email="employer@browser.kr")
    CitizenFactory(email="rep@browser.kr")

    # The employer registers the workplace and signs the round's declaration.
    sign_in(page, base, "employer@browser.kr")
    page.goto(f"{base}/workplaces/mine/")
    page.locator("#register-link").click()
    page.wait_for_url(f"{base}/workplaces/register/")
    page.locator("#id_name").fill("팔복제작소")
    page.locator("#id_business_number").fill("124-81-00998")
    page.locator("#id_address").fill("전주시 덕진구 팔복로 1")
    page.locator("#id_district").fill("풍남동")
    page.locator("#id_industry").select_option("manufacturing")
    page.locator("#id_size").select_option("small")
    page.locator("#id_baseline_headcount").fill("25")
    page.locator("#workplace-submit").click()
    page.wait_for_url(re.compile(r"/workplaces/\d+/$"))
    workplace = Workplace.objects.get(name="팔복제작소")
    form = page.locator("form[id^=pledge-form-]")
    form.locator("input[name=representative_email]").fill("rep@browser.kr")
    form.locator("input[name=consent]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/workplaces/{workplace.pk}/")
    declaration = Declaration.objects.get(workplace=workplace)
    status = page.locator(f"#declaration-{declaration.pk}-status")
    assert status.get_attribute("data-status") == "employer_signed"

    # The workers' representative co-signs the same text.
    sign_in(page, base, "rep@browser.kr")
    page.goto(f"{base}/workplaces/mine/")
    page.locator(f"#cosign-{declaration.pk}").click()
    page.wait_for_url(f"{base}/workplaces/declarations/{declaration.pk}/")
    page.locator("#cosign-form input[name=consent]").check()
    page.locator("#cosign-submit").click()
    page.wait_for_url(f"{base}/workplaces/declarations/{declaration.pk}/")
    assert page.locator("#declaration-status").get_attribute("data-status") == "signed"

    # Staff verify it from their page.
    sign_in(page, base, "staff@browser.kr")
    page.goto(f"{base}/workplaces/staff/")
    page.locator(f"#verify-open-{declaration.pk}").click()
    page.wait_for_url(f"{base}/workplaces/declarations/{declaration.pk}/")
    page.locator("#verify-submit").click()
    page.wait_for_url(f"{base}/workplaces/declarations/{declaration.pk}/")
    assert page.locator("#declaration-status").get_attribute("data-status") == "verified"

    # The employer files March with one dismissal.
    sign_in(page, base, "employer@browser.kr")
    page.goto(f"{base}/workplaces/{workplace.pk}/")
    page.locator("#report-form input[name=month]").fill("2021-03")
    page.locator("#report-form input[name=headcount]").fill("24")
    page.locator("#report-form input[name=dismissals]").fill("1")
    page.locator("#report-submit").click()
    page.wait_for_url(f"{base}/workplaces/{workplace.pk}/")
    assert "2021-03" in page.locator("#reports").inner_text()

    # Staff find the case and close it.
    case = Case.objects.get(declaration=declaration)
    sign_in(page, base, "staff@browser.kr")
    page.goto(f"{base}/workplaces/staff/")
    page.locator(f"#case-open-{case.pk}").click()
    page.wait_for_url(f"{base}/workplaces/staff/cases/{case.pk}/")
    assert page.locator("#case-status").get_attribute("data-status") == "open"
    page.locator("input[name=decision][value=accept]").check()
    page.locator("#close-form textarea[name=note]").fill("권고사직으로 확인")
    page.locator("#close-submit").click()
    page.wait_for_url(f"{base}/workplaces/staff/cases/{case.pk}/")
    assert page.locator("#case-status").get_attribute("data-status") == "accepted"
