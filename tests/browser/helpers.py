"""Shared steps of the browser journeys."""

import datetime as dt

from tests.accounts.factories import PASSWORD


def sign_in(page, base_url, email, password=PASSWORD):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(f"{base_url}/")


def new_page(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def wallet_policy_and_budget(staff, amount=1_000_000):
    """Jeonju's wallet rules and an incentive budget up to 2030, as the browser journeys need."""
    from tests.vouchers.conftest import jeonju_rules_and_budget

    jeonju_rules_and_budget(
        by=staff,
        amount=amount,
        name="b",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2030, 1, 1),
        key="browser",
    )
