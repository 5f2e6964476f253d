"""Charges through Toss Payments, against a local fake of Toss's API over HTTP
(tests/vouchers/fake_toss.py): the confirm after the payment window, every documented refusal,
timeouts, duplicate and forged webhooks, refunds made from Toss's console, the citizen's own
cancel, charges left waiting, and the settlement file. Exact won; ledger_check at the end."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone

from ledger.models import Entry
from ledger.selectors import ledger_check
from tests.vouchers.conftest import balances, pay
from tests.vouchers.fake_toss import FakeToss
from vouchers.exceptions import CallbackRejectedError, ChargeError
from vouchers.models import Charge, ProviderCall, ProviderDiscrepancy, ProviderEvent
from vouchers.provider_toss import (
    ProviderRefusedError,
    TossClient,
    TossProvider,
    event_from_payment,
    seal,
    webhook_signature_valid,
)
from vouchers.services import charge_cancel, provider_calls_deliver_due
from vouchers.toss import (
    toss_charge_confirm,
    toss_charges_sync,
    toss_settlement_compare,
)

pytestmark = pytest.mark.usefixtures("jeonju_policy")

SECRET = "test_sk_fake_jeonju_0123456789"
WEBHOOK = "/payments/toss/webhook"


@pytest.fixture
def toss(settings, city):
    fake = FakeToss(secret_key=SECRET).start()
    settings.PAYMENT_PROVIDER_BY_CITY = {"jeonju": "toss"}
    settings.TOSS_SECRET_KEY = SECRET
    settings.TOSS_CLIENT_KEY = "test_ck_fake_jeonju_0123456789"
    settings.TOSS_API_BASE = fake.url
    settings.TOSS_CONNECT_TIMEOUT = 1.0
    settings.TOSS_READ_TIMEOUT = 1.0
    yield fake
    fake.stop()
    connection.set_tenant(city)


@pytest.fixture
def browser(client_for, citizen):
    return client_for(citizen)


def start_charge(browser, amount=50_000) -> Charge:
    """The citizen asks for a charge: our server registers it and sends the browser to the
    checkout page of Toss's payment window."""
    response = browser.post("/wallet/charge/", {"amount": amount})
    assert response.status_code == 302
    charge = Charge.objects.latest("id")
    assert response["Location"] == f"/wallet/charge/{charge.order_id}/toss/"
    assert charge.provider == "toss"
    return charge


def back_from_toss(browser, charge, payment_key, amount=None):
    """Toss's payment window sends the browser to our success URL."""
    query = urlencode(
        {
            "paymentKey": payment_key,
            "orderId": charge.order_id,
            "amount": charge.amount if amount is None else amount,
        }
    )
    return browser.get(f"/wallet/charge/{charge.order_id}/toss/success?{query}")


