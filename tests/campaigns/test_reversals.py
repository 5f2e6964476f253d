"""A payment that paid for a pledge is reversed only with the pledge (issue 16, case 2)."""

import pytest

from campaigns.exceptions import CampaignError
from campaigns.models import Pledge
from ledger.selectors import ledger_check
from tests.accounts.factories import ClerkFactory
from tests.campaigns.conftest import pledge, prepaid
from tests.vouchers.conftest import balances, charge
from vouchers.exceptions import PaymentNotCancellableError
from vouchers.models import Payment
from vouchers.services import payment_cancel

pytestmark = pytest.mark.usefixtures("jeonju_policy")


@pytest.fixture
def owner(shop):
    return shop.owner


def test_the_owner_cannot_cancel_the_payment_behind_a_pledge(
    citizen, campaign, shop, owner, budget
):
    budget(1_000_000)
    charge(citizen, 100_000)
    body = pledge(citizen, campaign, shop, 100_000)
    # The pledge's wallet payment: 100,000 from principal, cashback 10,000; prepaid 105,000
    # (the shop's 5% bonus).
    assert balances(citizen) == (0, 10_000)
    assert prepaid(citizen, shop) == 105_000
    payment = Payment.objects.get(pk=body["payment"]["payment_id"])
    with pytest.raises(PaymentNotCancellableError) as exc:
        payment_cancel(payment=payment, by=owner)
    assert "선결제" in exc.value.message or "pledge" in exc.value.message
    payment.refresh_from_db()
    assert payment.status == "completed"
    assert Pledge.objects.get(pk=body["pledge_id"]).status == "active"
    assert balances(citizen) == (0, 10_000)
    assert prepaid(citizen, shop) == 105_000
    assert ledger_check().ok


def test_the_counter_page_refuses_to_cancel_a_pledge_payment(
    citizen, campaign, shop, owner, budget, client_for
):
    budget(1_000_000)
    charge(citizen, 100_000)
    body = pledge(citizen, campaign, shop, 100_000)
    payment_id = body["payment"]["payment_id"]
    client = client_for(owner)
    response = client.post(f"/shops/{shop.pk}/counter/payments/{payment_id}/cancel/", follow=True)
    assert response.status_code == 200
    assert Payment.objects.get(pk=payment_id).status == "completed"
    assert Pledge.objects.get(pk=body["pledge_id"]).status == "active"
    assert balances(citizen) == (0, 10_000)
    assert prepaid(citizen, shop) == 105_000


def test_a_redemption_s_wallet_part_is_cancelled_only_with_the_redemption(
    citizen, campaign, shop, owner, budget
):
    from tests.campaigns.conftest import redeem

    budget(1_000_000)
    charge(citizen, 300_000)
    pledge(citizen, campaign, shop, 100_000)
    body = redeem(citizen, shop, 105_000, wallet_amount=5_000)
    payment = Payment.objects.get(pk=body["wallet_payment"]["payment_id"])
    with pytest.raises((PaymentNotCancellableError, CampaignError)):
        payment_cancel(payment=payment, by=owner)
    payment.refresh_from_db()
    assert payment.status == "completed"
    assert prepaid(citizen, shop) == 0


def test_the_owner_cancels_a_redemption_and_the_value_returns_to_its_pledges(
    citizen, campaign, shop, owner, budget
):
    from campaigns.models import Redemption
    from campaigns.services import redemption_cancel
    from tests.campaigns.conftest import redeem

    budget(1_000_000)
    charge(citizen, 300_000)
    body = pledge(citizen, campaign, shop, 100_000)  # prepaid 105,000 (5% bonus)
    # The whole prepaid balance and 5,000 from the wallet, for a bill of 110,000; the wallet
    # part earns 500 won of cashback. Cancelling undoes both, to the won.
    before = balances(citizen)
    redeemed = redeem(citizen, shop, 105_000, wallet_amount=5_000)
    assert prepaid(citizen, shop) == 0
    assert Pledge.objects.get(pk=body["pledge_id"]).status == "used"
    redemption = Redemption.objects.get(pk=redeemed["redemption_id"])
    redemption_cancel(redemption=redemption, by=owner)
    assert prepaid(citizen, shop) == 105_000
    restored = Pledge.objects.get(pk=body["pledge_id"])
    assert (restored.status, restored.remaining) == ("active", 105_000)
    assert balances(citizen) == before  # the wallet part and its cashback undone
    payment = Payment.objects.get(pk=redeemed["wallet_payment"]["payment_id"])
    assert payment.status == "cancelled"
    redemption.refresh_from_db()
    assert redemption.cancelled_by == owner
    assert ledger_check().ok


