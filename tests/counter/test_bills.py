"""One bill at the counter: the prepaid balance first, the rest from the wallet, one step; the
page and the API share it (``counter.services.bill_pay``)."""

import pytest

from counter.services import BillNotCoveredError, bill_pay
from ledger.selectors import ledger_check
from ledger.services import Idem
from merchants.services import payment_code_issue
from tests.campaigns.conftest import pledge, prepaid
from tests.vouchers.conftest import balances, charge

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def bill(user, shop, amount, key):
    code = payment_code_issue(user=user).number
    return bill_pay(
        shop=shop, code=code, amount=amount, idem=Idem.of("user:0", key, "bill", code, amount)
    ).body


def test_a_bill_takes_the_prepaid_balance_first_then_the_wallet(citizen, campaign, shop, budget):
    budget(1_000_000)
    charge(citizen, 300_000)
    pledge(citizen, campaign, shop, 100_000)  # 105,000 prepaid; 200,000 principal, 10,000 cashback
    body = bill(citizen, shop, 120_000, "b1")
    # 105,000 from the prepaid balance, 15,000 from the wallet, 10% cashback on the wallet part.
    assert (body["from_prepaid"], body["from_wallet"], body["cashback"]) == (105_000, 15_000, 1_500)
    assert body["prepaid_balance"] == 0
    assert prepaid(citizen, shop) == 0
    assert ledger_check().ok


def test_a_bill_without_prepaid_balance_is_a_wallet_payment(citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 50_000)
    body = bill(citizen, shop, 20_000, "b2")
    assert (body["from_prepaid"], body["from_wallet"], body["cashback"]) == (0, 20_000, 2_000)
    assert balances(citizen) == (30_000, 2_000)


def test_a_bill_smaller_than_the_prepaid_balance_leaves_the_wallet_alone(
    citizen, campaign, shop, budget
):
    budget(1_000_000)
    charge(citizen, 100_000)
    pledge(citizen, campaign, shop, 100_000)
    before = balances(citizen)
    body = bill(citizen, shop, 30_000, "b3")
    assert (body["from_prepaid"], body["from_wallet"], body["prepaid_balance"]) == (
        30_000,
        0,
        75_000,
    )
    assert balances(citizen) == before


def test_a_bill_neither_balance_covers_names_both_and_moves_nothing(
    citizen, campaign, shop, budget
):
    budget(1_000_000)
    charge(citizen, 100_000)
    pledge(citizen, campaign, shop, 100_000)  # prepaid 105,000; wallet 0 + 10,000 cashback
    with pytest.raises(BillNotCoveredError) as exc:
        bill(citizen, shop, 200_000, "b4")
    assert "105,000" in exc.value.message
    assert "10,000" in exc.value.message
    assert prepaid(citizen, shop) == 105_000
    assert balances(citizen) == (0, 10_000)


def test_a_retry_of_a_bill_gets_the_first_answer(citizen, campaign, shop, budget):
    budget(1_000_000)
    charge(citizen, 300_000)
    pledge(citizen, campaign, shop, 100_000)
    code = payment_code_issue(user=citizen).number
    idem = Idem.of("user:0", "same", "bill", code, 110_000)
    first = bill_pay(shop=shop, code=code, amount=110_000, idem=idem)
    again = bill_pay(shop=shop, code=code, amount=110_000, idem=idem)
    assert again.replayed
    assert again.body == first.body
    assert prepaid(citizen, shop) == 0