def post_webhook(client, body, headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    return client.post(WEBHOOK, body, content_type="application/json", **extra)


def charge_entries(order_id) -> int:
    return Entry.objects.filter(idempotency_key=f"charge:{order_id}").count()


def paid_through_toss(browser, toss, amount=50_000) -> tuple[Charge, str]:
    charge = start_charge(browser, amount)
    key = toss.checkout(charge.order_id, amount)
    back_from_toss(browser, charge, key)
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    return charge, key


# --- The confirm ---------------------------------------------------------------------------------


def test_a_charge_through_toss_is_confirmed_once_and_credited(browser, citizen, toss):
    charge = start_charge(browser)
    page = browser.get(f"/wallet/charge/{charge.order_id}/toss/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-amount="50000"' in html
    assert f'data-order-id="{charge.order_id}"' in html
    assert "/toss/success" in html
    assert 'src="https://js.tosspayments.com/v2/standard"' in html
    # Toss's window may load its script and frames; nothing else is opened up.
    csp = page["Content-Security-Policy"]
    assert "script-src 'self' https://*.tosspayments.com https://js.tosspayments.com" in csp
    assert "frame-src https://*.tosspayments.com https://js.tosspayments.com" in csp

    key = toss.checkout(charge.order_id, 50_000)  # the citizen pays in Toss's window
    response = back_from_toss(browser, charge, key)
    assert response.status_code == 302
    assert response["Location"] == f"/wallet/charge/{charge.order_id}/done/"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert charge.provider_payment_key == key
    assert balances(citizen) == (50_000, 0)  # Jeonju's policy: no charging incentive
    assert toss.count("POST", "/v1/payments/confirm") == 1
    # The page reloaded: answered from what we know, nothing sent or credited again.
    back_from_toss(browser, charge, key)
    assert toss.count("POST", "/v1/payments/confirm") == 1
    assert charge_entries(charge.order_id) == 1
    assert balances(citizen) == (50_000, 0)
    assert ledger_check().ok


def test_a_tampered_amount_is_refused_before_toss_is_asked(browser, citizen, toss):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    response = back_from_toss(browser, charge, key, amount=5_000)
    assert response.status_code == 302
    shown = browser.get(response["Location"]).content.decode()
    assert "금액이 주문과 다릅니다." in shown  # "The amount does not match the order."
    assert toss.count("POST", "/v1/payments/confirm") == 0  # unconfirmed: Toss lets it expire
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CREATED
    assert balances(citizen) == (0, 0)


def test_another_citizens_order_is_not_found(browser, toss, client_for):
    from tests.accounts.factories import CitizenFactory

    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    intruder = client_for(CitizenFactory())
    response = back_from_toss(intruder, charge, key)
    assert response.status_code == 404
    assert toss.count("POST", "/v1/payments/confirm") == 0


def test_a_card_the_issuer_refuses_ends_the_charge_failed(browser, citizen, toss):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000, reject=True)  # REJECT_CARD_PAYMENT (403)
    back_from_toss(browser, charge, key)
    charge.refresh_from_db()
    assert charge.status == Charge.Status.FAILED
    assert balances(citizen) == (0, 0)
    # A second try with the same payment key is refused: the charge is closed.
    with pytest.raises(ChargeError):
        toss_charge_confirm(user=citizen, order_id=charge.order_id, payment_key=key, amount=50_000)


def test_an_expired_payment_session_ends_the_charge_failed(browser, citizen, toss):
    charge = start_charge(browser)
    back_from_toss(browser, charge, "tgen_expired_session")  # NOT_FOUND_PAYMENT_SESSION (404)
    charge.refresh_from_db()
    assert charge.status == Charge.Status.FAILED
    assert balances(citizen) == (0, 0)


def test_a_wrong_secret_key_is_refused_by_toss_and_nothing_moves(browser, citizen, toss, settings):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    settings.TOSS_SECRET_KEY = "test_sk_not_ours_000000000000"
    with pytest.raises(ProviderRefusedError) as refused:
        toss_charge_confirm(user=citizen, order_id=charge.order_id, payment_key=key, amount=50_000)
    assert refused.value.provider_code == "UNAUTHORIZED_KEY"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CREATED
    assert toss.payment(key).status == "IN_PROGRESS"
    assert balances(citizen) == (0, 0)


def test_a_confirm_whose_answer_is_lost_is_looked_up_and_credited_once(browser, citizen, toss):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    toss.stall("/v1/payments/confirm", 2.5)  # Toss confirms, the answer comes after our 1 s
    back_from_toss(browser, charge, key)
    charge.refresh_from_db()
    # Read back by order at once: Toss had confirmed, so the charge is credited.
    assert toss.count("GET", "/v1/payments/orders/") == 1
    assert charge.status == Charge.Status.PAID
    assert balances(citizen) == (50_000, 0)
    assert toss.payment(key).status == "DONE"
    assert len(toss.payment(key).transactions) == 1  # charged once
    assert ledger_check().ok


def test_a_confirm_and_a_look_up_that_both_time_out_leave_the_charge_waiting_then_it_is_credited(
    browser, citizen, toss
):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    toss.stall("/v1/payments/confirm", 2.5)
    toss.stall("/v1/payments/orders/", 2.5)
    response = back_from_toss(browser, charge, key)
    assert response["Location"] == f"/wallet/charge/{charge.order_id}/done/"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CREATED  # waiting, nothing lost
    assert balances(citizen) == (0, 0)
    done = browser.get(f"/wallet/charge/{charge.order_id}/done/")
    assert done.status_code == 200
    # The periodic read-back finds the payment Toss confirmed and credits it.
    assert toss_charges_sync(older_than=dt.timedelta(0)) == {"credited": 1}
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    # The citizen's reload and Toss's webhook come later: nothing more.
    back_from_toss(browser, charge, key)
    body, headers = toss.webhook_body(key)
    assert post_webhook(browser, body, headers).json()["status"] == "ignored"
    assert charge_entries(charge.order_id) == 1
    assert balances(citizen) == (50_000, 0)
    assert ledger_check().ok


def test_a_server_error_on_confirm_is_retried_with_the_same_idempotency_key(browser, citizen, toss):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    toss.fail_next("/v1/payments/confirm", 500)  # FAILED_INTERNAL_SYSTEM_PROCESSING
    back_from_toss(browser, charge, key)
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CREATED  # read back: not confirmed yet, waiting
    back_from_toss(browser, charge, key)  # the citizen tries again
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert balances(citizen) == (50_000, 0)
    assert len(toss.payment(key).transactions) == 1


def test_the_confirm_api_for_app_clients(citizen, toss, city):
    from rest_framework.test import APIClient

    from accounts.services import api_token_obtain
    from tests.conftest import CITY_HOST

    api = APIClient(HTTP_HOST=CITY_HOST)
    token = api_token_obtain(email=citizen.email, password="test-pass-1234", client_ip="t")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = api.post("/api/v1/wallet/charges", {"amount": 30_000}, format="json").json()
    connection.set_tenant(city)
    assert created["checkout_url"].endswith(f"/wallet/charge/{created['order_id']}/toss/")
    key = toss.checkout(created["order_id"], 30_000)
    url = f"/api/v1/wallet/charges/{created['order_id']}/toss-confirm"
    wrong = api.post(url, {"paymentKey": key, "amount": 3_000}, format="json")
    connection.set_tenant(city)
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "callback_amount_mismatch"
    right = api.post(url, {"paymentKey": key, "amount": 30_000}, format="json")
    connection.set_tenant(city)
    assert right.status_code == 200
    assert right.json() == {"status": "credited", "message": "credited", "charge_status": "paid"}
    assert balances(citizen) == (30_000, 0)


def test_the_fail_url_ends_the_charge_and_a_later_confirm_is_refused(browser, citizen, toss):
    charge = start_charge(browser)
    response = browser.get(
        f"/wallet/charge/{charge.order_id}/toss/fail?code=PAY_PROCESS_CANCELED&orderId={charge.order_id}"
    )
    assert response.status_code == 302
    charge.refresh_from_db()
    assert charge.status == Charge.Status.FAILED
    assert charge.failure_reason == "PAY_PROCESS_CANCELED"
    key = toss.checkout(charge.order_id, 50_000)
    with pytest.raises(ChargeError):
        toss_charge_confirm(user=citizen, order_id=charge.order_id, payment_key=key, amount=50_000)
    assert toss.count("POST", "/v1/payments/confirm") == 0


# --- Webhooks ---------------------------------------------------------------------------------------


def test_duplicate_webhooks_are_answered_200_and_credit_once(browser, citizen, toss):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    toss.stall("/v1/payments/confirm", 2.5)
    toss.stall("/v1/payments/orders/", 2.5)
    back_from_toss(browser, charge, key)  # waiting: the webhook is what credits it
    body, headers = toss.webhook_body(key)
    first = post_webhook(browser, body, headers)
    again = post_webhook(browser, body, headers)
    assert first.status_code == 200
    assert first.json()["status"] == "credited"
    assert again.status_code == 200  # Toss stops resending
    assert again.json()["status"] == "ignored"
    assert charge_entries(charge.order_id) == 1
    assert balances(citizen) == (50_000, 0)


def test_a_webhook_body_is_never_believed_only_what_toss_answers(browser, citizen, toss):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)  # in the window, not confirmed
    forged = json.dumps(
        {
            "eventType": "PAYMENT_STATUS_CHANGED",
            "createdAt": "2026-03-10T10:00:00.000",
            "data": {
                "paymentKey": key,
                "orderId": charge.order_id,
                "status": "DONE",
                "totalAmount": 50_000,
            },
        }
    ).encode()
    response = post_webhook(browser, forged, {})
    assert response.status_code == 200
    assert response.json()["status"] == "pending"  # Toss says IN_PROGRESS
    assert balances(citizen) == (0, 0)
    unknown = forged.replace(key.encode(), b"tgen_made_up_key")
    refused = post_webhook(browser, unknown, {})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "callback_unknown_payment"
    garbage = post_webhook(browser, b"{not json", {})
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "callback_malformed"
    assert balances(citizen) == (0, 0)


