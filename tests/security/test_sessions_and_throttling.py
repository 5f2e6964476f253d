"""Sessions rotate on sign-in and die on sign-out; password guessing (sign-in page, API token,
the PIN form's password) and PIN guessing are locked by the 10th attempt at the latest and
answered 429 (or a clear lock message on a page) beyond their limits."""

from __future__ import annotations

import json
import uuid

from django.contrib.sessions.models import Session

from accounts.services import TOKEN_FAILURES_PER_EMAIL, TOKEN_FAILURES_PER_IP
from tests.accounts.factories import PASSWORD, CitizenFactory
from tests.conftest import CITY_HOST, CityClient
from vouchers.models import Wallet
from vouchers.services import PIN_MAX_FAILURES, PIN_PASSWORD_FAILURES

from .world import PIN, assert_nothing_moved, money_snapshot

LOGIN = "/accounts/login/"


def _client(city, **kwargs):
    return CityClient(city, CITY_HOST, **kwargs)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _sign_in(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def _error_codes(response) -> set[str]:
    form = response.context["form"]
    return {e.code for errors in form.errors.as_data().values() for e in errors}


# --- Sessions -----------------------------------------------------------------------------------


def test_the_session_key_changes_on_sign_in(city):
    user = CitizenFactory()
    client = _client(city)
    session = client.session
    session["before"] = "anonymous"
    session.save()
    old_key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=old_key).exists()
    response = _sign_in(client, user.email)
    assert response.status_code == 302
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.session["before"] == "anonymous"  # kept, under the new key
    # Whoever planted the old key (session fixation) holds nothing.
    planted = _client(city)
    planted.cookies["sessionid"] = old_key
    assert planted.get("/me/profile/").status_code == 302


def test_signing_out_ends_the_session_everywhere_it_was_copied(city):
    user = CitizenFactory()
    client = _client(city)
    _sign_in(client, user.email)
    key = client.cookies["sessionid"].value
    copy = _client(city)
    copy.cookies["sessionid"] = key
    assert copy.get("/me/profile/").status_code == 200
    # Signing out takes a POST: a GET (a link, an image) only asks.
    assert client.get("/accounts/logout/").status_code == 200
    assert copy.get("/me/profile/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    page = copy.get("/me/profile/")
    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]
    assert copy.get("/api/v1/wallet").status_code in (401, 403)
    assert copy.post("/wallet/code/new/").status_code == 302


def test_a_password_change_ends_the_other_sessions(city):
    user = CitizenFactory()
    here, there = _client(city), _client(city)
    _sign_in(here, user.email)
    _sign_in(there, user.email)
    response = here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a-new-pass-5678", "password2": "a-new-pass-5678"},
    )
    assert response.status_code == 302
    assert here.get("/me/profile/").status_code == 200  # the session that changed it stays
    assert there.get("/me/profile/").status_code == 302


def test_session_cookies_are_http_only_and_same_site(city):
    client = _client(city)
    _sign_in(client, CitizenFactory().email)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# --- Sign-in page (allauth) -----------------------------------------------------------------


def test_sign_in_is_locked_after_five_wrong_passwords_for_one_email(city):
    user = CitizenFactory()
    client = _client(city)
    for _attempt in range(5):
        response = _sign_in(client, user.email, "wrong-password")
        assert response.status_code == 200
        assert "too_many_login_attempts" not in _error_codes(response)
    # The 6th attempt, with the right password, is refused with a clear message.
    response = _sign_in(client, user.email)
    assert response.status_code == 200
    assert "too_many_login_attempts" in _error_codes(response)
    assert not _signed_in(client)
    # The same email in capitals is the same account and the same lock.
    response = _sign_in(client, user.email.upper())
    assert "too_many_login_attempts" in _error_codes(response)
    assert not _signed_in(client)


def test_sign_in_is_locked_after_ten_failures_from_one_address(city):
    users = [CitizenFactory() for _ in range(11)]
    client = _client(city)
    for user in users[:10]:
        assert "too_many_login_attempts" not in _error_codes(
            _sign_in(client, user.email, "wrong-password")
        )
    response = _sign_in(client, users[10].email)
    assert "too_many_login_attempts" in _error_codes(response)
    assert not _signed_in(client)


