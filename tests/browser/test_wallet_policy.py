"""A member of the city's staff, on a phone, adds January's override and funds the incentive
budget from the wallet-policy page, and sees both on the page."""

import datetime as dt

import pytest

from ledger.services import business_date_today
from tests.accounts.factories import StaffFactory
from tests.browser.helpers import sign_in, wallet_policy_and_budget
from vouchers.caps import budget_remaining
from vouchers.models import IncentiveBudget, PolicyOverride
from vouchers.rules import rules_on

pytestmark = pytest.mark.browser


def test_staff_add_an_override_and_fund_the_budget_on_a_phone(live_server_url, page):
    staff = StaffFactory(email="policy-b@example.kr")
    wallet_policy_and_budget(staff, amount=1_000_000)
    january = dt.date(business_date_today().year + 1, 1, 1)

    sign_in(page, live_server_url, staff.email)
    page.goto(f"{live_server_url}/wallet/policy/")
    assert page.get_by_role("heading", name="지역화폐 정책과 예산").is_visible()
    # Nothing wider than the phone: wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_text("특례 추가", exact=True).click()
    override = page.locator("form[action$='/policy/overrides/']")
    override.get_by_label("시작일").fill(january.isoformat())
    override.get_by_label("종료일 (포함)").fill(january.replace(month=2, day=28).isoformat())
    override.get_by_label("월 충전 한도 (원)").fill("1000000")
    override.get_by_label("캐시백 (베이시스 포인트)").fill("2000")
    override.get_by_label("메모").fill("1~2월 특별 충전")
    override.get_by_role("button", name="특례 추가하기").click()
    assert page.get_by_text("특례를 추가했습니다.").is_visible()
    assert page.get_by_text("1~2월 특별 충전").is_visible()

    page.get_by_text("예산 편성", exact=True).click()
    budget = page.locator("form[action$='/policy/budgets/']")
    budget.get_by_label("이름").fill("추가 예산")
    budget.get_by_label("기간 시작").fill(january.isoformat())
    budget.get_by_label("기간 끝").fill(january.replace(month=12, day=31).isoformat())
    budget.get_by_label("금액 (원)").fill("3,000,000")
    budget.get_by_role("button", name="편성하기").click()
    assert page.get_by_text("인센티브 예산에 3,000,000원을 편성했습니다.").is_visible()
    assert page.get_by_text("지급 가능한 잔액 4,000,000원").is_visible()

    override_row = PolicyOverride.objects.get()
    assert override_row.created_by == staff
    rules = rules_on(january)
    assert (rules.monthly_charge_limit, rules.cashback_bp) == (1_000_000, 2000)
    assert IncentiveBudget.objects.get(name="추가 예산").amount == 3_000_000
    assert budget_remaining() == 4_000_000
