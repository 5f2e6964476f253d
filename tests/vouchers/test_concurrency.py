"""Races on real PostgreSQL connections: limits and the budget under concurrency."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction

from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account
from ledger.selectors import ledger_check
from ledger.services import Idem
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.helpers import race
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import balances, charge, jeonju_rules_and_budget, pay
from vouchers.models import Charge, MonthlyUsage, Payment
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import budget_fund, charge_create, policy_set, wallet_pay

pytestmark = pytest.mark.slow


def _policy(**overrides):
    values = {
        "effective_from": dt.date(2020, 1, 1),
        "charge_incentive_bp": 0,
        "cashback_bp": 1000,
        "monthly_charge_limit": 500_000,
        "monthly_cashback_cap": 50_000,
    }
    values.update(overrides)
    return policy_set(by=StaffFactory(), **values)


def _budget(amount):
    budget_fund(
        by=None,
        name="race",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2030, 1, 1),
        amount=amount,
        idempotency_key=f"race-{amount}",
    )


def budget_left():
    return sum(Account.objects.filter(kind="incentive_budget").values_list("balance", flat=True))


def test_concurrent_charges_never_pass_the_monthly_limit(live_city):
    _policy()
    citizen = CitizenFactory()
    orders = [charge_create(user=citizen, amount=100_000)[0].order_id for _ in range(5)]
    orders += [charge_create(user=citizen, amount=100_000)[0].order_id for _ in range(7)]
    # Twelve charges of 100,000 were registered (each fit on its own); the provider confirms
    # them all at once.
    results = race(live_city, len(orders), lambda i: sandbox_approve(orders[i]))
    assert not [r for r in results if isinstance(r, BaseException)], results
    statuses = sorted(r["status"] for r in results)
    assert statuses.count("credited") == 5
    assert statuses.count("over_limit") == 7
    assert MonthlyUsage.objects.get(user=citizen).charged == 500_000
    assert Account.objects.get(kind="wallet_principal", owner_user=citizen).balance == 500_000
    assert Charge.objects.filter(user=citizen, status="paid").count() == 5
    assert ledger_check().ok


def test_200_concurrent_cashback_grants_against_a_third_of_the_budget_overspend_nothing(live_city):
    _policy(cashback_bp=1000)
    citizens = [CitizenFactory() for _ in range(200)]
    shops = [ShopFactory() for _ in range(8)]
    for citizen in citizens:
        order = charge_create(user=citizen, amount=10_000)[0].order_id
        assert sandbox_approve(order)["status"] == "credited"
    # Each payment of 10,000 wants 1,000 cashback: 200,000 in all against a 66,666 budget.
    _budget(66_666)

    def pay(i):
        return wallet_pay(
            user=citizens[i],
            shop=shops[i % len(shops)],
            amount=10_000,
            method="shop_qr",
            idem=Idem.of(f"user:{citizens[i].pk}", "race", "pay"),
        ).body["cashback"]

    results = race(live_city, 200, pay)  # 200 grants, 64 at a time on 64 connections
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    granted = sum(results)
    # Never a won more than the budget; what a grant could not reach while another payment
    # held a shard stays in the budget for the next payments.
    assert granted + budget_left() == 66_666
    assert granted >= 60_000
    assert all(
        b >= 0
        for b in Account.objects.filter(kind="incentive_budget").values_list("balance", flat=True)
    )
    from vouchers.models import Payment

    assert sum(Payment.objects.values_list("cashback", flat=True)) == granted
    assert ledger_check().ok


def test_concurrent_payments_from_one_wallet_never_overdraw_it(live_city):
    _policy()
    citizen = CitizenFactory()
    assert (
        sandbox_approve(charge_create(user=citizen, amount=100_000)[0].order_id)["status"]
        == "credited"
    )
    shop = ShopFactory()
    from ledger.exceptions import InsufficientBalanceError

    def pay(i):
        try:
            return wallet_pay(
                user=citizen,
                shop=shop,
                amount=30_000,
                method="shop_qr",
                idem=Idem.of(f"user:{citizen.pk}", f"k{i}", "pay"),
            ).body["amount"]
        except InsufficientBalanceError:
            return 0

    results = race(live_city, 10, pay)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 90_000
    assert Account.objects.get(kind="wallet_principal", owner_user=citizen).balance == 10_000
    assert ledger_check().ok


def test_a_payment_outside_a_transaction_is_one_statement_and_commits(live_city):
    """Outside any transaction the payment runs as one statement in autocommit: no BEGIN or
    COMMIT round trips, and it is committed (seen from another connection) when the call
    returns; a refused one leaves nothing behind."""
    import threading

    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    jeonju_rules_and_budget()
    citizen, shop = CitizenFactory(), ShopFactory()
    charge(citizen, 50_000)
    pay(citizen, shop, 10_000, key="first")  # creates the shop's account on the way
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as captured:
        pay(citizen, shop, 10_000, key="autocommit")
    sent = [q["sql"].split("(")[0] for q in captured.captured_queries]
    assert sent.count("SELECT wallet_pay") == 1, sent
    assert not {"BEGIN", "COMMIT"} & set(sent), sent

    seen = {}

    def other_connection():
        try:
            connections["default"].set_tenant(live_city)
            seen["payments"] = Payment.objects.filter(user=citizen).count()
        finally:
            connections["default"].close()

    thread = threading.Thread(target=other_connection)
    thread.start()
    thread.join()
    assert seen["payments"] == 2
    with pytest.raises(InsufficientBalanceError):
        pay(citizen, shop, 40_000, key="too-much")
    # 10,000 from principal and 1,000 cashback; then 10,000 split 9,757 : 243 (floor of
    # 10,000 x 1,000 / 41,000) and 1,000 cashback.
    assert balances(citizen) == (30_243, 1_757)
    assert Payment.objects.filter(user=citizen).count() == 2
    assert ledger_check().ok


def test_one_budget_form_sent_eight_times_at_once_funds_the_budget_once(live_city):
    """A double-clicked (or retried) funding form from the staff page, the eight requests
    racing on their own connections: one entry, one budget row, the amount exactly once."""
    from django.test import Client

    from vouchers.models import IncentiveBudget

    staff = StaffFactory()
    signed_in = Client(HTTP_HOST=live_city.host)
    signed_in.force_login(staff)
    connection.set_tenant(live_city)
    form = {
        "name": "동시 편성",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "amount": "2,500,000",
        "idempotency_key": "double-click",
    }

    def submit(_i):
        client = Client(HTTP_HOST=live_city.host)
        client.cookies = signed_in.cookies
        return client.post("/wallet/policy/budgets/", form).status_code

    results = race(live_city, 8, submit)
    connection.set_tenant(live_city)
    assert results == [302] * 8, results
    assert budget_left() == 2_500_000
    assert IncentiveBudget.objects.filter(name="동시 편성").count() == 1
    assert ledger_check().ok


def test_cancelling_a_charge_while_the_counter_spends_it_moves_the_card_only_with_the_ledger(
    live_city,
):
    """The cancel and a payment race for the same 10,000 won, twenty times. Whichever wins, the
    card money at the provider agrees with the ledger: cancelled at the provider exactly when the
    charge was cancelled in the ledger (issue 16, case 1: the card used to be refunded first and
    the ledger refused after)."""
    from vouchers.models_sandbox import SandboxPayment
    from vouchers.services import charge_cancel

    _policy()
    _budget(1_000_000)
    shop = ShopFactory()
    outcomes = []
    for round_ in range(20):
        citizen = CitizenFactory()
        created = charge(citizen, 10_000)

        def act(i, citizen=citizen, created=created, round_=round_):
            if i == 0:
                return charge_cancel(charge=created, by=citizen).status
            return wallet_pay(
                user=citizen,
                shop=shop,
                amount=10_000,
                method="shop_qr",
                idem=Idem.of(f"user:{citizen.pk}", f"race-{round_}", "t"),
            ).status_code

        cancelled, paid = race(live_city, 2, act)
        created.refresh_from_db()
        at_provider = SandboxPayment.objects.get(order_id=created.order_id).status
        if created.status == "cancelled":
            assert cancelled == "cancelled", (cancelled, paid)
            assert isinstance(paid, InsufficientBalanceError), paid
            assert at_provider == "cancelled"
            assert balances(citizen) == (0, 0)
        else:
            assert created.status == "paid"
            assert paid == 201, paid
            assert at_provider == "approved", (cancelled, paid)
            assert balances(citizen) == (0, 1_000)  # 10% cashback on the 10,000 paid
        outcomes.append(created.status)


def test_a_payment_caught_in_a_deadlock_is_tried_again_and_paid_once(live_city):
    jeonju_rules_and_budget()
    citizen, shop = CitizenFactory(), ShopFactory()
    charge(citizen, 50_000)
    pay(citizen, shop, 1_000)  # the usage row and the accounts exist from here on
    principal = Account.objects.get(kind="wallet_principal", owner_user=citizen)
    usage = MonthlyUsage.objects.get(user=citizen)
    holding, held = threading.Event(), []

    def other_transaction():
        # Locks the wallet's account, lets the payment (which locks its usage row first) block
        # on that account, then asks for the usage row: a deadlock. Each waiting backend looks
        # for a deadlock once, deadlock_timeout (1 s) after it began to wait; the payment began
        # first but less than a second before the cycle closed, so its look finds it and it is
        # cancelled. It must then be sent again (with_retries), not reach the caller as an error.
        connection.set_tenant(live_city)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM ledger_account WHERE id = %s FOR UPDATE", [principal.pk]
                )
                holding.set()
                time.sleep(0.8)
                cursor.execute(
                    "SELECT 1 FROM vouchers_monthlyusage WHERE id = %s FOR UPDATE", [usage.pk]
                )
            held.append(True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_transaction)
    thread.start()
    holding.wait(10)
    body = pay(citizen, shop, 2_000)
    thread.join(30)
    assert held == [True]  # the other transaction was not the one cancelled
    assert body["amount"] == 2_000
    assert Payment.objects.filter(user=citizen).count() == 2
    assert ledger_check().ok
