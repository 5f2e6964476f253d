"""Gifts: the proportional split in exact won, the PIN, the caps, held gifts and their claim,
cancellation and return after 30 days, all checked against the ledger."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ledger.exceptions import InvalidAmountError
from ledger.models import Account, Entry
from ledger.selectors import ledger_check
from solidarity.exceptions import (
    GiftBalanceError,
    GiftCapError,
    GiftNotCancellableError,
    GiftNotFoundError,
    GiftRecipientError,
)
from solidarity.models import Gift
from solidarity.services import gift_cancel, gifts_claim, gifts_return_expired
from tests.accounts.factories import CitizenFactory
from tests.merchants.factories import ShopFactory
from tests.solidarity.factories import fill_wallet, give, solidarity_policy, wallet, with_pin
from vouchers.exceptions import PinInvalidError

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(city, budget):
    solidarity_policy()
    budget()
    shop = ShopFactory()
    sender = with_pin(CitizenFactory(phone="01011112222"))
    assert fill_wallet(sender, shop) == (100_000, 10_000)
    return sender, shop


def held(user):
    return tuple(
        Account.objects.filter(kind=kind, owner_user=user).values_list("balance", flat=True).first()
        or 0
        for kind in ("gift_held_principal", "gift_held_incentive")
    )


def test_gift_to_a_citizen_moves_principal_and_incentive_in_proportion(setup):
    sender, _shop = setup
    recipient = CitizenFactory(email="family@example.kr")
    result = give(sender, "Family@Example.kr", 22_000)
    # 100,000 : 10,000 → incentive 22,000 × 10,000 / 110,000 = 2,000; principal the rest.
    assert result.status_code == 201
    assert result.body["status"] == "claimed"
    assert (result.body["principal"], result.body["incentive"]) == (20_000, 2_000)
    assert wallet(sender) == (80_000, 8_000)
    assert wallet(recipient) == (20_000, 2_000)
    gift = Gift.objects.get(pk=result.body["gift_id"])
    assert gift.recipient == recipient
    assert gift.send_entry.kind == Entry.Kind.GIFT
    assert ledger_check().ok


def test_the_won_rounding_leaves_goes_to_principal(setup):
    sender, _shop = setup
    CitizenFactory(phone="01033334444")
    result = give(sender, "010-3333-4444", 33_333)
    # 33,333 × 10,000 / 110,000 = 3,030.27 → 3,030 incentive; 30,303 principal.
    assert (result.body["principal"], result.body["incentive"]) == (30_303, 3_030)
    assert wallet(sender) == (69_697, 6_970)


def test_a_retry_with_the_same_key_gives_once(setup):
    sender, _shop = setup
    recipient = CitizenFactory()
    first = give(sender, recipient.email, 10_000, key="same")
    again = give(sender, recipient.email, 10_000, key="same")
    assert again.replayed
    assert again.body == first.body
    assert Gift.objects.count() == 1
    assert wallet(recipient) == (9_091, 909)


def test_wrong_pin_over_balance_and_bad_recipient_move_nothing(setup):
    sender, _shop = setup
    recipient = CitizenFactory()
    with pytest.raises(PinInvalidError):
        give(sender, recipient.email, 10_000, pin="000000")
    with pytest.raises(GiftBalanceError):
        give(sender, recipient.email, 110_001)
    with pytest.raises(GiftRecipientError):
        give(sender, "not a contact", 10_000)
    with pytest.raises(GiftRecipientError):
        give(sender, sender.email, 10_000)
    with pytest.raises(InvalidAmountError):
        give(sender, recipient.email, "-5")
    assert wallet(sender) == (100_000, 10_000)
    assert wallet(recipient) == (0, 0)
    assert not Gift.objects.exists()


def test_daily_and_monthly_caps(city, budget):
    solidarity_policy(gift_daily_cap=30_000, gift_monthly_cap=50_000)
    budget()
    shop = ShopFactory()
    sender = with_pin(CitizenFactory())
    recipient = CitizenFactory()
    with time_machine.travel(dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC)):
        fill_wallet(sender, shop, charged=200_000, spent=0)
        give(sender, recipient.email, 20_000)
        with pytest.raises(GiftCapError) as caught:
            give(sender, recipient.email, 10_001)
        assert "10,000" in caught.value.message  # what is left today
        give(sender, recipient.email, 10_000)
    with time_machine.travel(dt.datetime(2026, 3, 3, 3, tzinfo=dt.UTC)):
        give(sender, recipient.email, 20_000)  # a new day: 50,000 this month
        with pytest.raises(GiftCapError):
            give(sender, recipient.email, 1)
    with time_machine.travel(dt.datetime(2026, 4, 1, 3, tzinfo=dt.UTC)):
        give(sender, recipient.email, 30_000)  # a new month
    assert wallet(recipient) == (80_000, 0)
    assert wallet(sender) == (120_000, 0)


def test_a_cancelled_gift_no_longer_counts_toward_the_cap(city, budget):
    solidarity_policy(gift_daily_cap=30_000, gift_monthly_cap=50_000)
    budget()
    sender = with_pin(CitizenFactory())
    fill_wallet(sender, ShopFactory(), charged=100_000, spent=0)
    first = give(sender, "later@example.kr", 30_000)
    gift_cancel(gift_id=first.body["gift_id"], by=sender)
    give(sender, "later@example.kr", 30_000)
    assert Gift.objects.filter(status="held").count() == 1


def test_a_gift_to_someone_not_signed_up_waits_and_is_claimed_on_sign_up(setup):
    sender, _shop = setup
    result = give(sender, "010-5555-6666", 20_000, message="생일 축하해")
    assert result.body["status"] == "held"
    # 20,000 × 10,000 / 110,000 = 1,818.18 → 1,818 incentive; 18,182 principal.
    assert wallet(sender) == (81_818, 8_182)
    assert held(sender) == (18_182, 1_818)
    # The person signs up with that number and opens their gifts.
    newcomer = CitizenFactory(email=None, phone="01055556666")
    claimed = gifts_claim(user=newcomer)
    assert [g.pk for g in claimed] == [result.body["gift_id"]]
    assert wallet(newcomer) == (18_182, 1_818)
    assert held(sender) == (0, 0)
    gift = Gift.objects.get()
    assert (gift.status, gift.recipient) == ("claimed", newcomer)
    assert gifts_claim(user=newcomer) == []  # once
    with pytest.raises(GiftNotCancellableError):
        gift_cancel(gift_id=gift.pk, by=sender)
    assert ledger_check().ok


def test_the_sender_cancels_a_waiting_gift_and_gets_it_back_as_it_left(setup):
    sender, _shop = setup
    gift_id = give(sender, "someone@example.kr", 50_000).body["gift_id"]
    with pytest.raises(GiftNotFoundError):
        gift_cancel(gift_id=gift_id, by=CitizenFactory())
    gift = gift_cancel(gift_id=gift_id, by=sender)
    assert gift.status == "cancelled"
    assert wallet(sender) == (100_000, 10_000)
    assert held(sender) == (0, 0)
    with pytest.raises(GiftNotCancellableError):
        gift_cancel(gift_id=gift_id, by=sender)
    # Nobody can claim it any more.
    assert gifts_claim(user=CitizenFactory(email="someone@example.kr")) == []


def test_an_unclaimed_gift_returns_after_30_days(setup):
    sender, _shop = setup
    gift_id = give(sender, "away@example.kr", 11_000).body["gift_id"]
    assert wallet(sender) == (90_000, 9_000)
    assert gifts_return_expired(now=timezone.now() + dt.timedelta(days=29)) == (0, 0)
    assert gifts_return_expired(now=timezone.now() + dt.timedelta(days=30, seconds=1)) == (
        1,
        11_000,
    )
    assert gifts_return_expired(now=timezone.now() + dt.timedelta(days=31)) == (0, 0)
    gift = Gift.objects.get(pk=gift_id)
    assert gift.status == "returned"
    assert wallet(sender) == (100_000, 10_000)
    assert gifts_claim(user=CitizenFactory(email="away@example.kr")) == []
    assert ledger_check().ok
