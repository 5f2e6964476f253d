"""The assisted desks: an account by phone, charges with cash or transfer, the day's close."""

import datetime as dt

import pytest
from django.core.management import call_command

from accounts.models import ConsentRecord
from cards.exceptions import DeskError, DeskForbiddenError
from cards.models import AssistedAction, DeskCharge, DeskClose
from cards.selectors import desk_cash_expected
from cards.services import (
    batch_create,
    card_issue,
    desk_account_create,
    desk_charge,
    desk_close,
    notes_sell,
)
from ledger.models import Account
from ledger.services import Idem
from tests.cards.conftest import desk_cash_in
from tests.cards.factories import CommunityStaffFactory
from tests.vouchers.conftest import balances
from vouchers.exceptions import ChargeLimitError
from vouchers.services import policy_set


@pytest.fixture
def incentive_policy(staff):
    return policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=500,
        cashback_bp=1000,
        monthly_charge_limit=500_000,
        monthly_cashback_cap=50_000,
    )


def test_community_staff_create_an_account_by_phone(city, centre):
    desk, staff = centre
    user = desk_account_create(desk=desk, staff=staff, phone="010-4321-8765", name="김할매")
    assert (user.phone, user.email, user.has_usable_password()) == ("01043218765", None, False)
    assert user.created_by == staff
    assert ConsentRecord.objects.filter(user=user, recorded_by=staff).exists()
    action = AssistedAction.objects.get(kind="account_created")
    assert (action.staff, action.citizen, action.desk) == (staff, user, desk)
    with pytest.raises(DeskForbiddenError):
        desk_account_create(
            desk=desk, staff=CommunityStaffFactory(), phone="010-4321-0000", name="x"
        )


def test_cash_charge_on_a_card_with_the_wallets_incentive_and_limit(
    city, centre, citizen, budget, incentive_policy
):
    """100,000 won cash on the card: 5% charging incentive (5,000 won) from the budget, like a
    charge on the phone; the month's 500,000 limit holds (400,000 more passes, 1,000 more not)."""
    budget(1_000_000)
    desk, staff = centre
    card = card_issue(user=citizen, by=staff, pin="123456", desk=desk)
    body = desk_cash_in(desk, staff, citizen, 100_000, card=card)
    assert (body["amount"], body["incentive"], body["wallet_balance"]) == (100_000, 5_000, 105_000)
    assert balances(citizen) == (100_000, 5_000)
    charge = DeskCharge.objects.get(pk=body["charge_id"])
    assert (charge.staff, charge.card, charge.method) == (staff, card, "cash")
    assert body["receipt"] == charge.receipt_number
    desk_cash_in(desk, staff, citizen, 400_000, method="transfer")
    with pytest.raises(ChargeLimitError):
        desk_cash_in(desk, staff, citizen, 1_000)
    assert balances(citizen) == (500_000, 25_000)
    assert desk_cash_expected(desk=desk) == 100_000  # the transfer never passed the drawer
    with pytest.raises(DeskError):
        desk_cash_in(desk, staff, citizen, 1_500)
    call_command("ledger_check")


def test_a_tellers_desk_balances_at_the_end_of_the_day(
    city, branch, citizen, budget, incentive_policy, staff
):
    """A bank desk takes 30,000 + 20,000 won cash charges and sells 50,000 won of notes for
    47,500 won (5% discount): 97,500 won in the drawer. The teller counts 97,500: the desk
    balances, the cash goes to the city's account (the float) and the desk account is back to
    0. A second close the same day is refused."""
    budget(1_000_000)
    desk, teller = branch
    batch_create(by=staff, face_value=50_000, count=1, expires_on=dt.date(2031, 1, 1))
    desk_cash_in(desk, teller, citizen, 30_000)
    desk_cash_in(desk, teller, citizen, 20_000)
    sale = notes_sell(
        desk=desk, teller=teller, buyer=citizen, counts={50_000: 1}, idem=Idem.of("t", "n", 1)
    ).body
    assert sale["price"] == 47_500
    assert desk_cash_expected(desk=desk) == 97_500
    float_before = sum(Account.objects.filter(kind="float").values_list("balance", flat=True))
    close = desk_close(desk=desk, staff=teller, counted=97_500)
    assert (close.expected, close.counted, close.difference) == (97_500, 97_500, 0)
    assert desk_cash_expected(desk=desk) == 0
    float_after = sum(Account.objects.filter(kind="float").values_list("balance", flat=True))
    assert float_after - float_before == -97_500
    with pytest.raises(DeskError):
        desk_close(desk=desk, staff=teller, counted=0)
    assert DeskClose.objects.get().closed_by == teller
    call_command("ledger_check")


def test_a_short_drawer_is_kept_as_a_difference(city, centre, citizen, budget, incentive_policy):
    budget(1_000_000)
    desk, staff = centre
    desk_cash_in(desk, staff, citizen, 10_000)
    close = desk_close(desk=desk, staff=staff, counted=9_000)
    assert (close.expected, close.difference) == (10_000, -1_000)


def test_only_the_desks_staff_charge_and_only_citizens(city, centre, citizen, incentive_policy):
    desk, staff = centre
    with pytest.raises(DeskForbiddenError):
        desk_charge(
            desk=desk,
            staff=CommunityStaffFactory(),
            user=citizen,
            amount=10_000,
            method="cash",
            idem=Idem.of("x", "y", 1),
        )
    with pytest.raises(DeskError):
        desk_cash_in(desk, staff, staff, 10_000)
    assert not DeskCharge.objects.exists()
