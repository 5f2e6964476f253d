"""Money that crosses programmes: a refund and a cancellation of the same charge, a refund rule
that counts only wallet charges, and the card money at the provider, which moves only after the
ledger side has committed (issue 16, cases 1, 3 and 8)."""

import json
import time

import pytest
from django.utils import timezone

from campaigns.services import pledge_with_card
from ledger.selectors import ledger_check
from ledger.services import Idem
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.vouchers.conftest import balances, charge, pay
from vouchers.exceptions import ChargeNotCancellableError, RefundNotAllowedError
from vouchers.models import Charge
from vouchers.models_sandbox import SandboxPayment
from vouchers.providers import sign
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_callback_handle, charge_cancel, refund_check, wallet_refund

pytestmark = pytest.mark.usefixtures("jeonju_policy")


def refund(user, key="r1"):
    return wallet_refund(user=user, idem=Idem.of(f"user:{user.pk}", key, "refund")).body


def at_provider(created: Charge) -> str:
    return SandboxPayment.objects.get(order_id=created.order_id).status


def test_a_charge_refunded_with_the_balance_cannot_be_cancelled_and_the_card_is_not_refunded(
    citizen, shop, budget
):
    budget(1_000_000)
    a = charge(citizen, 50_000)
    pay(citizen, shop, 40_000)  # all from principal (no incentive yet); cashback 4,000
    b = charge(citizen, 10_000)
    assert balances(citizen) == (20_000, 4_000)
    # 40,000 of the 60,000 charged are used (66%): the refund pays back the 20,000 of principal,
    # B's 10,000 among them, and returns the 4,000 of incentive to the budget.
    body = refund(citizen)
    assert (body["principal_refunded"], body["incentive_returned"]) == (20_000, 4_000)
    with pytest.raises(ChargeNotCancellableError) as exc:
        charge_cancel(charge=b, by=citizen)
    assert exc.value.code == "charge_not_cancellable"
    # The card of B was not refunded as well: B's 10,000 went back once, with the refund.
    assert at_provider(b) == "approved"
    assert at_provider(a) == "approved"
    b.refresh_from_db()
    assert b.status == "paid"
    assert balances(citizen) == (0, 0)
    assert ledger_check().ok


def test_a_refund_covers_the_charges_it_paid_back_and_never_counts_them_again(
    citizen, shop, budget
):
    budget(1_000_000)
    charge(citizen, 100_000)
    pay(citizen, shop, 70_000)
    refund(citizen, key="first")  # 30,000 back; the 100,000 charge is now refunded
    assert refund_check(user=citizen).charged_base == 0
    cancelled = charge(citizen, 50_000)
    charge_cancel(charge=cancelled, by=citizen)  # cancelled: never counted either
    assert refund_check(user=citizen).charged_base == 0
    charge(citizen, 10_000)
    pay(citizen, shop, 7_000)  # all principal (no incentive yet): 3,000 left, cashback 700
    # The next 1,000: the incentive part is 1,000 × 700 / 3,700 = 189 (rounded down), principal
    # pays 811, so 7,811 of the 10,000 charged are used: 78%, short of the 80% a charge of
    # 10,000 won or less needs.
    pay(citizen, shop, 1_000)
    check = refund_check(user=citizen)
    assert (check.charged_base, check.principal, check.used, check.used_ratio_bp) == (
        10_000,
        2_189,
        7_811,
        7_811,
    )
    with pytest.raises(RefundNotAllowedError):
        refund(citizen, key="second")


def test_the_refund_rule_counts_wallet_charges_only_not_card_pledges(citizen, shop, budget):
    budget(1_000_000)
    campaign = CampaignFactory(max_pledge=300_000, max_per_citizen=300_000)
    PhaseFactory(campaign=campaign, number=1)
    CampaignShopFactory(campaign=campaign, shop=shop)
    pledge, _url = pledge_with_card(user=citizen, campaign=campaign, shop=shop, amount=300_000)
    assert sandbox_approve(pledge.charge.order_id)["status"] == "credited"
    charge(citizen, 200_000)
    pay(citizen, shop, 20_000)  # 10% of the wallet
    check = refund_check(user=citizen)
    # Only the 200,000 charged into the wallet count: 20,000 used is 10%, not the 64% that
    # counting the card pledge's 300,000 gave.
    assert (check.charged_base, check.principal, check.used, check.used_ratio_bp) == (
        200_000,
        180_000,
        20_000,
        1_000,
    )
    assert not check.allowed
    with pytest.raises(RefundNotAllowedError):
        refund(citizen)
    assert balances(citizen) == (180_000, 2_000)
    assert ledger_check().ok


def _provider_event(created: Charge, event_type: str) -> tuple[bytes, dict]:
    body = json.dumps(
        {
            "event_id": f"evt_{time.time_ns()}",
            "type": event_type,
            "order_id": created.order_id,
            "amount": created.amount,
            "payment_key": created.provider_payment_key,
            "occurred_at": int(time.time()) + 1,
        }
    ).encode()
    now = int(time.time())
    return body, {"X-PG-Timestamp": str(now), "X-PG-Signature": sign(body, now)}


def test_a_refund_made_at_the_provider_reverses_an_unused_charge(citizen, budget):
    budget(1_000_000)
    created = charge(citizen, 30_000)
    SandboxPayment.objects.filter(order_id=created.order_id).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    body, headers = _provider_event(created, "payment.cancelled")
    outcome = charge_callback_handle(provider_name="sandbox", raw_body=body, headers=headers)
    assert outcome.status == "cancelled"
    created.refresh_from_db()
    assert created.status == "cancelled"
    assert balances(citizen) == (0, 0)
    assert ledger_check().ok


def test_a_refund_made_at_the_provider_after_the_money_was_spent_is_flagged_to_staff(
    citizen, shop, budget
):
    from vouchers.models import ProviderDiscrepancy

    budget(1_000_000)
    created = charge(citizen, 30_000)
    pay(citizen, shop, 25_000)
    SandboxPayment.objects.filter(order_id=created.order_id).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    body, headers = _provider_event(created, "payment.cancelled")
    outcome = charge_callback_handle(provider_name="sandbox", raw_body=body, headers=headers)
    assert outcome.status == "flagged"
    created.refresh_from_db()
    assert created.status == "paid"  # the wallet cannot give back what it spent
    flag = ProviderDiscrepancy.objects.get(order_id=created.order_id)
    assert flag.amount == 30_000
    assert flag.kind == "refunded_at_provider"
    assert balances(citizen) == (5_000, 2_500)
