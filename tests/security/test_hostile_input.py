"""Hand-written hostile input on every money-moving endpoint and form: each case gets a clear 4xx
(the JSON error shape from the API, a form error on a page) and nothing moves: the number of
ledger entries and postings and every account balance stay as they were, and the book checks.

Every table ends with a control: the same request, made valid, goes through. So a case that
passes does so because the input was refused, not because the request could never work.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from merchants.models import PaymentCode, Shop
from merchants.services import payment_code_issue
from tests.accounts.factories import CitizenFactory
from tests.merchants.factories import device_for
from vouchers.models import Charge
from vouchers.providers import sign

from .world import PIN, assert_nothing_moved, money_snapshot

_keys = itertools.count()

# Values a money field must refuse. Several would be read as a valid amount by a lenient parser
# (int("１０００") == 1000, 1000.0 == 1000, the last of two duplicated keys): those are the
# dangerous ones.
BAD_AMOUNTS = [
    ("negative", -1000),
    ("zero", 0),
    ("fractional", 1000.5),
    ("fractional string", "1000.5"),
    ("whole float", 1000.0),
    ("huge", 10**15),
    ("beyond 64 bits", 2**70),
    ("beyond everything", 10**400),
    ("fullwidth digits", "１０００"),
    ("arabic-indic digits", "١٠٠٠"),
    ("devanagari digits", "१०००"),
    ("words", "lots"),
    ("empty string", ""),
    ("thousands separator", "1,000"),
    ("exponent", "1e3"),
    ("null", None),
    ("true", True),
    ("false", False),
    ("array", [1000]),
    ("object", {"won": 1000}),
]
MISSING = object()


def _key() -> str:
    return f"hostile-{next(_keys)}-{uuid.uuid4().hex[:8]}"


def _code(user) -> str:
    return payment_code_issue(user=user).number


class Endpoint:
    """A money-moving API operation: who calls it and a body that would go through."""

    def __init__(self, path, persona, body, idempotent=True):
        self.path, self.persona, self.body, self.idempotent = path, persona, body, idempotent


def _endpoints(world) -> dict[str, Endpoint]:
    a = world.citizen_a
    return {
        "charge": Endpoint("/api/v1/wallet/charges", "citizen_a", lambda: {"amount": 1000}, False),
        "counter payment": Endpoint(
            "/api/v1/counter/payments",
            "device_x",
            lambda: {"code": _code(a), "amount": 1000},
        ),
        "qr payment": Endpoint(
            "/api/v1/wallet/payments",
            "citizen_a",
            lambda: {"shop_code": world.shop_x.public_code, "amount": 1000, "pin": PIN},
        ),
        "pledge": Endpoint(
            "/api/v1/pledges",
            "citizen_b",
            lambda: {
                "campaign": world.campaign.pk,
                "shop": world.shop_x.pk,
                "amount": 100_000,
                "pay_with": "wallet",
                "pin": PIN,
            },
        ),
        "redemption": Endpoint(
            "/api/v1/counter/redemptions",
            "device_x",
            lambda: {"code": _code(a), "amount": 1000},
        ),
        "redemption with wallet part": Endpoint(
            "/api/v1/counter/redemptions",
            "device_x",
            lambda: {"code": _code(a), "amount": 1000, "wallet_amount": 1000},
        ),
    }


MONEY_FIELDS = [
    ("charge", "amount"),
    ("counter payment", "amount"),
    ("qr payment", "amount"),
    ("pledge", "amount"),
    ("redemption", "amount"),
    ("redemption with wallet part", "wallet_amount"),
]


def _post_json(call, endpoint, raw: str, headers=None):
    headers = dict(headers or {})
    if endpoint.idempotent:
        headers.setdefault("Idempotency-Key", _key())
    return call("POST", endpoint.path, data=raw, content_type="application/json", headers=headers)


def _refused(response, *, status=None) -> str | None:
    """None if ``response`` is a clear refusal in the API's error shape, else a complaint."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}"
    if status is not None and response.status_code != status:
        return f"status {response.status_code}, expected {status}"
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"not the error shape: {response.content[:200]!r}"
    if not error.get("code") or not error.get("message"):
        return f"error without code or message: {error}"
    return None


