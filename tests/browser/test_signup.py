"""A citizen signs up and signs in in a real browser (Chromium through Playwright)."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.browser


def test_citizen_signs_up_signs_out_and_signs_in(live_server_url, page):
    page.goto(f"{live_server_url}/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_role("link", name="회원가입").first.click()
    page.get_by_label("이메일").fill("browser@example.kr")
    page.get_by_label("이름").fill("김브라")
    page.locator("#id_password1").fill("a-long-pass-phrase-2021")
    page.get_by_label("비밀번호 (확인)").fill("a-long-pass-phrase-2021")
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
