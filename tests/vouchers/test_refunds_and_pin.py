import datetime as dt

import pytest
import time_machine

from ledger.models import Account
from ledger.services import Idem
from tests.accounts.factories import CitizenFactory
from tests.vouchers.conftest import balances, charge, pay
from vouchers.exceptions import (
    PinInvalidError,
    PinLockedError,
    PinNotSetError,
    PinRequiredError,
    RefundNotAllowedError,
)
from vouchers.services import pin_set, pin_verify, refund_check, wallet_refund

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def refund(user, key="r1"):
    return wallet_refund(user=user, idem=Idem.of(f"user:{user.pk}", key, "refund")).body


def test_refund_needs_60_percent_used(citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 59_999)  # cashback 5,999; principal 40,001 left: 59.999% used
    check = refund_check(user=citizen)
    assert (check.used, check.used_ratio_bp, check.threshold_bp) == (59_999, 5_999, 6_000)
    with pytest.raises(RefundNotAllowedError) as exc:
        refund(citizen)
    assert "60%" in exc.value.message
    assert balances(citizen) == (40_001, 5_999)
    # 2 won more: the incentive part of 2 × 5,999 / 46,000 rounds down to 0, so principal
    # pays both and 60,001 won of the 100,000 charged are used.
    pay(citizen, shop, 2)
    assert balances(citizen) == (39_999, 5_999)
    body = refund(citizen)
    assert body["principal_refunded"] == 39_999
    assert body["incentive_returned"] == 5_999
    assert balances(citizen) == (0, 0)


def test_refund_returns_only_principal_and_the_incentive_to_the_budget(citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 70_000)  # cashback 7,000
    before = sum(Account.objects.filter(kind="incentive_budget").values_list("balance", flat=True))
    body = refund(citizen)
    assert body == {
        "refund_id": body["refund_id"],
        "principal_refunded": 30_000,
        "incentive_returned": 7_000,
    }
    after = sum(Account.objects.filter(kind="incentive_budget").values_list("balance", flat=True))
    assert after - before == 7_000
    # 30,000 left the float for the citizen's bank account; the 100,000 charged is still owed
    # by the provider (its clearing account) until it pays the city out.
    assert sum(Account.objects.filter(kind="float").values_list("balance", flat=True)) == 30_000
    clearing = Account.objects.filter(kind="provider_clearing").values_list("balance", flat=True)
    assert sum(clearing) == -100_000
    assert refund(citizen) == body  # a retry with the same key


def test_small_charges_need_80_percent_used(citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 10_000)
    pay(citizen, shop, 7_999)
    assert refund_check(user=citizen).threshold_bp == 8_000
    with pytest.raises(RefundNotAllowedError):
        refund(citizen)
    pay(citizen, shop, 2)  # principal used now at least 8,000
    assert refund_check(user=citizen).allowed


def test_nothing_to_refund(citizen):
    with pytest.raises(RefundNotAllowedError):
        refund(citizen)


def test_pin_lock_out_after_five_wrong_tries(city):
    user = CitizenFactory()
    with pytest.raises(PinNotSetError):
        pin_verify(user=user, pin="123456")
    pin_set(user=user, pin="246810", password="test-pass-1234")
    with pytest.raises(PinRequiredError):
        pin_verify(user=user, pin="")
    start = dt.datetime(2021, 5, 1, 3, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for left in (4, 3, 2, 1):
            with pytest.raises(PinInvalidError) as exc:
                pin_verify(user=user, pin="000000")
            assert str(left) in exc.value.message
        with pytest.raises(PinLockedError) as exc:
            pin_verify(user=user, pin="000000")
        assert exc.value.status == 429
        with pytest.raises(PinLockedError):  # even the right PIN while locked
            pin_verify(user=user, pin="246810")
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        pin_verify(user=user, pin="246810")


def test_resetting_the_pin_needs_the_password_and_unlocks(city):
    user = CitizenFactory()
    pin_set(user=user, pin="246810", password="test-pass-1234")
    for _ in range(5):
        with pytest.raises((PinInvalidError, PinLockedError)):
            pin_verify(user=user, pin="999999")
    with pytest.raises(PinInvalidError):
        pin_set(user=user, pin="135790", password="wrong")
    pin_set(user=user, pin="135790", password="test-pass-1234")
    pin_verify(user=user, pin="135790")


@pytest.mark.parametrize("pin", ["12345", "1234567", "abcdef", "１２３４５６", None])
def test_pin_shape(city, pin):
    with pytest.raises(PinInvalidError):
        pin_set(user=CitizenFactory(), pin=pin, password="test-pass-1234")
