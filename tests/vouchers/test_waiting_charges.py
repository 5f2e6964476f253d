"""A charge left at the payment page (issue 18, item 6): the citizen finishes it or cancels it,
the nightly run closes it after an hour, both through ``charge_cancel``; a card payment made
after its charge was closed is given back, never kept."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ledger.selectors import ledger_check
from operations.nightly import nightly_run
from tests.accounts.factories import CitizenFactory
from tests.vouchers.conftest import balances, charge
from vouchers.exceptions import ChargeNotCancellableError, ChargeNotFoundError
from vouchers.models import Charge, ProviderCall
from vouchers.models_sandbox import SandboxPayment
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import (
    charge_cancel,
    charge_checkout_url,
    charge_create,
    charges_expire,
    clearing_owed,
    provider_calls_deliver_due,
    provider_reconcile,
)

pytestmark = pytest.mark.usefixtures("jeonju_policy")

T0 = dt.datetime(2026, 3, 10, 3, tzinfo=dt.UTC)  # 12:00 in Seoul


def test_the_citizen_cancels_a_waiting_charge_and_nothing_moves(citizen):
    created, _url = charge_create(user=citizen, amount=50_000)
    assert charge_checkout_url(charge=created) == f"/sandbox-pg/checkout/{created.order_id}/"
    with pytest.raises(ChargeNotFoundError):
        charge_cancel(charge=created, by=CitizenFactory())
    closed = charge_cancel(charge=created, by=citizen)
    assert (closed.status, closed.failure_reason) == ("cancelled", Charge.CLOSED_BY_CITIZEN)
    assert closed.failure_text == "결제하기 전에 취소했습니다. 빠져나간 돈은 없습니다."
    assert charge_checkout_url(charge=closed) is None  # nothing to finish any more
    assert balances(citizen) == (0, 0)
    assert not ProviderCall.objects.exists()  # nothing was paid, nothing to give back
    with pytest.raises(ChargeNotCancellableError):  # closed once
        charge_cancel(charge=closed, by=citizen)
    assert ledger_check().ok


def test_a_payment_made_after_the_charge_was_closed_is_given_back(
    citizen, django_capture_on_commit_callbacks
):
    created, _url = charge_create(user=citizen, amount=50_000)
    charge_cancel(charge=created, by=citizen)
    # The citizen had the gateway's page open in another tab and pays there anyway.
    with django_capture_on_commit_callbacks(execute=True):
        outcome = sandbox_approve(created.order_id)
    assert outcome["status"] == "given_back"
    created.refresh_from_db()
    assert created.status == "cancelled"
    assert balances(citizen) == (0, 0)  # never credited
    call = ProviderCall.objects.get(charge=created)
    assert (call.kind, call.status) == ("cancel", "done")
    assert SandboxPayment.objects.get(order_id=created.order_id).status == "cancelled"
    assert clearing_owed("sandbox") == 0
    assert ledger_check().ok


def test_charges_waiting_over_an_hour_expire_and_no_others(citizen):
    with time_machine.travel(T0):
        old, _url = charge_create(user=citizen, amount=10_000)
    with time_machine.travel(T0 + dt.timedelta(minutes=20)):
        paid = charge(citizen, 20_000)
    with time_machine.travel(T0 + dt.timedelta(minutes=30)):
        recent, _url = charge_create(user=citizen, amount=30_000)
    with time_machine.travel(T0 + dt.timedelta(minutes=61)):
        # Until the hour is up the citizen may still finish it; after, there is nothing to finish.
        assert charge_checkout_url(charge=old) is None
        assert charge_checkout_url(charge=recent) is not None
        with pytest.raises(ChargeNotCancellableError):  # the expiry keeps to its hour
            charge_cancel(charge=recent, by=None)
        with pytest.raises(ChargeNotCancellableError):  # and never touches a paid charge
            charge_cancel(charge=paid, by=None)
        assert charges_expire() == 1
        assert charges_expire() == 0  # re-runnable
    old.refresh_from_db()
    recent.refresh_from_db()
    paid.refresh_from_db()
    assert (old.status, old.failure_reason) == ("cancelled", Charge.CLOSED_EXPIRED)
    assert "한 시간" in old.failure_text
    assert (recent.status, paid.status) == ("created", "paid")
    assert balances(citizen) == (20_000, 0)
    assert ledger_check().ok


def test_the_nightly_run_closes_abandoned_charges_after_applying_the_providers_records(citizen):
    with time_machine.travel(T0):
        abandoned, _url = charge_create(user=citizen, amount=10_000)
        approved, _url = charge_create(user=citizen, amount=20_000)
        # The provider took this one, and its callback never arrived.
        SandboxPayment.objects.filter(order_id=approved.order_id).update(
            status="approved", payment_key="pay_lost", approved_at=timezone.now()
        )
    with time_machine.travel(T0 + dt.timedelta(days=1)):
        summary = nightly_run(business_date=T0.date(), steps=["reconcile"])
    (reconcile,) = [job for job in summary.jobs if job.step == "reconcile"]
    assert reconcile.counts["charges_expired"] == 1
    abandoned.refresh_from_db()
    approved.refresh_from_db()
    assert (abandoned.status, abandoned.failure_reason) == ("cancelled", Charge.CLOSED_EXPIRED)
    assert approved.status == "paid"  # credited first, so not expired
    assert balances(citizen) == (20_000, 0)


def test_reconciliation_gives_back_a_payment_approved_after_the_charge_expired(citizen):
    with time_machine.travel(T0):
        created, _url = charge_create(user=citizen, amount=40_000)
    with time_machine.travel(T0 + dt.timedelta(hours=2)):
        assert charges_expire() == 1
        # The gateway approved it anyway (late), and no callback said so.
        SandboxPayment.objects.filter(order_id=created.order_id).update(
            status="approved", payment_key="pay_late", approved_at=timezone.now()
        )
        report = provider_reconcile(provider_name="sandbox", business_date=T0.date())
        assert report.applied == [f"{created.order_id}: given_back"]
        assert report.differences == []
        # The provider holds 40,000 won that is on its way back to the card.
        assert (report.provider_owes, report.pending_cancels, report.clearing_owes) == (
            40_000,
            40_000,
            0,
        )
        assert report.agrees
    with time_machine.travel(T0 + dt.timedelta(hours=3)):
        assert provider_calls_deliver_due()["done"] == 1
    assert SandboxPayment.objects.get(order_id=created.order_id).status == "cancelled"
    assert balances(citizen) == (0, 0)
    assert ledger_check().ok