def test_a_redemption_is_cancelled_once_by_the_owner_only(citizen, campaign, shop, owner, budget):
    from campaigns.exceptions import RedemptionNotCancellableError
    from campaigns.models import Redemption
    from campaigns.services import redemption_cancel
    from tests.campaigns.conftest import redeem
    from tests.merchants.factories import add_clerk

    budget(1_000_000)
    charge(citizen, 300_000)
    pledge(citizen, campaign, shop, 100_000)
    redemption = Redemption.objects.get(pk=redeem(citizen, shop, 30_000)["redemption_id"])
    clerk = add_clerk(shop, ClerkFactory())
    with pytest.raises(RedemptionNotCancellableError):
        redemption_cancel(redemption=redemption, by=clerk)
    assert prepaid(citizen, shop) == 75_000
    redemption_cancel(redemption=redemption, by=owner)
    with pytest.raises(RedemptionNotCancellableError):
        redemption_cancel(redemption=redemption, by=owner)
    assert prepaid(citizen, shop) == 105_000
    assert ledger_check().ok


def test_a_card_pledge_cancel_gives_the_card_back_only_after_commit(
    citizen, campaign, shop, django_capture_on_commit_callbacks
):
    from campaigns.services import pledge_cancel, pledge_with_card
    from ledger.models import Account
    from vouchers.models_sandbox import SandboxPayment
    from vouchers.sandbox_views import sandbox_approve

    created, _url = pledge_with_card(user=citizen, campaign=campaign, shop=shop, amount=200_000)
    sandbox_approve(created.charge.order_id)
    created.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pledge_cancel(pledge=created, by=citizen)
    at_provider = SandboxPayment.objects.get(order_id=created.charge.order_id)
    assert at_provider.status == "approved"
    for callback in callbacks:
        callback()
    at_provider.refresh_from_db()
    assert at_provider.status == "cancelled"
    clearing = Account.objects.filter(kind="provider_clearing").values_list("balance", flat=True)
    assert sum(clearing) == 0  # 200,000 owed by the provider, then given back
    assert prepaid(citizen, shop) == 0
    assert ledger_check().ok


def test_a_card_pledge_refunded_at_the_provider_is_cancelled_if_unused(citizen, campaign, shop):
    import json
    import time

    from django.utils import timezone

    from campaigns.services import pledge_with_card
    from vouchers.models_sandbox import SandboxPayment
    from vouchers.providers import sign
    from vouchers.sandbox_views import sandbox_approve
    from vouchers.services import charge_callback_handle

    created, _url = pledge_with_card(user=citizen, campaign=campaign, shop=shop, amount=200_000)
    sandbox_approve(created.charge.order_id)
    created.charge.refresh_from_db()
    SandboxPayment.objects.filter(order_id=created.charge.order_id).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    body = json.dumps(
        {
            "event_id": f"evt_{time.time_ns()}",
            "type": "payment.cancelled",
            "order_id": created.charge.order_id,
            "amount": 200_000,
            "payment_key": created.charge.provider_payment_key,
            "occurred_at": int(time.time()) + 1,
        }
    ).encode()
    now = int(time.time())
    headers = {"X-PG-Timestamp": str(now), "X-PG-Signature": sign(body, now)}
    outcome = charge_callback_handle(provider_name="sandbox", raw_body=body, headers=headers)
    assert outcome.status == "cancelled"
    created.refresh_from_db()
    assert created.status == "cancelled"
    assert prepaid(citizen, shop) == 0
    assert ledger_check().ok