def _counts():
    return Charge.objects.count(), PaymentCode.objects.filter(used_at__isnull=False).count()


@pytest.mark.parametrize(("name", "field"), MONEY_FIELDS)
def test_bad_money_fields_are_refused_and_move_nothing(world, caller, name, field):
    endpoint = _endpoints(world)[name]
    call = caller(endpoint.persona)
    failures = []
    cases = [(label, json.dumps({**endpoint.body(), field: value})) for label, value in BAD_AMOUNTS]
    missing = {k: v for k, v in endpoint.body().items() if k != field}
    if field == "amount":
        cases.append(("missing", json.dumps(missing)))
    valid = endpoint.body()
    # Duplicated keys: the last one is a valid amount, the first is not, and the reverse.
    for first, last in ((-5, valid[field]), (valid[field], 10**9)):
        body = json.dumps({k: v for k, v in valid.items() if k != field})[:-1]
        cases.append(
            (f"duplicated key {first}/{last}", f'{body}, "{field}": {first}, "{field}": {last}}}')
        )
    cases += [
        ("not an object", json.dumps([valid])),
        ("a bare number", "1000"),
        ("not JSON", "amount=1000"),
        ("NaN", json.dumps(valid)[:-1] + f', "{field}x": NaN}}'),
        ("truncated", json.dumps(valid)[:-3]),
    ]
    for label, raw in cases:
        before, counts = money_snapshot(), _counts()
        response = _post_json(call, endpoint, raw)
        complaint = _refused(response)
        if complaint:
            failures.append(f"{label}: {complaint}")
        try:
            assert_nothing_moved(before, label)
            assert _counts() == counts, f"{label}: a charge was created or a code spent"
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, f"{name}.{field}:\n" + "\n".join(failures)
    # The control: the same request, valid, goes through.
    response = _post_json(call, endpoint, json.dumps(endpoint.body()))
    assert response.status_code in (200, 201), response.content


def test_a_form_body_is_not_json(world, caller):
    response = caller("citizen_a")("POST", "/api/v1/wallet/charges", data={"amount": "1000"})
    assert response.status_code == 415
    assert response.json()["error"]["code"]


