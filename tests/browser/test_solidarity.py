"""Solidarity in a real browser (Chromium through Playwright, a phone's width): a citizen gives
20,000 won to a family member who signs up and sees it; an organisation passes the relay baton
and the invited one joins."""

import pytest

from accounts.models import User
from campaigns.models import Membership
from ledger.selectors import citizen_balances
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.browser.helpers import new_page, sign_in
from tests.campaigns.factories import CampaignFactory, OrganisationFactory, PhaseFactory
from tests.solidarity.factories import PIN, solidarity_policy, with_pin
from tests.vouchers.conftest import charge

pytestmark = pytest.mark.browser


def test_a_gift_waits_for_a_family_member_who_signs_up_and_sees_it(live_server_url, page, browser):
    solidarity_policy(by=StaffFactory())
    sender = with_pin(CitizenFactory(email="child@example.kr"))
    charge(sender, 100_000)
    sign_in(page, live_server_url, "child@example.kr")
    page.goto(f"{live_server_url}/solidarity/gifts/")
    page.locator("#id_to").fill("mom@example.kr")
    page.locator("#id_amount").fill("20,000")
    page.locator("#id_message").fill("엄마 생신 축하드려요")
    page.locator("#id_pin").fill(PIN)
    page.get_by_role("button", name="선물하기").click()
    page.wait_for_url(f"{live_server_url}/solidarity/gifts/")
    assert page.get_by_text("30일 동안 받는 분을 기다립니다").is_visible()
    assert page.get_by_text("80,000원").first.is_visible()

    mom = new_page(browser)
    mom.goto(f"{live_server_url}/accounts/signup/")
    mom.locator("#id_email").fill("mom@example.kr")
    mom.get_by_label("이름").fill("박엄마")
    mom.locator("#id_password1").fill("a-long-pass-phrase-2021")
    mom.get_by_label("비밀번호 (확인)").fill("a-long-pass-phrase-2021")
    mom.get_by_label("이용약관").check()
    mom.get_by_label("개인정보 수집·이용 동의").check()
    mom.get_by_role("button", name="회원가입").click()
    mom.wait_for_url(f"{live_server_url}/")
    mom.goto(f"{live_server_url}/solidarity/gifts/")
    assert mom.get_by_text("20,000원 선물을 받았습니다").is_visible()
    assert mom.get_by_test_id("balance").inner_text() == "20,000원"
    user = User.objects.get(email="mom@example.kr")
    assert citizen_balances(user_id=user.pk).principal == 20_000
    mom.context.close()


def test_an_organisation_passes_the_baton_and_the_invited_one_joins(live_server_url, page, browser):
    campaign = CampaignFactory(name="착한 선결제 릴레이")
    PhaseFactory(campaign=campaign, number=1)
    city_hall = OrganisationFactory(name="시청")
    bank = OrganisationFactory(name="은행")
    city_hall.campaigns.add(campaign)
    mayor = CitizenFactory(email="mayor@example.kr")
    teller = CitizenFactory(email="teller@example.kr")
    Membership.objects.create(organisation=city_hall, user=mayor)
    Membership.objects.create(organisation=bank, user=teller)

    sign_in(page, live_server_url, "mayor@example.kr")
    page.goto(f"{live_server_url}/solidarity/relay/{campaign.pk}/")
    page.get_by_label("바통을 넘길 기관").select_option(label="은행")
    page.get_by_label("바통 메시지").fill("다음은 은행입니다!")
    page.get_by_role("button", name="바통 넘기기").click()
    page.wait_for_url(f"{live_server_url}/solidarity/relay/{campaign.pk}/")
    assert page.get_by_test_id("relay-tree").get_by_text("초대됨").is_visible()

    other = new_page(browser)
    sign_in(other, live_server_url, "teller@example.kr")
    other.goto(f"{live_server_url}/solidarity/relay/{campaign.pk}/")
    assert other.get_by_text("다음은 은행입니다!").first.is_visible()
    other.get_by_role("button", name="은행 이름으로 참여하기").click()
    other.wait_for_url(f"{live_server_url}/solidarity/relay/{campaign.pk}/")
    assert other.get_by_text("캠페인에 참여했습니다").is_visible()
    assert campaign in bank.campaigns.all()
    # The campaign's page shows the tree (loaded by htmx), the bank under the city hall.
    other.goto(f"{live_server_url}/campaigns/{campaign.pk}/")
    tree = other.get_by_test_id("relay-tree")
    tree.get_by_text("은행", exact=True).wait_for(state="visible")
    assert tree.get_by_text("시청", exact=True).is_visible()
    assert tree.get_by_text("“다음은 은행입니다!”").is_visible()
    other.context.close()