def test_sign_in_answers_429_beyond_thirty_posts_a_minute(city):
    client = _client(city)
    statuses = [
        _sign_in(client, f"nobody{n}@example.kr", "wrong-password").status_code for n in range(32)
    ]
    assert set(statuses[:30]) == {200}
    assert statuses[30:] == [429, 429]


# --- API token --------------------------------------------------------------------------------


def _token(client, email, password, ip="10.0.0.1", headers=None):
    """``ip`` is the socket's address (REMOTE_ADDR)."""
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"email": email, "password": password}),
        content_type="application/json",
        headers=headers or {},
        REMOTE_ADDR=ip,
    )


def test_the_token_endpoint_locks_an_email_after_five_failures_even_across_addresses(city):
    user = CitizenFactory()
    client = _client(city)
    assert TOKEN_FAILURES_PER_EMAIL.max_hits <= 9
    for n in range(TOKEN_FAILURES_PER_EMAIL.max_hits):
        response = _token(client, user.email, "wrong", ip=f"10.0.1.{n}")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_credentials"
    for ip in ("10.0.2.1", "10.0.2.2"):  # a new address (or a forged X-Real-IP) does not help
        response = _token(client, user.email, PASSWORD, ip=ip)
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "rate_limited"
        assert "token" not in response.json()


