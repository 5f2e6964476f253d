"""Gifts racing on real PostgreSQL connections: the caps and the balance hold, and a gift is
claimed, cancelled or returned exactly once."""

import datetime as dt

import pytest
from django.utils import timezone

from ledger.selectors import ledger_check
from solidarity.exceptions import GiftCapError, GiftNotCancellableError
from solidarity.models import Gift
from solidarity.services import gift_cancel, gifts_claim, gifts_return_expired
from tests.accounts.factories import CitizenFactory
from tests.helpers import race
from tests.solidarity.factories import give, solidarity_policy, wallet, with_pin
from tests.vouchers.conftest import charge

pytestmark = pytest.mark.slow


def test_ten_concurrent_gifts_never_pass_the_daily_cap(live_city):
    solidarity_policy(gift_daily_cap=300_000, gift_monthly_cap=500_000)
    sender = with_pin(CitizenFactory())
    charge(sender, 500_000)
    recipients = [CitizenFactory() for _ in range(10)]

    results = race(live_city, 10, lambda i: give(sender, recipients[i].email, 50_000, key=f"r{i}"))

    refused = [r for r in results if isinstance(r, GiftCapError)]
    given = [r for r in results if not isinstance(r, BaseException)]
    assert len(given) == 6, results
    assert len(refused) == 4
    assert wallet(sender) == (200_000, 0)
    assert sum(wallet(r)[0] for r in recipients) == 300_000
    assert Gift.objects.filter(sender=sender).count() == 6
    assert ledger_check().ok


def test_claim_cancel_and_return_racing_on_one_gift_settle_it_once(live_city):
    solidarity_policy()
    sender = with_pin(CitizenFactory())
    charge(sender, 100_000)
    gift_id = give(sender, "010-7777-8888", 40_000).body["gift_id"]
    newcomer = CitizenFactory(email=None, phone="01077778888")
    later = timezone.now() + dt.timedelta(days=31)

    def act(i):
        if i % 3 == 0:
            return gifts_claim(user=newcomer)
        if i % 3 == 1:
            return gift_cancel(gift_id=gift_id, by=sender)
        return gifts_return_expired(now=later)

    results = race(live_city, 9, act)
    unexpected = [
        r
        for r in results
        if isinstance(r, BaseException) and not isinstance(r, GiftNotCancellableError)
    ]
    assert not unexpected, unexpected
    gift = Gift.objects.get(pk=gift_id)
    assert gift.status in ("claimed", "cancelled", "returned")
    if gift.status == "claimed":
        assert (wallet(sender), wallet(newcomer)) == ((60_000, 0), (40_000, 0))
    else:
        assert (wallet(sender), wallet(newcomer)) == ((100_000, 0), (0, 0))
    assert ledger_check().ok
