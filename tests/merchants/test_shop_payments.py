"""Shop-to-shop payments from the unsettled balance, the city's rules, and settlement paying only
what was not spent onward. Exact won throughout; a race on real threads at the end."""

import datetime as dt

import pytest
import time_machine

from ledger.exceptions import IdempotencyConflictError
from ledger.models import Entry
from ledger.selectors import ledger_check
from ledger.services import Idem
from merchants.exceptions import (
    ShopPaymentBalanceError,
    ShopPaymentLimitError,
    ShopPaymentPayeeError,
    ShopPermissionError,
    ShopSettlementHeldError,
)
from merchants.models import ShopEvent, ShopPayment, Statement
from merchants.settlement import settlement_run
from merchants.shop_payments import (
    shop_payment_pay,
    shop_payment_policy_set,
    shop_settlement_hold,
)
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.dashboard.scenario import at, paid_out, payable
from tests.helpers import race
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.services import policy_set

D = dt.date(2026, 3, 10)
NEXT = D + dt.timedelta(days=1)


def _rules():
    """No cashback: the payables are exactly what citizens paid."""
    policy_set(
        by=None,
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=0,
        monthly_charge_limit=1_000_000,
        monthly_cashback_cap=0,
    )


@pytest.fixture
def world(city):
    _rules()
    citizen = CitizenFactory()
    bakery = ShopFactory(category="bakery", name="빵집")
    mill = ShopFactory(category="grocery", name="방앗간")
    with time_machine.travel(at(D, 9)):
        charge(citizen, 500_000)
        pay(citizen, bakery, 120_000)
        pay(citizen, mill, 10_000)
    return citizen, bakery, mill


def _pay(payer, payee, amount, key="k1", by=None):
    by = by or payer.owner
    return shop_payment_pay(
        payer=payer,
        payee_code=payee.public_code,
        amount=amount,
        by=by,
        idem=Idem.of(f"shop:{payer.pk}", key, payee.public_code, amount),
    )


def test_a_shop_pays_another_from_its_unsettled_sales_and_settlement_pays_the_rest(world):
    _citizen, bakery, mill = world
    with time_machine.travel(at(D, 15)):
        result = _pay(bakery, mill, 70_000)
    assert result.status_code == 201
    assert not result.replayed
    assert result.body["unsettled_left"] == 50_000
    assert (payable(bakery), payable(mill)) == (50_000, 80_000)
    payment = ShopPayment.objects.get()
    assert (payment.payer, payment.payee, payment.amount, payment.business_date) == (
        bakery,
        mill,
        70_000,
        D,
    )
    assert Entry.objects.get(pk=payment.entry_id).kind == "shop_payment"

    with time_machine.travel(at(NEXT, 2)):
        report = settlement_run(business_date=D)
    sb = Statement.objects.get(shop=bakery, business_date=D)
    # Sold 120,000, paid the mill 70,000 onward: 50,000 leaves for the bank.
    assert (sb.gross, sb.cancellations, sb.net, sb.spent_onward) == (120_000, 0, 120_000, 70_000)
    assert (sb.carried_in, sb.payout_amount, sb.carried_out) == (0, 50_000, 0)
    sm = Statement.objects.get(shop=mill, business_date=D)
    # Its own sale of 10,000 and the bakery's 70,000.
    assert (sm.gross, sm.spent_onward, sm.payout_amount) == (80_000, 0, 80_000)
    assert report.paid == 130_000  # what citizens paid in: no won paid out twice
    assert (paid_out(bakery), paid_out(mill)) == (50_000, 80_000)
    assert (payable(bakery), payable(mill)) == (0, 0)
    assert ledger_check().ok


def test_a_retry_replays_and_a_changed_retry_is_refused(world):
    _citizen, bakery, mill = world
    first = _pay(bakery, mill, 30_000)
    again = _pay(bakery, mill, 30_000)
    assert again.replayed
    assert again.body == first.body
    assert ShopPayment.objects.count() == 1
    assert payable(bakery) == 90_000
    with pytest.raises(IdempotencyConflictError):
        _pay(bakery, mill, 31_000)
    assert payable(bakery) == 90_000