def test_the_token_endpoint_locks_an_address_after_ten_failures(city):
    client = _client(city)
    assert TOKEN_FAILURES_PER_IP.max_hits <= 10
    for n in range(TOKEN_FAILURES_PER_IP.max_hits):
        assert _token(client, f"x{n}@example.kr", "wrong").status_code == 400
    user = CitizenFactory()
    response = _token(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert _token(client, user.email, PASSWORD, ip="10.9.9.9").status_code == 200


def test_a_forged_x_real_ip_does_not_reset_the_address_limit(city):
    """No proxy is trusted (TRUSTED_CLIENT_IP_HEADER unset): the header is the client's own
    writing and the socket's address is what counts."""
    client = _client(city)
    for n in range(TOKEN_FAILURES_PER_IP.max_hits):
        response = _token(client, f"y{n}@example.kr", "wrong", headers={"X-Real-IP": f"10.3.0.{n}"})
        assert response.status_code == 400
    user = CitizenFactory()
    response = _token(client, user.email, PASSWORD, headers={"X-Real-IP": "10.3.1.1"})
    assert response.status_code == 429


def test_behind_the_proxy_the_address_it_reports_counts(city, settings):
    """With TRUSTED_CLIENT_IP_HEADER set (deploy/nginx.conf overwrites X-Real-IP), every
    request arrives from the proxy's address and the header tells the clients apart."""
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    client = _client(city)
    for n in range(TOKEN_FAILURES_PER_IP.max_hits):
        response = _token(client, f"z{n}@example.kr", "wrong", headers={"X-Real-IP": "10.4.0.1"})
        assert response.status_code == 400
    user = CitizenFactory()
    locked = _token(client, user.email, PASSWORD, headers={"X-Real-IP": "10.4.0.1"})
    assert locked.status_code == 429
    other = _token(client, user.email, PASSWORD, headers={"X-Real-IP": "10.4.0.2"})
    assert other.status_code == 200


# --- PIN ---------------------------------------------------------------------------------------


def _pay(call, world, pin):
    return call(
        "POST",
        "/api/v1/wallet/payments",
        data=json.dumps(
            {"shop_code": world.shop_x.public_code, "amount": 1000, "pin": pin},
        ),
        content_type="application/json",
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )


def test_wrong_pins_lock_payments_by_the_fifth_and_answer_429(world, caller):
    call = caller("citizen_a")
    before = money_snapshot()
    codes = []
    for _attempt in range(PIN_MAX_FAILURES):
        response = _pay(call, world, "000000")
        codes.append((response.status_code, response.json()["error"]["code"]))
    assert codes[:-1] == [(400, "pin_invalid")] * (PIN_MAX_FAILURES - 1)
    assert codes[-1] == (429, "pin_locked")
    # Locked: even the right PIN is refused, on the API, the page and for a pledge.
    response = _pay(call, world, PIN)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "pin_locked"
    page = call(
        "POST",
        f"/wallet/pay/{world.shop_x.public_code}/",
        data={"amount": "1000", "pin": PIN, "idempotency_key": uuid.uuid4().hex},
    )
    assert page.status_code == 200
    assert b"form-error" in page.content
    assert_nothing_moved(before, "locked PIN")


def test_the_pin_form_locks_after_five_wrong_account_passwords(world, caller):
    """The PIN form asks for the account password: it must not be a way to guess it."""
    call = caller("citizen_a")
    wallet = Wallet.objects.get(user=world.citizen_a)
    assert PIN_PASSWORD_FAILURES.max_hits <= 9
    for _attempt in range(PIN_PASSWORD_FAILURES.max_hits):
        response = call("POST", "/wallet/pin/", data={"pin": "654321", "password": "guess"})
        assert response.status_code == 200
        assert b"form-error" in response.content
    response = call("POST", "/wallet/pin/", data={"pin": "654321", "password": PASSWORD})
    assert response.status_code == 200
    assert b"form-error" in response.content
    wallet.refresh_from_db()
    assert Wallet.objects.get(pk=wallet.pk).pin_hash == wallet.pin_hash
    assert Wallet.objects.get(pk=wallet.pk).pin_hash  # still the old PIN
    from vouchers.services import pin_verify

    pin_verify(user=world.citizen_a, pin=PIN)  # the old PIN still works


def test_a_limit_holds_across_the_edge_of_its_window(city):
    """Five wrong passwords at the end of one window and five at the start of the next would be
    ten in a few seconds: the limit counts the window before too."""
    import datetime as dt

    import time_machine

    from jeonju_prepay import ratelimit

    limit = ratelimit.Limit("edge-test", 5, 300)
    edge = dt.datetime(2026, 1, 1, 1, 5, tzinfo=dt.UTC)  # 300-second windows start here
    with time_machine.travel(edge - dt.timedelta(seconds=2), tick=False):
        for _attempt in range(limit.max_hits):
            assert not ratelimit.is_limited(limit, "someone")
            ratelimit.hit(limit, "someone")
        assert ratelimit.is_limited(limit, "someone")
    with time_machine.travel(edge + dt.timedelta(seconds=1), tick=False):
        assert ratelimit.is_limited(limit, "someone") == 299  # until this window ends
    with time_machine.travel(edge + dt.timedelta(seconds=301), tick=False):
        assert not ratelimit.is_limited(limit, "someone")


def test_redirects_after_sign_in_and_language_switch_stay_on_the_city(city):
    user = CitizenFactory()
    for target in ("https://evil.example/", "//evil.example/", "http://wanju.localhost/wallet/"):
        client = _client(city)
        response = client.post(
            f"{LOGIN}?next={target}", {"login": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert "evil" not in response["Location"]
        assert "wanju" not in response["Location"]
        assert _signed_in(client)
        switched = client.post("/i18n/setlang/", {"language": "en", "next": target})
        assert switched.status_code == 302
        assert switched["Location"] == "/"
    # The control: a path on this city is followed.
    client = _client(city)
    response = client.post(f"{LOGIN}?next=/wallet/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/wallet/"


# --- Django admin's sign-in (platform operators, and each city's) -----------------------------


def test_the_platform_operators_admin_sign_in_is_throttled(city):
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import User

    with schema_context("public"):
        User.objects.create_superuser(email="operator@platform.kr", password=PASSWORD)
    client = Client(HTTP_HOST="localhost")
    try:
        for _attempt in range(5):
            response = client.post(
                "/admin/login/", {"username": "operator@platform.kr", "password": "guess"}
            )
            assert response.status_code == 200
            assert "rate_limited" not in _error_codes(response)
        response = client.post(
            "/admin/login/", {"username": "Operator@Platform.kr", "password": PASSWORD}
        )
        assert response.status_code == 200
        assert "rate_limited" in _error_codes(response)
        assert "_auth_user_id" not in client.session
    finally:
        connection.set_tenant(city)


def test_a_citys_admin_sign_in_is_throttled_per_address(city):
    client = _client(city)
    for n in range(10):
        response = client.post("/admin/login/", {"username": f"x{n}@example.kr", "password": "g"})
        assert "rate_limited" not in _error_codes(response)
    response = client.post("/admin/login/", {"username": "y@example.kr", "password": "g"})
    assert "rate_limited" in _error_codes(response)
