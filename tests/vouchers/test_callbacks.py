"""The provider's callback: signature over the raw body, timestamp, event id once, amount,
order of events. Anything wrong credits nothing."""

import json
import time

import pytest

from tests.vouchers.conftest import balances
from vouchers.exceptions import CallbackRejectedError
from vouchers.models import Charge, ProviderEvent
from vouchers.providers import SandboxProvider, sign
from vouchers.services import charge_callback_handle, charge_create

pytestmark = pytest.mark.usefixtures("jeonju_policy")


@pytest.fixture
def order(citizen):
    created, _ = charge_create(user=citizen, amount=50_000)
    return created


def event(order, *, amount=None, event_type="payment.approved", occurred_at=None, event_id=None):
    body = {
        "event_id": event_id or f"evt_{time.time_ns()}",
        "type": event_type,
        "order_id": order.order_id,
        "amount": order.amount if amount is None else amount,
        "payment_key": "pay_x",
        "occurred_at": occurred_at or int(time.time()),
    }
    return json.dumps(body).encode()


def signed(body, *, timestamp=None, secret=None):
    ts = int(time.time()) if timestamp is None else timestamp
    return {"X-PG-Timestamp": str(ts), "X-PG-Signature": sign(body, ts, secret)}


def deliver(body, headers):
    return charge_callback_handle(provider_name="sandbox", raw_body=body, headers=headers)


def test_a_good_callback_credits(citizen, order):
    body = event(order)
    assert deliver(body, signed(body)).status == "credited"
    assert balances(citizen) == (50_000, 0)


def test_a_tampered_amount_with_a_recomputed_body_but_old_signature_is_refused(citizen, order):
    body = event(order)
    headers = signed(body)
    tampered = body.replace(b'"amount": 50000', b'"amount": 500000')
    with pytest.raises(CallbackRejectedError) as exc:
        deliver(tampered, headers)
    assert exc.value.code == "callback_bad_signature"
    assert balances(citizen) == (0, 0)


def test_a_correctly_signed_but_wrong_amount_is_refused(citizen, order):
    body = event(order, amount=5_000_000)
    with pytest.raises(CallbackRejectedError) as exc:
        deliver(body, signed(body))
    assert exc.value.code == "callback_amount_mismatch"
    order.refresh_from_db()
    assert order.status == "created"
    assert balances(citizen) == (0, 0)


def test_a_signature_with_another_secret_is_refused(citizen, order):
    body = event(order)
    with pytest.raises(CallbackRejectedError):
        deliver(body, signed(body, secret=b"not-the-secret"))
    assert balances(citizen) == (0, 0)


@pytest.mark.parametrize(
    "headers", [{}, {"X-PG-Timestamp": "abc", "X-PG-Signature": "x"}, {"X-PG-Timestamp": "1"}]
)
def test_unsigned_callbacks_are_refused(citizen, order, headers):
    with pytest.raises(CallbackRejectedError):
        deliver(event(order), headers)


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_callback_outside_the_5_minute_window_is_refused(citizen, order, skew):
    body = event(order)
    with pytest.raises(CallbackRejectedError) as exc:
        deliver(body, signed(body, timestamp=int(time.time()) + skew))
    assert exc.value.code == "callback_stale"
    assert balances(citizen) == (0, 0)


def test_a_replayed_callback_credits_once(citizen, order):
    body = event(order, event_id="evt_once")
    headers = signed(body)
    deliver(body, headers)
    with pytest.raises(CallbackRejectedError) as exc:
        deliver(body, headers)
    assert exc.value.code == "callback_replayed"
    assert balances(citizen) == (50_000, 0)
    assert ProviderEvent.objects.filter(event_id="evt_once").count() == 1


def test_a_second_approval_with_a_new_event_id_credits_nothing_more(citizen, order):
    for _ in range(2):
        body = event(order)
        deliver(body, signed(body))
    assert balances(citizen) == (50_000, 0)


def test_an_out_of_order_approval_after_a_cancellation_is_refused(citizen, order):
    now = int(time.time())
    cancelled = event(order, event_type="payment.cancelled", occurred_at=now)
    deliver(cancelled, signed(cancelled))
    late = event(order, occurred_at=now - 30)  # happened earlier, arrives later
    with pytest.raises(CallbackRejectedError) as exc:
        deliver(late, signed(late))
    assert exc.value.code == "callback_out_of_order"
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert balances(citizen) == (0, 0)


def test_an_approval_for_an_unknown_order_is_refused(citizen):
    body = json.dumps(
        {
            "event_id": "e1",
            "type": "payment.approved",
            "order_id": "ord_nope",
            "amount": 1,
            "payment_key": "k",
            "occurred_at": int(time.time()),
        }
    ).encode()
    with pytest.raises(CallbackRejectedError):
        deliver(body, signed(body))


def test_malformed_bodies_are_refused(citizen, order):
    for body in (b"not json", b"{}", b'{"event_id": 1}', "한글".encode()):
        with pytest.raises(CallbackRejectedError):
            deliver(body, signed(body))
    assert Charge.objects.get(pk=order.pk).status == "created"


def test_the_http_callback_endpoint_checks_the_raw_body(api_client, citizen, order):
    body, headers = SandboxProvider.build_callback(
        order_id=order.order_id, amount=order.amount, event_type="payment.approved", payment_key="k"
    )
    bad = api_client.post(
        "/api/v1/payments/callback/sandbox",
        data=body.replace(b"50000", b"50001"),
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "callback_bad_signature"
    good = api_client.post(
        "/api/v1/payments/callback/sandbox",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert good.status_code == 200
    assert good.json()["status"] == "credited"
    again = api_client.post(
        "/api/v1/payments/callback/sandbox",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "callback_replayed"
    assert balances(citizen) == (50_000, 0)
    unknown = api_client.post(
        "/api/v1/payments/callback/nope",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert unknown.status_code == 400
