"""The card money outside the ledger: the outbox that sends cancels to the provider only after
commit and retries until it confirms, the refund of a refund, and the nightly reconciliation of
the provider's books with its clearing accounts, to the won."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ledger.models import Account
from ledger.selectors import ledger_check
from ledger.services import Idem
from tests.vouchers.conftest import balances, charge, pay
from vouchers.models import Charge, ProviderCall, ProviderDiscrepancy, ProviderPayout
from vouchers.models_sandbox import SandboxPayment
from vouchers.providers import ProviderError, SandboxProvider
from vouchers.services import (
    charge_cancel,
    clearing_owed,
    provider_call_deliver,
    provider_calls_deliver_due,
    provider_reconcile,
    refund_check,
    refund_reverse,
    wallet_refund,
)

pytestmark = pytest.mark.usefixtures("jeonju_policy")

DAY = dt.datetime(2026, 3, 10, 3, tzinfo=dt.UTC)  # 12:00 in Seoul


def float_balance():
    return sum(Account.objects.filter(kind="float").values_list("balance", flat=True))


def test_a_refund_reversed_by_staff_puts_the_money_back_and_its_charges_count_again(
    citizen, shop, staff, budget
):
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 70_000)  # cashback 7,000
    body = wallet_refund(user=citizen, idem=Idem.of(f"user:{citizen.pk}", "r", "refund")).body
    assert (body["principal_refunded"], body["incentive_returned"]) == (30_000, 7_000)
    assert refund_check(user=citizen).charged_base == 0
    from vouchers.models import Refund

    refund = Refund.objects.get(pk=body["refund_id"])
    refund_reverse(refund=refund, by=staff, reason="the bank transfer came back")
    assert balances(citizen) == (30_000, 7_000)
    assert refund_check(user=citizen).charged_base == 100_000
    assert float_balance() == 0
    from vouchers.exceptions import WalletError

    with pytest.raises(WalletError):
        refund_reverse(refund=refund, by=staff, reason="again")
    with pytest.raises(WalletError):
        refund_reverse(refund=refund, by=citizen, reason="me")
    assert ledger_check().ok


def test_a_cancel_the_provider_did_not_take_is_retried_and_sent_once(
    citizen, monkeypatch, django_capture_on_commit_callbacks
):
    created = charge(citizen, 50_000)
    sent = []
    real = SandboxProvider.cancel_payment

    def flaky(self, **kwargs):
        sent.append(kwargs["idempotency_key"])
        if len(sent) == 1:
            raise ProviderError("timeout")
        return real(self, **kwargs)

    monkeypatch.setattr(SandboxProvider, "cancel_payment", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        charge_cancel(charge=created, by=citizen)
    call = ProviderCall.objects.get(charge=created)
    assert (call.status, call.attempts, call.last_error) == ("pending", 1, "timeout")
    assert SandboxPayment.objects.get(order_id=created.order_id).status == "approved"
    assert provider_calls_deliver_due() == {"done": 0, "retry": 0, "skipped": 0}  # not due yet
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        assert provider_calls_deliver_due() == {"done": 1, "retry": 0, "skipped": 0}
        assert provider_call_deliver(call_id=call.pk) == "skipped"  # done: never sent again
    call.refresh_from_db()
    assert (call.status, call.attempts) == ("done", 2)
    assert sent == [f"call-{call.pk}", f"call-{call.pk}"]  # the same key both times
    assert SandboxPayment.objects.get(order_id=created.order_id).status == "cancelled"
    assert clearing_owed("sandbox") == 0


def test_reconciliation_records_payouts_and_agrees_to_the_won(citizen, shop, budget):
    budget(1_000_000)
    with time_machine.travel(DAY):
        a = charge(citizen, 100_000)
        b = charge(citizen, 30_000)
        charge_cancel(charge=b, by=citizen)
        provider_calls_deliver_due()  # the test's transaction never commits: send by hand
        pay(citizen, shop, 20_000)
    assert clearing_owed("sandbox") == 100_000
    with time_machine.travel(DAY + dt.timedelta(days=1)):
        report = provider_reconcile(provider_name="sandbox", business_date=DAY.date())
    # The sandbox paid the city for March 10: 130,000 approved less 30,000 given back.
    payout = ProviderPayout.objects.get(provider="sandbox")
    assert (payout.payout_date, payout.amount) == (DAY.date(), 100_000)
    assert report.agrees, report.differences
    assert (report.provider_owes, report.clearing_owes, report.pending_cancels) == (0, 0, 0)
    assert float_balance() == -100_000  # the card money now in the city's float account
    assert a.status == "paid"
    # Run again: nothing new is posted.
    with time_machine.travel(DAY + dt.timedelta(days=1)):
        again = provider_reconcile(provider_name="sandbox", business_date=DAY.date())
    assert again.payouts_recorded == 0
    assert again.agrees
    assert ledger_check().ok


def test_reconciliation_applies_what_the_provider_did_and_flags_what_it_cannot(citizen):
    with time_machine.travel(DAY):
        refunded = charge(citizen, 40_000)
        approved_only = charge_create_and_approve_at_provider_only(citizen, 20_000)
        # A refund from the provider's console that no event announced.
        SandboxPayment.objects.filter(order_id=refunded.order_id).update(
            status="cancelled", cancelled_at=timezone.now()
        )
        # A payment the provider took for an order it made up.
        SandboxPayment.objects.create(
            order_id="ord_made_up",
            amount=7_000,
            status="approved",
            payment_key="pay_x",
            approved_at=timezone.now(),
        )
        report = provider_reconcile(provider_name="sandbox", business_date=DAY.date())
    refunded.refresh_from_db()
    approved_only.refresh_from_db()
    assert refunded.status == "cancelled"  # reversed: the wallet still held it
    assert approved_only.status == "paid"  # credited through the callback's own checks
    assert balances(citizen) == (20_000, 0)
    kinds = {(d["order_id"], d["kind"]) for d in report.differences}
    assert ("ord_made_up", "unknown_order") in kinds
    assert ProviderDiscrepancy.objects.filter(order_id="ord_made_up").exists()
    # The provider says it is owed 27,000 (20,000 + the made-up 7,000); the ledger 20,000.
    assert (report.provider_owes, report.clearing_owes) == (27_000, 20_000)
    assert not report.agrees
    assert ledger_check().ok


def charge_create_and_approve_at_provider_only(user, amount) -> Charge:
    """The provider approves, and its callback never arrives."""
    from vouchers.services import charge_create

    created, _url = charge_create(user=user, amount=amount)
    SandboxPayment.objects.filter(order_id=created.order_id).update(
        status="approved", payment_key="pay_lost", approved_at=timezone.now()
    )
    return created
