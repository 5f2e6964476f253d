"""The messages that exist today, each sent by its service's one ``on_commit`` line: a pledge's
receipt, a charge's result, a refund, and prepaid balances expiring within 7 days (daily, once
per pledge). Tasks run eagerly here; tests/messaging/live runs them on a real worker."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Pledge
from campaigns.services import pledge_with_card
from ledger.services import Idem
from messaging.models import Message, SandboxDelivery
from messaging.tasks import reminders_run_city
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_create, wallet_refund

pytestmark = pytest.mark.usefixtures("jeonju_policy")

PHONE = "01012340001"


@pytest.fixture
def texted(citizen):
    """The citizen with a mobile number: service messages go by email and KakaoTalk."""
    citizen.phone = PHONE
    citizen.save(update_fields=["phone"])
    return citizen


@pytest.fixture
def campaign_shop(city):
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    shop = ShopFactory(name="전주콩나물국밥")
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    return campaign, shop


def _sent(kind):
    return {d.channel: d for d in SandboxDelivery.objects.filter(kind=kind).order_by("id")}


def test_a_wallet_charge_sends_its_result(texted, budget, django_capture_on_commit_callbacks):
    budget(10_000_000)
    with django_capture_on_commit_callbacks(execute=True):
        created = charge(texted, 100_000)
    sent = _sent("vouchers.charge_result")
    assert set(sent) == {"email", "alimtalk"}
    assert sent["alimtalk"].to == PHONE
    assert "100,000원 충전이 완료되었습니다" in sent["email"].body
    assert Message.objects.get(channel="email").dedupe_key == (
        f"vouchers.charge_result:{created.order_id}:paid:email"
    )


def test_a_failed_charge_says_so(texted, django_capture_on_commit_callbacks):
    created, _url = charge_create(user=texted, amount=50_000)
    with django_capture_on_commit_callbacks(execute=True):
        assert sandbox_approve(created.order_id, approve=False)["status"] == "failed"
    body = _sent("vouchers.charge_result")["email"].body
    assert "50,000원 충전이 완료되지 않았습니다" in body


def test_a_pledge_from_the_wallet_sends_a_receipt(
    texted, budget, campaign_shop, django_capture_on_commit_callbacks
):
    budget(10_000_000)
    campaign, shop = campaign_shop
    charge(texted, 300_000)
    with django_capture_on_commit_callbacks(execute=True):
        pledge(texted, campaign, shop, 100_000)
    sent = _sent("campaigns.pledge_receipt")
    # 100,000 won plus the shop's 5% bonus (5,000 won): 105,000 won to spend there.
    assert "전주콩나물국밥에 100,000원 착한 선결제" in sent["email"].body
    assert "105,000원" in sent["alimtalk"].body


def test_a_pledge_by_card_sends_one_receipt_and_no_charge_message(
    texted, campaign_shop, django_capture_on_commit_callbacks
):
    campaign, shop = campaign_shop
    created, _url = pledge_with_card(user=texted, campaign=campaign, shop=shop, amount=200_000)
    with django_capture_on_commit_callbacks(execute=True):
        assert sandbox_approve(created.charge.order_id)["status"] == "credited"
    assert set(_sent("campaigns.pledge_receipt")) == {"email", "alimtalk"}
    assert not SandboxDelivery.objects.filter(kind="vouchers.charge_result").exists()


def test_a_refund_sends_its_result(texted, budget, django_capture_on_commit_callbacks):
    budget(10_000_000)
    shop = ShopFactory()
    charge(texted, 20_000)
    pay(texted, shop, 14_000)  # 70% used: a refund is allowed (60% needed above 10,000 won)
    with django_capture_on_commit_callbacks(execute=True):
        result = wallet_refund(user=texted, idem=Idem.of(f"user:{texted.pk}", "refund-1", "r"))
    # 20,000 charged, 14,000 spent: 6,000 won back; the 10% cashback (1,400 won) goes back.
    assert result.body["principal_refunded"] == 6_000
    assert result.body["incentive_returned"] == 1_400
    body = _sent("vouchers.refund_done")["email"].body
    assert "6,000원이 환불되었습니다" in body
    assert "1,400원" in body


def test_a_balance_expiring_within_7_days_is_told_once_per_pledge(
    texted, budget, campaign_shop, django_capture_on_commit_callbacks
):
    budget(10_000_000)
    campaign, shop = campaign_shop
    charge(texted, 300_000)
    soon = Pledge.objects.get(pk=pledge(texted, campaign, shop, 100_000)["pledge_id"])
    later = Pledge.objects.get(pk=pledge(texted, campaign, shop, 100_000)["pledge_id"])
    today = dt.date(2026, 12, 3)
    Pledge.objects.filter(pk=soon.pk).update(valid_until=today + dt.timedelta(days=7))
    Pledge.objects.filter(pk=later.pk).update(valid_until=today + dt.timedelta(days=8))
    SandboxDelivery.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_run_city.apply(kwargs={"day": today.isoformat()})
        reminders_run_city.apply(kwargs={"day": (today + dt.timedelta(days=1)).isoformat()})
    sent = SandboxDelivery.objects.filter(kind="campaigns.prepaid_expiring")
    # The first pledge once (not again the next day); the second on the next day.
    assert sorted(d.reference.split(":")[1] for d in sent if d.channel == "email") == sorted(
        [str(soon.pk), str(later.pk)]
    )
    assert sent.count() == 4  # two pledges × (email, KakaoTalk)
    body = next(d.body for d in sent if str(soon.pk) in d.reference and d.channel == "email")
    assert "105,000원" in body
    assert "2026-12-10" in body