def test_a_sealed_answer_cannot_be_replayed_or_altered(toss, browser, citizen):
    _charge, key = paid_through_toss(browser, toss)
    payment = TossClient().payment(key)
    body, headers = seal(payment)
    provider = TossProvider()
    assert provider.verify_callback(raw_body=body, headers=headers).event_type == "payment.approved"
    altered = body.replace(b'"totalAmount":50000', b'"totalAmount":500000')
    with pytest.raises(CallbackRejectedError) as exc:
        provider.verify_callback(raw_body=altered, headers=headers)
    assert exc.value.code == "callback_bad_signature"
    old = {**headers, "X-JP-Toss-Timestamp": str(int(headers["X-JP-Toss-Timestamp"]) - 3600)}
    with pytest.raises(CallbackRejectedError):
        provider.verify_callback(raw_body=body, headers=old)


def test_a_webhook_whose_read_back_times_out_is_answered_503_so_toss_sends_it_again(
    browser, citizen, toss
):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    toss.stall("/v1/payments/confirm", 2.5)
    toss.stall("/v1/payments/orders/", 2.5)
    back_from_toss(browser, charge, key)
    body, headers = toss.webhook_body(key)
    toss.stall(f"/v1/payments/{key}", 2.5)
    unanswered = post_webhook(browser, body, headers)
    assert unanswered.status_code == 503
    assert unanswered.json()["error"]["code"] == "provider_unavailable"
    assert balances(citizen) == (0, 0)
    resent = post_webhook(browser, body, headers)
    assert resent.json()["status"] == "credited"
    assert balances(citizen) == (50_000, 0)


