"""What the citizen sees at the end (issue 18, items 6 and 7): a charge that says "완료" with the
new balance, a waiting charge to finish or cancel, a card pledge's own page naming the shop and
the pledge, and a code screen that learns its code was used."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.services import pledge_with_card
from counter.services import bill_pay
from ledger.services import Idem
from merchants.services import payment_code_issue
from tests.campaigns.conftest import pledge
from tests.vouchers.conftest import charge
from vouchers.models import Charge
from vouchers.services import charge_create

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def test_a_paid_charge_says_complete_with_the_new_balance(client_for, citizen, budget):
    budget(1_000_000)
    charge(citizen, 30_000)
    client = client_for(citizen)
    response = client.post("/wallet/charge/", {"amount": "50000"})
    back = client.post(response["Location"], {"decision": "approve"})
    html = client.get(back["Location"]).content.decode()
    assert "<h1>충전 완료</h1>" in html
    assert "50,000원 충전했습니다" in html
    # 30,000 before and 50,000 now (Jeonju gives cashback, no charging incentive).
    assert 'id="wallet-balance">80,000원<' in html


def test_a_waiting_charge_can_be_resumed_or_cancelled_from_its_page_and_the_wallet(
    client_for, citizen
):
    client = client_for(citizen)
    created, checkout = charge_create(user=citizen, amount=20_000)
    wallet = client.get("/wallet/").content.decode()
    assert f'href="/wallet/charge/{created.order_id}/done/"' in wallet  # the waiting row
    html = client.get(f"/wallet/charge/{created.order_id}/done/").content.decode()
    assert "<h1>결제 대기</h1>" in html
    assert f'<a href="{checkout}" role="button" id="charge-resume">' in html
    assert f'action="/wallet/charge/{created.order_id}/cancel/"' in html
    # Resuming is the provider's own page for the same order.
    assert "20,000원" in client.get(checkout).content.decode()
    response = client.post(f"/wallet/charge/{created.order_id}/cancel/")
    assert response["Location"] == f"/wallet/charge/{created.order_id}/done/"
    created.refresh_from_db()
    assert created.status == Charge.Status.CANCELLED
    html = client.get(response["Location"]).content.decode()
    assert "결제하기 전에 취소했습니다" in html
    assert 'role="alert"' in html
    assert 'id="charge-resume"' not in html


def test_a_card_pledge_ends_on_its_own_page_naming_the_shop(client_for, citizen, campaign, shop):
    client = client_for(citizen)
    response = client.post(
        f"/campaigns/{campaign.pk}/shops/{shop.pk}/pledge/",
        {"amount": "100000", "pay_with": "card", "idempotency_key": "card-1"},
    )
    checkout = response["Location"]
    back = client.post(checkout, {"decision": "approve"})  # the gateway's return page ...
    assert back["Location"].endswith("/done/")
    landing = client.get(back["Location"])  # ... hands over to the pledge's page
    assert landing.status_code == 302
    assert landing["Location"].startswith("/campaigns/pledges/")
    html = client.get(landing["Location"]).content.decode()
    assert "<h1>선결제 완료</h1>" in html
    assert shop.name in html
    assert campaign.name in html
    assert "105,000원" in html  # the value with the shop's 5% bonus
    assert 'id="prepaid-balance">105,000원<' in html
    assert "충전금" not in html


def test_a_waiting_card_pledge_can_be_cancelled_and_then_says_it_was_not_made(
    client_for, citizen, campaign, shop
):
    created, _url = pledge_with_card(user=citizen, campaign=campaign, shop=shop, amount=100_000)
    client = client_for(citizen)
    page = f"/campaigns/pledges/{created.pk}/"
    html = client.get(page).content.decode()
    assert "카드 결제를 기다리고 있습니다" in html
    assert 'id="charge-resume"' in html
    cancel = client.post(f"/wallet/charge/{created.charge.order_id}/cancel/")
    assert client.get(cancel["Location"])["Location"] == page
    created.refresh_from_db()
    assert created.status == "failed"
    html = client.get(page).content.decode()
    assert "선결제가 되지 않았습니다" in html
    assert "결제하기 전에 취소했습니다" in html
    # Somebody else's pledge is not found.
    from tests.accounts.factories import CitizenFactory

    assert client_for(CitizenFactory()).get(page).status_code == 404


def test_the_code_screen_learns_that_its_code_was_used(client_for, citizen, campaign, shop, budget):
    budget(1_000_000)
    charge(citizen, 300_000)
    pledge(citizen, campaign, shop, 100_000)  # 105,000 prepaid; wallet 200,000 + 10,000
    client = client_for(citizen)
    page = client.get("/wallet/code/").content.decode()
    assert 'hx-get="/wallet/code/status/" hx-trigger="every 2s"' in page
    number = page.split('id="pay-code-number"')[1].split(">")[1].split("<")[0].replace(" ", "")
    with CaptureQueriesContext(connection) as asked:
        assert client.get("/wallet/code/status/").status_code == 204  # unused: the screen stays
    # Cheap enough to ask every 2 seconds: the schema, the session, the user, the two
    # permission look-ups of ``use_wallet``, and one indexed look-up of the latest code.
    assert len(asked) <= 6
    assert "merchants_paymentcode" in asked[-1]["sql"]
    bill_pay(shop=shop, code=number, amount=120_000, idem=Idem.of("user:0", "k", "bill"))
    response = client.get("/wallet/code/status/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="status"' in html
    assert shop.name in html
    # 105,000 from the prepaid balance, 15,000 from the wallet (earning 1,500 cashback).
    assert 'id="code-paid-wallet">15,000원<' in html
    assert 'id="code-wallet-balance">196,500원<' in html
    assert 'id="pay-code-number"' not in html  # the used code is gone
    assert 'href="/wallet/code/"' in html  # a new one on a tap
    # A new code on the screen: unused again.
    payment_code_issue(user=citizen)
    assert client.get("/wallet/code/status/").status_code == 204
