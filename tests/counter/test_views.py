"""The clerk's counter page (issue 18, item 5): one amount and one button for a bill, the customer
kept identified after a refusal, a refusal that counts the prepaid balance, and prepaid
redemptions in today's list."""

import re

import pytest

from merchants.services import payment_code_issue
from tests.campaigns.conftest import pledge, prepaid
from tests.vouchers.conftest import balances, charge

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def _identify(client, shop, code) -> str:
    return client.post(f"/shops/{shop.pk}/counter/identify/", {"code": code}).content.decode()


def _key(html: str) -> str:
    return html.split('id="bill-form"')[1].split('name="idempotency_key" value="')[1].split('"')[0]


def test_a_customer_with_a_prepaid_balance_gets_one_amount_and_one_button(
    client_for, citizen, campaign, shop, budget
):
    budget(1_000_000)
    charge(citizen, 200_000)
    pledge(citizen, campaign, shop, 100_000)  # 105,000 prepaid
    html = _identify(client_for(shop.owner), shop, payment_code_issue(user=citizen).number)
    form = html.split('id="bill-form"')[1].split("</form>")[0]
    assert len(re.findall(r'name="amount"', form)) == 1
    assert len(re.findall(r'type="submit"', form)) == 1
    assert "선결제 잔액에서 먼저" in form  # says how the bill is split


def test_a_refused_bill_keeps_the_customer_identified_with_the_amount_and_names_both_balances(
    client_for, citizen, campaign, shop, budget
):
    budget(1_000_000)
    charge(citizen, 100_000)
    pledge(citizen, campaign, shop, 100_000)  # prepaid 105,000; wallet 0 + 10,000 cashback
    client = client_for(shop.owner)
    code = payment_code_issue(user=citizen).number
    first = _identify(client, shop, code)
    html = client.post(
        f"/shops/{shop.pk}/counter/bill/",
        {"code": code, "amount": "200000", "idempotency_key": _key(first)},
    ).content.decode()
    # The refusal is an alert that counts the prepaid balance as well as the wallet...
    alert = html.split('id="counter-error"')[1].split("</p>")[0]
    assert "105,000" in alert
    assert "10,000" in alert
    assert "115,000" in alert  # together
    # ... and the customer stays identified, the code kept, the amount kept to correct.
    assert 'class="identified"' in html
    assert f'name="code" value="{code}"' in html
    assert 'value="200000"' in html
    assert prepaid(citizen, shop) == 105_000
    assert balances(citizen) == (0, 10_000)
    # The clerk corrects the amount and the same customer pays, with no code typed again.
    done = client.post(
        f"/shops/{shop.pk}/counter/bill/",
        {"code": code, "amount": "110000", "idempotency_key": _key(html)},
    ).content.decode()
    assert 'id="counter-paid"' in done
    assert prepaid(citizen, shop) == 0
    # 5,000 of the 10,000 cashback paid the rest, which earned 10% cashback again: 5,500.
    assert balances(citizen) == (0, 5_500)


def test_an_amount_that_is_not_a_number_keeps_the_customer_identified(client_for, citizen, shop):
    client = client_for(shop.owner)
    code = payment_code_issue(user=citizen).number
    html = client.post(
        f"/shops/{shop.pk}/counter/bill/", {"code": code, "amount": "abc", "idempotency_key": "k"}
    ).content.decode()
    assert 'role="alert"' in html
    assert 'class="identified"' in html


def test_todays_list_shows_prepaid_redemptions_with_their_wallet_part(
    client_for, citizen, campaign, shop, budget
):
    budget(1_000_000)
    charge(citizen, 300_000)
    pledge(citizen, campaign, shop, 100_000)  # 105,000 prepaid
    client = client_for(shop.owner)
    code = payment_code_issue(user=citizen).number
    paid = client.post(
        f"/shops/{shop.pk}/counter/bill/",
        {"code": code, "amount": "120000", "idempotency_key": _key(_identify(client, shop, code))},
    )
    # The list is asked again at once (htmx event), not only at its next 2-second poll.
    assert paid["HX-Trigger"] == "counter-paid"
    assert "counter-paid from:body" in client.get(f"/shops/{shop.pk}/counter/").content.decode()
    html = client.get(f"/shops/{shop.pk}/counter/recent/").content.decode()
    # (The pledge's own payment is listed too; in one test transaction both have the same time.)
    (row,) = [r for r in html.split("</tr>") if "/counter/redemptions/" in r]
    assert "120,000원" in row  # the whole bill
    assert "선결제 105,000원" in row  # of which the prepaid balance