def test_signed_webhooks_are_checked_when_a_security_key_is_set(browser, citizen, toss, settings):
    settings.TOSS_WEBHOOK_SECURITY_KEY = "security-key-from-the-developer-centre"
    toss.security_key = settings.TOSS_WEBHOOK_SECURITY_KEY
    _charge, key = paid_through_toss(browser, toss)
    body, headers = toss.webhook_body(key)
    assert webhook_signature_valid(raw_body=body, headers=headers, security_key=toss.security_key)
    assert post_webhook(browser, body, headers).status_code == 200
    tampered = {**headers, "tosspayments-webhook-transmission-time": "2020-01-01T00:00:00+09:00"}
    refused = post_webhook(browser, body, tampered)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "callback_bad_signature"


def test_events_other_than_payment_changes_are_acknowledged_and_ignored(browser, toss):
    body = json.dumps({"eventType": "DEPOSIT_CALLBACK", "data": {}}).encode()
    response = post_webhook(browser, body, {})
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


# --- Refunds: from Toss's console, and the citizen's own cancel ----------------------------------


def test_a_refund_made_from_the_toss_console_reverses_the_charge_once(browser, citizen, toss):
    charge, key = paid_through_toss(browser, toss)
    toss.console_cancel(key)  # someone at the city refunds it in Toss's merchant console
    body, headers = toss.webhook_body(key)
    first = post_webhook(browser, body, headers)
    again = post_webhook(browser, body, headers)
    assert first.json()["status"] == "cancelled"  # the charge's one reversal path
    assert again.json()["status"] == "ignored"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CANCELLED
    assert balances(citizen) == (0, 0)
    reversal = Entry.objects.get(idempotency_key=f"charge:{charge.order_id}:cancel")
    assert reversal.kind == Entry.Kind.CANCELLATION
    assert ledger_check().ok


