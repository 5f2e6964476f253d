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
    """Jeonju's wallet rules (10% cashback up to 50,000 won a month, 500,000 won a month) and an
    incentive budget, as the browser journeys need them."""
    from vouchers.services import budget_fund, policy_set

    policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
    )
    budget_fund(
        by=staff,
        name="b",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2030, 1, 1),
        amount=amount,
        idempotency_key="browser",
    )
