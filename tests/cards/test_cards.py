"""Card certificates: issue, pay with the PIN at the counter, block, replace (issue 22)."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from cards.exceptions import (
    CardBlockedError,
    CardError,
    CardNotFoundError,
    CardPinInvalidError,
    CardPinLockedError,
)
from cards.models import AssistedAction, Card, CardPayment
from cards.services import card_block, card_issue, card_pay, card_replace, luhn_digit
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account
from ledger.services import Idem
from tests.accounts.factories import CitizenFactory
from tests.cards.conftest import desk_cash_in
from tests.vouchers.conftest import balances
from vouchers.models import Payment

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def _pay(card, shop, amount, pin="123456", key=None):
    return card_pay(
        shop=shop,
        number=card.number,
        pin=pin,
        amount=amount,
        idem=Idem.of("device:test", key or f"k-{card.pk}-{amount}-{pin}", "card", amount),
    )


def test_luhn_check_digit():
    assert luhn_digit("7992739871") == "3"  # the textbook example
    card_number = "9410" + "12345678901"
    assert luhn_digit(card_number) == str(
        (10 - sum(int(d) for d in _luhn_doubled(card_number)) % 10) % 10
    )


def _luhn_doubled(digits):
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        yield d - 9 if d > 9 else d


def test_card_is_issued_with_a_luhn_number_and_a_hashed_pin(city, centre, citizen):
    desk, staff = centre
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    assert len(card.number) == 16
    assert card.number.startswith("9410")
    assert luhn_digit(card.number[:15]) == card.number[15]
    assert "123456" not in card.pin_hash
    action = AssistedAction.objects.get(kind="card_issued")
    assert (action.staff, action.citizen, action.desk) == (staff, citizen, desk)


def test_card_payment_with_the_pin_is_a_wallet_payment_with_cashback(
    city, centre, citizen, shop, budget
):
    """100,000 won in cash at the desk, then 30,000 won by card: 10% cashback (3,000 won) at
    once, like the phone; the wallet holds 70,000 principal and 3,000 incentive."""
    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 100_000)
    card = card_issue(user=citizen, by=staff, pin="654321", desk=desk)
    result = _pay(card, shop, 30_000, pin="654321")
    assert result.status_code == 201
    assert result.body["amount"] == 30_000
    assert result.body["cashback"] == 3_000
    assert balances(citizen) == (70_000, 3_000)
    payment = Payment.objects.get(pk=result.body["payment_id"])
    assert (payment.user, payment.shop, payment.amount, payment.cashback) == (
        citizen,
        shop,
        30_000,
        3_000,
    )
    assert CardPayment.objects.get(payment=payment).card == card
    payable = Account.objects.get(kind="shop_payable", owner_shop_id=shop.pk)
    assert payable.balance == 30_000
    # A retry with the same key is the same payment.
    again = _pay(card, shop, 30_000, pin="654321")
    assert again.replayed
    assert again.body["payment_id"] == payment.pk
    assert balances(citizen) == (70_000, 3_000)
    call_command("ledger_check")


def test_wrong_pins_are_counted_and_lock_the_card(city, centre, citizen, shop, budget):
    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 50_000)
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    for left in (4, 3, 2, 1):
        with pytest.raises(CardPinInvalidError) as refused:
            _pay(card, shop, 10_000, pin="000000", key=f"w{left}")
        assert f"{left}" in refused.value.message
    with pytest.raises(CardPinLockedError):
        _pay(card, shop, 10_000, pin="000000", key="w0")
    # Even the right PIN is refused while locked; nothing moved.
    with pytest.raises(CardPinLockedError):
        _pay(card, shop, 10_000, pin="123456", key="right")
    assert balances(citizen) == (50_000, 0)
    assert not Payment.objects.exists()


def test_blocked_card_refused_and_replacement_keeps_the_balance(
    city, centre, citizen, shop, budget
):
    """40,000 won in, 10,000 paid by card (1,000 cashback); the citizen blocks the lost card:
    the next payment is refused and nothing moves; the replacement card (new number, new PIN)
    sees the same 30,000 + 1,000 and pays with it."""
    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 40_000)
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    _pay(card, shop, 10_000)
    assert balances(citizen) == (30_000, 1_000)

    card_block(card=card, by=citizen, reason="lost")
    with pytest.raises(CardBlockedError):
        _pay(card, shop, 5_000, key="after-block")
    assert balances(citizen) == (30_000, 1_000)

    new = card_replace(card=card, by=staff, pin="222222", desk=desk)
    assert new.number != card.number
    assert new.replaces == card
    assert new.status == "active"
    card.refresh_from_db()
    assert card.status == "blocked"
    result = _pay(new, shop, 31_000, pin="222222")
    # 30,000 principal and 1,000 incentive spent in proportion; 3,100 cashback back.
    assert result.body["amount"] == 31_000
    assert result.body["cashback"] == 3_100
    assert balances(citizen) == (0, 3_100)
    with pytest.raises(CardError):
        card_replace(card=card, by=staff, pin="333333", desk=desk)
    call_command("ledger_check")


def test_too_small_balance_and_unknown_numbers_are_refused(city, centre, citizen, shop, budget):
    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 5_000)
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    with pytest.raises(InsufficientBalanceError):
        _pay(card, shop, 5_001)
    wrong_luhn = card.number[:15] + str((int(card.number[15]) + 1) % 10)
    with pytest.raises(CardNotFoundError):
        card_pay(
            shop=shop,
            number=wrong_luhn,
            pin="123456",
            amount=1_000,
            idem=Idem.of("device:test", "x", "x"),
        )
    assert balances(citizen) == (5_000, 0)


def test_one_active_card_per_citizen_held_by_the_database(city, centre, citizen):
    desk, staff = centre
    card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    with pytest.raises(CardError):
        card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    with pytest.raises(IntegrityError):
        Card.objects.create(number="9410000000000001", user=citizen, pin_hash="x", issued_by=staff)


def test_only_staff_issue_and_others_cannot_block_someone_elses_card(city, centre, citizen):
    desk, staff = centre
    from cards.exceptions import DeskForbiddenError

    with pytest.raises(DeskForbiddenError):
        card_issue(user=citizen, by=CitizenFactory(), pin="123456")
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    with pytest.raises(DeskForbiddenError):
        card_block(card=card, by=CitizenFactory())
    card.refresh_from_db()
    assert card.status == "active"


def test_counter_api_takes_a_card_and_pin(device_api, centre, citizen, shop, budget):
    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 20_000)
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)

    def post(payload, key):
        return device_api.post(
            "/api/v1/counter/payments", payload, format="json", headers={"Idempotency-Key": key}
        )

    wrong = post({"card": card.number, "pin": "999999", "amount": 12_000}, "a1")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "card_pin_invalid"
    ok = post({"card": card.number, "pin": "123456", "amount": 12_000}, "a2")
    assert ok.status_code == 201, ok.json()
    body = ok.json()
    assert (body["amount"], body["cashback"]) == (12_000, 1_200)
    assert set(body) >= {"payment_id", "amount", "cashback", "wallet_balance", "business_date"}
    poor = post({"card": card.number, "pin": "123456", "amount": 50_000}, "a3")
    assert poor.status_code == 400
    assert poor.json()["error"]["code"] == "insufficient_balance"
    card_block(card=card, by=staff)
    blocked = post({"card": card.number, "pin": "123456", "amount": 1_000}, "a4")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "card_blocked"
    neither = post({"amount": 1_000}, "a5")
    assert neither.status_code == 400
    assert balances(citizen) == (8_000, 1_200)


def test_card_payment_and_desk_charge_show_in_the_wallet_history(
    city, centre, citizen, shop, budget
):
    from vouchers.selectors import wallet_history

    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 10_000)
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    _pay(card, shop, 4_000)
    lines = [(m.kind, m.account_kind, m.amount) for m in wallet_history(user=citizen)]
    assert ("charge", "wallet_principal", 10_000) in lines
    assert ("payment", "wallet_principal", -4_000) in lines
    assert ("cashback", "wallet_incentive", 400) in lines


def test_a_device_guessing_card_numbers_or_pins_is_stopped(city, centre, citizen, shop, budget):
    from accounts.exceptions import TooManyAttemptsError

    budget(1_000_000)
    _desk, staff = centre
    cards = [card_issue(user=CitizenFactory(), by=staff, pin="123456") for _ in range(5)]
    tries = 0
    for card in cards:  # 4 wrong PINs on each of 5 cards: no card is locked, the device is
        for i in range(4):
            with pytest.raises(CardPinInvalidError):
                _pay(card, shop, 1_000, pin=f"00000{i}", key=f"g{card.pk}{i}")
            tries += 1
    assert tries == 20
    with pytest.raises(TooManyAttemptsError):
        _pay(cards[0], shop, 1_000, pin="123456", key="right")
    assert not Payment.objects.exists()