def test_the_unsettled_balance_and_the_city_limits_bound_a_payment(world):
    _citizen, bakery, mill = world
    with pytest.raises(ShopPaymentBalanceError) as err:
        _pay(bakery, mill, 120_001)
    assert err.value.extra["available"] == 120_000
    shop_payment_policy_set(
        by=StaffFactory(),
        enabled=True,
        payee_categories=["grocery", "bakery"],
        per_payment_limit=50_000,
        daily_limit=80_000,
    )
    with pytest.raises(ShopPaymentLimitError):
        _pay(bakery, mill, 50_001)
    _pay(bakery, mill, 50_000, key="a")
    with pytest.raises(ShopPaymentLimitError) as err:
        _pay(bakery, mill, 30_001, key="b")
    assert "30,000" in err.value.message  # what is left today
    _pay(bakery, mill, 30_000, key="c")
    assert (payable(bakery), payable(mill)) == (40_000, 90_000)
    assert ledger_check().ok


def test_payees_outside_the_allowed_categories_self_and_unknown_codes_are_refused(world):
    _citizen, bakery, mill = world
    shop_payment_policy_set(
        by=StaffFactory(),
        enabled=True,
        payee_categories=["bakery"],
        per_payment_limit=100_000,
        daily_limit=100_000,
    )
    with pytest.raises(ShopPaymentPayeeError):
        _pay(bakery, mill, 1_000)  # a grocery may not receive here
    with pytest.raises(ShopPaymentPayeeError):
        _pay(bakery, bakery, 1_000)
    with pytest.raises(ShopPaymentPayeeError):
        shop_payment_pay(
            payer=bakery,
            payee_code="no-such-code",
            amount=1_000,
            by=bakery.owner,
            idem=Idem.of("s", "x", 1),
        )
    with pytest.raises(ShopPermissionError):
        _pay(bakery, mill, 1_000, by=CitizenFactory())
    assert ShopPayment.objects.count() == 0
    assert payable(bakery) == 120_000


def test_a_held_shop_is_not_settled_nor_pays_and_is_paid_whole_after_release(world):
    _citizen, bakery, mill = world
    staff = StaffFactory()
    shop_settlement_hold(shop=bakery, by=staff, held=True, reason="깡 의심 검토")
    with pytest.raises(ShopSettlementHeldError):
        _pay(bakery, mill, 1_000)
    with time_machine.travel(at(NEXT, 2)):
        settlement_run(business_date=D)
    assert not Statement.objects.filter(shop=bakery).exists()
    assert (payable(bakery), paid_out(bakery)) == (120_000, 0)
    assert Statement.objects.get(shop=mill).payout_amount == 10_000

    shop_settlement_hold(shop=bakery, by=staff, held=False, reason="문제 없음")
    with time_machine.travel(at(NEXT + dt.timedelta(days=1), 2)):
        settlement_run(business_date=NEXT)
    s = Statement.objects.get(shop=bakery)
    assert (s.business_date, s.gross, s.carried_in, s.payout_amount) == (NEXT, 0, 120_000, 120_000)
    assert paid_out(bakery) == 120_000
    actions = list(ShopEvent.objects.filter(shop=bakery).values_list("action", flat=True))
    assert {"settlement_hold", "settlement_release"} <= set(actions)
    assert ledger_check().ok


@pytest.mark.slow
def test_racing_payments_never_spend_more_than_the_unsettled_balance(live_city):
    _rules()
    citizen = CitizenFactory()
    payer = ShopFactory(category="bakery")
    payees = [ShopFactory(category="grocery") for _ in range(4)]
    charge(citizen, 100_000)
    pay(citizen, payer, 100_000)

    # Eight payments of 30,000 from 100,000: exactly three can be made.
    def attempt(i):
        return _pay(payer, payees[i % 4], 30_000, key=f"race-{i}")

    results = race(live_city, 8, attempt)
    made = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ShopPaymentBalanceError)]
    assert (len(made), len(refused)) == (3, 5), results
    assert payable(payer) == 10_000
    assert sum(payable(p) for p in payees) == 90_000
    assert ShopPayment.objects.count() == 3
    assert ledger_check().ok


def test_the_owner_pays_from_the_page_and_a_double_submit_pays_once(world, client_for):
    _citizen, bakery, mill = world
    client = client_for(bakery.owner)
    page = client.get(f"/shops/{bakery.pk}/pay/?to={mill.public_code}").content.decode()
    assert "120,000원" in page
    assert mill.public_code in page
    form = {"payee_code": mill.public_code, "amount": "20000", "idempotency_key": "page-1"}
    for _ in range(2):
        response = client.post(f"/shops/{bakery.pk}/pay/", form)
        assert response.status_code == 302
    assert payable(bakery) == 100_000
    assert ShopPayment.objects.count() == 1
    refused = client.post(
        f"/shops/{bakery.pk}/pay/", {**form, "amount": "999999", "idempotency_key": "page-2"}
    )
    assert refused.status_code == 200
    assert 'role="alert"' in refused.content.decode()
    assert payable(bakery) == 100_000
