"""A citizen signs up and signs in in a real browser (Chromium through Playwright)."""

import re

import pytest

from accounts.models import User

pytestmark = pytest.mark.browser


def test_citizen_signs_up_signs_out_and_signs_in(live_server_url, page):
    page.goto(f"{live_server_url}/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_role("link", name="회원가입").first.click()
    page.locator("#id_email").fill("browser@example.kr")
    page.get_by_label("이름").fill("김브라")
    page.locator("#id_password1").fill("a-long-pass-phrase-2021")
    page.get_by_label("비밀번호 (확인)").fill("a-long-pass-phrase-2021")
    page.get_by_label("이용약관").check()
    page.get_by_label("개인정보 수집·이용 동의").check()
    page.get_by_role("button", name="회원가입").click()
    page.wait_for_url(f"{live_server_url}/")
    # Signed in, a phone folds the navigation behind the menu button.
    page.get_by_role("button", name="메뉴").click()
    assert page.get_by_role("link", name="김브라").is_visible()
    assert User.objects.get(email="browser@example.kr").roles == {"citizen"}

    page.get_by_role("button", name="로그아웃").click()
    page.get_by_role("link", name="로그인").first.click()
    page.get_by_label("이메일").fill("browser@example.kr")
    page.get_by_label("비밀번호").fill("a-long-pass-phrase-2021")
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(f"{live_server_url}/")
    page.get_by_role("button", name="메뉴").click()
    assert page.get_by_role("link", name="김브라").is_visible()


def test_language_switch_to_english(live_server_url, page):
    page.goto(f"{live_server_url}/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Sign in").first.is_visible()


def test_a_citizen_without_email_signs_in_with_a_code_read_from_the_sandbox_outbox(
    live_server_url, page, settings
):
    """As under ``make run``: the code goes to the sandbox outbox page, the citizen types it."""
    from accounts.services import user_create_assisted
    from tests.accounts.factories import StaffFactory

    settings.MESSAGING_SANDBOX_PAGE = True
    user_create_assisted(created_by=StaffFactory(), phone="01077770001", name="이할배")
    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_role("link", name="휴대전화 번호와 인증번호로 로그인").click()
    page.get_by_label("휴대전화 번호").fill("010-7777-0001")
    page.get_by_role("button", name="인증번호 받기").click()
    page.wait_for_url(f"{live_server_url}/accounts/phone/code/")
    code_field = page.get_by_label("인증번호")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    outbox = page.context.new_page()
    outbox.goto(f"{live_server_url}/messages/sandbox/")
    text = outbox.get_by_role("cell", name="로그인 인증번호").first.inner_text()
    code = re.search(r"\b(\d{6})\b", text).group(1)
    outbox.close()
    code_field.fill(code)
    page.get_by_role("button", name="로그인", exact=True).click()
    page.wait_for_url(f"{live_server_url}/")
    page.get_by_role("button", name="메뉴").click()  # a phone folds the navigation
    assert page.get_by_role("link", name="이할배").is_visible()