@pytest.mark.parametrize(
    "key",
    [None, "", " ", "x" * 101, "키", "tab\there", "nul\x00here", "line\nbreak"],
    ids=["missing", "empty", "blank", "too long", "korean", "tab", "nul", "newline"],
)
def test_a_bad_idempotency_key_is_refused(world, caller, key):
    call = caller("device_x")
    before = money_snapshot()
    headers = {} if key is None else {"Idempotency-Key": key}
    body = {"code": _code(world.citizen_a), "amount": 1000}
    response = call(
        "POST",
        "/api/v1/counter/payments",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
    assert _refused(response, status=400) is None, response.content
    assert_nothing_moved(before, repr(key))


def test_an_idempotency_key_reused_for_another_amount_is_a_conflict(world, caller):
    call = caller("citizen_a")
    endpoint = _endpoints(world)["qr payment"]
    key = _key()
    first = _post_json(call, endpoint, json.dumps(endpoint.body()), {"Idempotency-Key": key})
    assert first.status_code == 201
    before = money_snapshot()
    replay = _post_json(call, endpoint, json.dumps(endpoint.body()), {"Idempotency-Key": key})
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    changed = {**endpoint.body(), "amount": 2000}
    response = _post_json(call, endpoint, json.dumps(changed), {"Idempotency-Key": key})
    assert _refused(response, status=409) is None
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert_nothing_moved(before, "replay and conflict")


# --- Codes --------------------------------------------------------------------------------------


def _other_city_code(world) -> str:
    connection.set_tenant(world.other_city)
    try:
        return _code(CitizenFactory(email="wanju-citizen@example.kr"))
    finally:
        connection.set_tenant(world.city)


def _expired_code(world) -> str:
    issued = payment_code_issue(user=world.citizen_a)
    PaymentCode.objects.filter(user=world.citizen_a, used_at__isnull=True).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    return issued.number


def _tampered(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def _last_changed(text: str) -> str:
    """The text with its last character replaced by a different one (a tampered
    id must never equal the real one, whatever character it happened to end in)."""
    return text[:-1] + ("1" if text[-1] == "0" else "0")


CODE_CASES = {
    "tampered digits": (lambda w: _tampered(_code(w.citizen_a)), 404),
    "tampered QR token": (
        lambda w: _last_changed(payment_code_issue(user=w.citizen_a).qr_token),
        404,
    ),
    "expired": (_expired_code, 410),
    "another city's code": (_other_city_code, 404),
    "another city's QR token": (None, 404),  # filled in below
    "15 digits": (lambda w: _code(w.citizen_a)[:15], 404),
    "17 digits": (lambda w: _code(w.citizen_a) + "0", 404),
    "fullwidth digits": (
        lambda w: _code(w.citizen_a).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        404,
    ),
    "empty": (lambda w: "", 400),
    "too long": (lambda w: "1" * 201, 400),
}


def _other_city_qr(world) -> str:
    connection.set_tenant(world.other_city)
    try:
        return payment_code_issue(user=CitizenFactory(email="wanju-qr@example.kr")).qr_token
    finally:
        connection.set_tenant(world.city)


CODE_CASES["another city's QR token"] = (_other_city_qr, 404)

CODE_ENDPOINTS = {
    "identify": ("/api/v1/counter/identify", {}),
    "counter payment": ("/api/v1/counter/payments", {"amount": 1000}),
    "redemption": ("/api/v1/counter/redemptions", {"amount": 1000}),
}


@pytest.mark.parametrize("endpoint", CODE_ENDPOINTS)
def test_bad_codes_are_refused_and_move_nothing(world, caller, endpoint):
    path, extra = CODE_ENDPOINTS[endpoint]
    failures = []
    for label, (make, status) in CODE_CASES.items():
        # A fresh device per case: the counter's failed-look-up limit is tested on its own.
        _device, token = device_for(world.shop_x, name=f"{label}"[:50])
        call = caller("device_x")
        code = make(world)
        before = money_snapshot()
        response = call(
            "POST",
            path,
            data=json.dumps({"code": code, **extra}),
            content_type="application/json",
            headers={"Authorization": f"Token {token}", "Idempotency-Key": _key()},
        )
        complaint = _refused(response, status=status)
        if complaint:
            failures.append(f"{label}: {complaint}")
        try:
            assert_nothing_moved(before, label)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, f"{endpoint}:\n" + "\n".join(failures)


def test_a_used_code_is_refused_the_second_time(world, caller):
    call = caller("device_x")
    code = _code(world.citizen_a)
    body = json.dumps({"code": code, "amount": 1000})
    first = call(
        "POST",
        "/api/v1/counter/payments",
        data=body,
        content_type="application/json",
        headers={"Idempotency-Key": _key()},
    )
    assert first.status_code == 201
    before = money_snapshot()
    for path in ("/api/v1/counter/payments", "/api/v1/counter/redemptions"):
        again = call(
            "POST",
            path,
            data=body,
            content_type="application/json",
            headers={"Idempotency-Key": _key()},
        )
        assert _refused(again, status=409) is None, (path, again.content)
        assert again.json()["error"]["code"] == "code_used"
    assert_nothing_moved(before, "reused code")


def test_a_prepaid_balance_is_not_redeemed_at_another_shop(world, caller):
    """Citizen A holds a prepaid balance at shop X only: shop Y's counter redeems nothing."""
    before = money_snapshot()
    response = caller("device_y")(
        "POST",
        "/api/v1/counter/redemptions",
        data=json.dumps({"code": _code(world.citizen_a), "amount": 1000}),
        content_type="application/json",
        headers={"Idempotency-Key": _key()},
    )
    assert _refused(response) is None, response.content
    assert_nothing_moved(before, "other shop")


def test_a_closed_shops_device_cannot_take_money(world, caller):
    Shop.objects.filter(pk=world.shop_x.pk).update(status=Shop.Status.CLOSED)
    before = money_snapshot()
    response = caller("device_x")(
        "POST",
        "/api/v1/counter/payments",
        data=json.dumps({"code": _code(world.citizen_a), "amount": 1000}),
        content_type="application/json",
        headers={"Idempotency-Key": _key()},
    )
    assert response.status_code == 401
    assert_nothing_moved(before, "closed shop")


# --- Refunds, charge cancellations, provider callbacks -------------------------------------------


def test_a_refund_that_the_rule_does_not_allow_moves_nothing(world, caller):
    """A has used 110,000 of 300,000 won (37%): under the 60% rule."""
    before = money_snapshot()
    response = caller("citizen_a")(
        "POST", "/api/v1/wallet/refund", headers={"Idempotency-Key": _key()}
    )
    assert _refused(response, status=400) is None
    assert response.json()["error"]["code"] == "refund_not_allowed"
    assert_nothing_moved(before, "refund")


@pytest.mark.parametrize(
    ("order", "status"),
    [
        ("tampered", 404),
        ("another citizen's", 404),
        ("unused but spent since", 409),
        ("nul", 400),
        ("very long", 404),
    ],
)
def test_charge_cancellation_refusals_move_nothing(world, caller, order, status):
    order_id = {
        "tampered": _last_changed(world.charge_a.order_id),
        "another citizen's": world.charge_a.order_id,
        "unused but spent since": world.charge_a.order_id,
        "nul": world.charge_a.order_id + "%00",
        "very long": "x" * 5000,
    }[order]
    persona = "citizen_b" if order == "another citizen's" else "citizen_a"
    before = money_snapshot()
    api = caller(persona)("POST", f"/api/v1/wallet/charges/{order_id}/cancel")
    assert _refused(api, status=status) is None, api.content
    page = caller(persona)("POST", f"/wallet/charge/{order_id}/cancel/")
    # The page shows a refusal it can explain as a message on the wallet page.
    assert page.status_code == (302 if status == 409 else status)
    assert_nothing_moved(before, order)


def _callback(call, body: bytes, headers: dict):
    return call(
        "POST",
        "/api/v1/payments/callback/sandbox",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_hostile_provider_callbacks_are_refused_and_move_nothing(world, caller):
    """The provider's callback is the one unauthenticated way money enters: unsigned, forged,
    stale, tampered, replayed or malformed callbacks are all refused."""
    from vouchers.providers import SandboxProvider
    from vouchers.services import charge_create

    charge, _url = charge_create(user=world.citizen_b, amount=5000)
    call = caller("anonymous")
    now = int(time.time())

    def event(**overrides):
        data = {
            "event_id": "evt_" + uuid.uuid4().hex,
            "type": "payment.approved",
            "order_id": charge.order_id,
            "amount": charge.amount,
            "payment_key": "pay_x",
            "occurred_at": now,
        }
        data.update(overrides)
        return json.dumps(data).encode()

    def signed(body: bytes, ts: int | None = None) -> dict:
        ts = now if ts is None else ts
        return {"X-PG-Timestamp": str(ts), "X-PG-Signature": sign(body, ts)}

    def case(body: bytes, ts: int | None = None) -> tuple[bytes, dict]:
        return body, signed(body, ts)

    plain = event()
    infinite = event()[:-1] + b', "amount": 1e400}'
    cases = {
        "unsigned": (plain, {}),
        "forged signature": (plain, {"X-PG-Timestamp": str(now), "X-PG-Signature": "0" * 64}),
        "tampered amount": (event(amount=50_000), signed(plain)),
        "signed wrong amount": case(event(amount=5_000_000)),
        "stale": case(plain, now - 3600),
        "from the future": case(plain, now + 3600),
        "superscript digit timestamp": (plain, {"X-PG-Timestamp": "\u00b2", "X-PG-Signature": "x"}),
        "fullwidth digit timestamp": (plain, {"X-PG-Timestamp": "１２３", "X-PG-Signature": "x"}),
        "malformed body": case(b"[1, 2]"),
        "not JSON": case(b"amount=1"),
        "huge occurred_at": case(event(occurred_at=10**20)),
        "infinite amount": case(infinite),
        "unknown order": case(event(order_id="ord_nope")),
        "unknown type": case(event(type="payment.gift")),
    }
    failures = []
    for label, (body, headers) in cases.items():
        before = money_snapshot()
        response = _callback(call, body, headers)
        complaint = _refused(response)
        if complaint:
            failures.append(f"{label}: {complaint}")
        try:
            assert_nothing_moved(before, label)
        except AssertionError as exc:
            failures.append(str(exc))
    charge.refresh_from_db()
    assert charge.status == Charge.Status.CREATED
    assert not failures, "\n".join(failures)
    # The control, then its replay.
    good = SandboxProvider.build_callback(
        order_id=charge.order_id,
        amount=charge.amount,
        event_type="payment.approved",
        payment_key="k",
    )
    assert _callback(call, *good).status_code == 200
    before = money_snapshot()
    replay = _callback(call, *good)
    assert _refused(replay) is None
    assert_nothing_moved(before, "replayed callback")


def test_a_nul_in_any_address_is_a_clear_400(world, caller):
    """PostgreSQL cannot hold NUL in text: a NUL in a path argument or a query string is refused
    before any view can pass it to the database (where it was a 500)."""
    from .test_access_matrix import CITY_TABLE, _paths

    call = caller("staff")
    failures = []
    for name, spec, path in _paths(world, CITY_TABLE):
        targets = [f"{path}?q=%00&status=%00&district=x%00"]
        kwargs = spec.kwargs(world) if spec.kwargs else {}
        for value in kwargs.values():
            if isinstance(value, str):  # a <str:...> argument
                targets.append(path.replace(value, value + "%00"))
        for target in targets:
            for method in ("GET", "POST"):
                response = call(method, target)
                if response.status_code != 400:
                    failures.append(f"{method} {target} ({name}): {response.status_code}")
                elif target.startswith("/api/") and _refused(response) is not None:
                    failures.append(f"{method} {target}: {_refused(response)}")
    assert not failures, "\n".join(failures)


# --- The parser and the API's addresses (issue 16, cases 4 and 8) -------------------------------


NESTED = "[" * 5_000 + "]" * 5_000


@pytest.mark.parametrize("debug", [False, True])
def test_deeply_nested_json_is_a_clear_400_everywhere(world, caller, settings, debug):
    """5,000 nested arrays made the JSON parser recurse until Python gave up (a 500), before any
    login was checked. Every JSON endpoint answers a clear 400 in the error shape instead."""
    settings.DEBUG = debug
    before = money_snapshot()
    targets = [("anonymous", "/api/v1/auth/token", False)]
    targets += [(e.persona, e.path, e.idempotent) for e in _endpoints(world).values()]
    targets += [("anonymous", "/api/v1/payments/callback/sandbox", False)]
    failures = []
    for persona, path, idempotent in targets:
        headers = {"Idempotency-Key": _key()} if idempotent else {}
        response = caller(persona)(
            "POST", path, data=NESTED, content_type="application/json", headers=headers
        )
        complaint = _refused(response, status=400)
        if complaint:
            failures.append(f"{path} as {persona}: {complaint}")
    assert not failures, "\n".join(failures)
    assert_nothing_moved(before, "nested JSON")


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_address_answers_the_json_error_shape(world, caller, settings, debug):
    settings.DEBUG = debug
    for path in ("/api/v1/no-such-thing", "/api/v2/wallet", "/api/nothing/"):
        for method in ("GET", "POST"):
            response = caller("citizen_a")(method, path)
            assert _refused(response, status=404) is None, (path, response.content[:200])


def test_a_pending_shops_device_cannot_identify_customers(world, caller):
    """A device registered while the shop waited for approval read customers' masked names and
    balances. Devices work only for approved shops."""
    for status in (Shop.Status.PENDING, Shop.Status.SUSPENDED):
        Shop.objects.filter(pk=world.shop_x.pk).update(status=status)
        response = caller("device_x")(
            "POST",
            "/api/v1/counter/identify",
            data=json.dumps({"code": _code(world.citizen_a)}),
            content_type="application/json",
        )
        assert response.status_code == 403, (status, response.content)
        assert _refused(response) is None
        body = response.content.decode()
        assert world.citizen_a.name[1:] not in body
        assert "balance" not in body
