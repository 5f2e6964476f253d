"""Spending a grant at the counter, in exact won: the grant first at the programme's shops,
never at the shops it excludes, no cashback on grant money unless the programme says so."""

from __future__ import annotations

import pytest

from grants.services import APPROVE, application_decide, grants_pay
from ledger.exceptions import InsufficientBalanceError
from ledger.selectors import citizen_balances, ledger_check
from tests.grants.factories import apply, jeonju_2020
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.models import Payment
from vouchers.selectors import wallet_summary


@pytest.fixture
def granted(city, staff, jeonju_policy, budget, citizen):
    """The citizen holds Jeonju's 527,158 won grant and has charged 100,000 won."""
    budget(1_000_000)

    def make(**programme_rules):
        programme = jeonju_2020(staff, budget=10_000_000, **programme_rules)
        application_decide(application=apply(programme, citizen), by=staff, decision=APPROVE)
        grants_pay(programme=programme, by=staff)
        charge(citizen, 100_000)
        return programme

    return make


def _wallet(user):
    b = citizen_balances(user_id=user.pk)
    return b.grant, b.principal, b.incentive


def test_the_grant_pays_first_and_earns_no_cashback(granted, citizen, shop):
    granted()
    body = pay(citizen, shop, 50_000)
    assert (body["from_grant"], body["from_principal"], body["from_incentive"]) == (50_000, 0, 0)
    assert body["cashback"] == 0
    assert body["wallet_balance"] == {"principal": 100_000, "incentive": 0, "grant": 477_158}
    assert _wallet(citizen) == (477_158, 100_000, 0)
    # More than the grant holds: the grant's 477,158 first, 22,842 from the wallet, and 10%
    # cashback on that part only (2,284.2 → 2,284).
    body = pay(citizen, shop, 500_000)
    assert (body["from_grant"], body["from_principal"], body["cashback"]) == (
        477_158,
        22_842,
        2_284,
    )
    assert _wallet(citizen) == (0, 77_158, 2_284)
    payment = Payment.objects.get(pk=body["payment_id"])
    assert (payment.from_grant, payment.from_principal, payment.from_incentive) == (
        477_158,
        22_842,
        0,
    )
    assert ledger_check().ok


def test_a_bill_beyond_grant_and_wallet_is_refused_and_moves_nothing(granted, citizen, shop):
    granted()
    with pytest.raises(InsufficientBalanceError) as refused:
        pay(citizen, shop, 627_159)  # one won more than 527,158 + 100,000
    assert "627,158" in refused.value.message
    assert _wallet(citizen) == (527_158, 100_000, 0)


def test_an_excluded_shop_takes_no_grant_money(granted, citizen):
    granted()
    mart = ShopFactory(category="large_mart")
    body = pay(citizen, mart, 20_000)
    assert (body["from_grant"], body["from_principal"], body["cashback"]) == (0, 20_000, 2_000)
    assert _wallet(citizen) == (527_158, 80_000, 2_000)
    # The wallet alone holds 82,000 won: a bill of 82,001 is refused, the grant untouched.
    with pytest.raises(InsufficientBalanceError) as refused:
        pay(citizen, mart, 82_001)
    assert "82,000" in refused.value.message
    assert _wallet(citizen) == (527_158, 80_000, 2_000)


def test_districts_and_the_sales_bracket_of_the_programme_hold(granted, citizen):
    granted(districts=["풍남동"], max_sales_bracket="under_500m")
    elsewhere = ShopFactory(district="삼천동")
    larger = ShopFactory(sales_bracket="under_1b")
    small = ShopFactory(sales_bracket="under_500m")
    assert pay(citizen, elsewhere, 1_000)["from_grant"] == 0
    assert pay(citizen, larger, 1_000)["from_grant"] == 0
    assert pay(citizen, small, 1_000)["from_grant"] == 1_000
    assert _wallet(citizen)[0] == 526_158


def test_cashback_on_grant_money_when_the_programme_says_so(granted, citizen, shop):
    granted(cashback_on_grant=True)
    body = pay(citizen, shop, 10_000)
    assert (body["from_grant"], body["cashback"]) == (10_000, 1_000)


def test_the_wallet_shows_the_grant_in_its_balance(granted, citizen):
    granted()
    summary = wallet_summary(user=citizen).as_dict()
    assert (summary["grant"], summary["principal"], summary["balance"]) == (
        527_158,
        100_000,
        627_158,
    )


def test_a_cancelled_payment_gives_the_grant_back(granted, citizen, shop):
    from vouchers.services import payment_cancel

    granted()
    body = pay(citizen, shop, 30_000)
    payment_cancel(payment=Payment.objects.get(pk=body["payment_id"]), by=shop.owner)
    assert _wallet(citizen) == (527_158, 100_000, 0)
    assert ledger_check().ok