def test_a_console_refund_after_the_wallet_was_spent_is_flagged_and_moves_nothing(
    browser, citizen, toss, shop, budget
):
    budget(1_000_000)
    charge, key = paid_through_toss(browser, toss)
    pay(citizen, shop, 20_000)  # 10% cashback: principal 30,000, incentive 2,000
    toss.console_cancel(key)
    body, headers = toss.webhook_body(key)
    response = post_webhook(browser, body, headers)
    assert response.status_code == 200
    assert response.json()["status"] == "flagged"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    flag = ProviderDiscrepancy.objects.get(order_id=charge.order_id)
    assert (flag.kind, flag.amount) == ("refunded_at_provider", 50_000)
    assert balances(citizen) == (30_000, 2_000)
    assert (
        ProviderEvent.objects.get(order_id=charge.order_id, event_type="payment.cancelled").outcome
        == "flagged"
    )
    assert post_webhook(browser, body, headers).json()["status"] == "ignored"
    assert ledger_check().ok


def test_a_partial_refund_from_the_console_is_flagged_for_review(browser, citizen, toss):
    charge, key = paid_through_toss(browser, toss)
    toss.console_cancel(key, amount=10_000)
    assert toss.payment(key).status == "PARTIAL_CANCELED"
    body, headers = toss.webhook_body(key)
    response = post_webhook(browser, body, headers)
    assert response.json()["status"] == "flagged"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert balances(citizen) == (50_000, 0)
    assert post_webhook(browser, body, headers).json()["status"] == "flagged"
    flag = ProviderDiscrepancy.objects.get(order_id=charge.order_id)  # one, however often
    assert flag.kind == "amount"


def test_the_citizen_cancels_a_toss_charge_and_tosss_webhook_changes_nothing_more(
    browser, citizen, toss, django_capture_on_commit_callbacks
):
    charge, key = paid_through_toss(browser, toss)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        charge_cancel(charge=charge, by=citizen)
    assert toss.payment(key).status == "CANCELED"
    assert balances(citizen) == (0, 0)
    body, headers = toss.webhook_body(key)
    assert post_webhook(browser, body, headers).json()["status"] == "ignored"
    assert Entry.objects.filter(idempotency_key=f"charge:{charge.order_id}:cancel").count() == 1
    assert ledger_check().ok


def test_a_cancel_toss_does_not_answer_is_sent_again_by_the_outbox_and_refunds_once(
    browser, citizen, toss, django_capture_on_commit_callbacks
):
    charge, key = paid_through_toss(browser, toss)
    toss.stall(f"/v1/payments/{key}/cancel", 2.5)  # Toss refunds; its answer is lost
    with django_capture_on_commit_callbacks(execute=True):
        charge_cancel(charge=charge, by=citizen)
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CANCELLED  # the ledger side is done
    assert balances(citizen) == (0, 0)
    call = ProviderCall.objects.get(charge=charge)
    assert (call.status, call.attempts) == ("pending", 1)
    ProviderCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now())
    assert provider_calls_deliver_due() == {"done": 1, "retry": 0, "skipped": 0}
    assert len(toss.payment(key).cancels) == 1  # the same Idempotency-Key: refunded once
    assert ledger_check().ok


def test_cancelling_a_payment_toss_already_cancelled_counts_as_done(
    browser, citizen, toss, django_capture_on_commit_callbacks
):
    charge, key = paid_through_toss(browser, toss)
    toss.console_cancel(key)  # its webhook has not arrived yet
    with django_capture_on_commit_callbacks(execute=True):
        charge_cancel(charge=charge, by=citizen)  # ALREADY_CANCELED_PAYMENT at Toss: fine
    assert ProviderCall.objects.get(charge=charge).status == "done"
    assert balances(citizen) == (0, 0)
    body, headers = toss.webhook_body(key)
    assert post_webhook(browser, body, headers).json()["status"] == "ignored"
    assert ledger_check().ok


def test_toss_refuses_a_cancel_of_more_than_is_left_or_of_an_unpaid_payment(toss, city):
    key = toss.checkout("ord_test_only", 10_000)
    client = TossClient()
    with pytest.raises(ProviderRefusedError) as unpaid:
        client.cancel(payment_key=key, reason="t", amount=None, key="c-1")
    assert unpaid.value.provider_code == "NOT_CANCELABLE_PAYMENT"
    client.confirm(payment_key=key, order_id="ord_test_only", amount=10_000)
    with pytest.raises(ProviderRefusedError) as too_much:
        client.cancel(payment_key=key, reason="t", amount=20_000, key="c-2")
    assert too_much.value.provider_code == "NOT_CANCELABLE_AMOUNT"


def test_a_charge_refused_after_toss_took_the_money_is_refunded_by_the_outbox(
    browser, citizen, toss, settings, staff, django_capture_on_commit_callbacks
):
    from vouchers.services import policy_set

    charge = start_charge(browser, 50_000)
    key = toss.checkout(charge.order_id, 50_000)
    # The limit drops to 30,000 before the confirm: the charge is refused after Toss took the
    # money, and the first refund Toss is asked for fails.
    policy_set(
        by=staff,
        effective_from=timezone.localdate(),
        cashback_bp=1000,
        monthly_charge_limit=30_000,
        monthly_cashback_cap=50_000,
    )
    toss.fail_next(f"/v1/payments/{key}/cancel", 500)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = toss_charge_confirm(
            user=citizen, order_id=charge.order_id, payment_key=key, amount=50_000
        )
    assert outcome.status == "over_limit"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.FAILED
    assert toss.payment(key).status == "DONE"  # the citizen's money is still at Toss
    ProviderCall.objects.filter(charge=charge).update(next_attempt_at=timezone.now())
    assert provider_calls_deliver_due() == {"done": 1, "retry": 0, "skipped": 0}
    assert toss.payment(key).status == "CANCELED"
    assert balances(citizen) == (0, 0)


# --- Payment objects and the settlement file --------------------------------------------------------


def test_only_final_payment_states_become_events():
    base = {"paymentKey": "k", "orderId": "o", "totalAmount": 1_000, "lastTransactionKey": "t"}
    assert event_from_payment({**base, "status": "IN_PROGRESS"}) is None
    assert event_from_payment({**base, "status": "WAITING_FOR_DEPOSIT"}) is None
    done = event_from_payment({**base, "status": "DONE", "approvedAt": "2026-03-10T10:00:01+09:00"})
    assert (done.event_type, done.amount, done.event_id) == ("payment.approved", 1_000, "k:DONE:t")
    assert done.occurred_at == dt.datetime(2026, 3, 10, 1, 0, 1, tzinfo=dt.UTC)
    assert event_from_payment({**base, "status": "EXPIRED"}).event_type == "payment.failed"
    with pytest.raises(CallbackRejectedError):
        event_from_payment({**base, "status": "DONE", "totalAmount": "1000"})


def test_transactions_and_settlements_are_read_page_by_page(toss, city):
    client = TossClient()
    for n in range(5):
        key = toss.checkout(f"ord_page_{n}", 10_000 + n)
        client.confirm(payment_key=key, order_id=f"ord_page_{n}", amount=10_000 + n)
    now = timezone.localtime().replace(tzinfo=None)
    found = client.transactions(
        start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1), limit=2
    )
    assert sorted(tx["orderId"] for tx in found) == [f"ord_page_{n}" for n in range(5)]
    assert toss.count("GET", "/v1/transactions") == 3  # 2 + 2 + 1
    records = client.settlements(start=now.date(), end=now.date(), size=2)
    assert len(records) == 5
    assert toss.count("GET", "/v1/settlements") == 3


def test_the_settlement_comparison_agrees_and_names_what_differs(
    browser, citizen, toss, django_capture_on_commit_callbacks
):
    first, _k1 = paid_through_toss(browser, toss, 50_000)
    second, _key2 = paid_through_toss(browser, toss, 20_000)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends the refund
        charge_cancel(charge=second, by=citizen)
    today = timezone.localdate()
    report = toss_settlement_compare(day=today)
    assert report.ok, report
    assert (report.toss_approved, report.ours_paid) == (70_000, 70_000)
    assert (report.toss_cancelled, report.ours_refunded) == (20_000, 20_000)
    # Fees 2.5%: 1,250 + 500 on the approvals, -500 back on the cancellation.
    assert report.fees == 1_250
    assert report.payout == 70_000 - 1_750 + (-20_000 + 500)
    # Money at Toss for an order we never credited, and a charge we credited Toss has not.
    stray = toss.checkout("ord_not_ours", 9_000)
    TossClient().confirm(payment_key=stray, order_id="ord_not_ours", amount=9_000)
    Charge.objects.filter(pk=first.pk).update(amount=51_000)
    report = toss_settlement_compare(day=today)
    assert not report.ok
    assert report.missing_here == ["ord_not_ours"]
    assert report.amount_mismatches == [(first.order_id, 51_000, 50_000)]


def test_a_confirm_toss_calls_already_processed_is_read_back_and_credited_once(
    browser, citizen, toss
):
    charge = start_charge(browser)
    key = toss.checkout(charge.order_id, 50_000)
    toss.stall("/v1/payments/confirm", 2.5)
    toss.stall("/v1/payments/orders/", 2.5)
    back_from_toss(browser, charge, key)  # confirmed at Toss; we are still waiting
    toss.idempotent.clear()  # Toss no longer remembers the key (kept 15 days)
    back_from_toss(browser, charge, key)  # ALREADY_PROCESSED_PAYMENT: read back, credit
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert toss.count("POST", "/v1/payments/confirm") == 2
    assert len(toss.payment(key).transactions) == 1
    assert balances(citizen) == (50_000, 0)


def test_the_nightly_reconciliation_reads_tosss_books_and_agrees_to_the_won(
    browser, citizen, toss, django_capture_on_commit_callbacks
):
    from vouchers.services import provider_reconcile

    paid_through_toss(browser, toss, 50_000)
    second, _key = paid_through_toss(browser, toss, 20_000)
    with django_capture_on_commit_callbacks(execute=True):
        charge_cancel(charge=second, by=citizen)
    report = provider_reconcile(provider_name="toss", business_date=timezone.localdate())
    # Toss's transaction list: 70,000 approved, 20,000 given back, nothing paid out yet.
    assert report.orders_compared == 2
    assert (report.provider_owes, report.clearing_owes, report.pending_cancels) == (
        50_000,
        50_000,
        0,
    )
    assert report.agrees, report.differences
    assert ledger_check().ok
