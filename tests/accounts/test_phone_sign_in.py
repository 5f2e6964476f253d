"""Citizens without email: accounts made at a community centre with a mobile number, and
sign-in with the number and a one-time code sent through the message provider (the sandbox
here), throttled like a password and telling no one which numbers have accounts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.exceptions import (
    AccountError,
    InvalidSignInCodeError,
    TooManyAttemptsError,
)
from accounts.models import ConsentRecord, SignInCode, User
from accounts.phone import PhoneNumberError, phone_mask, phone_normalise
from accounts.services import otp_request, otp_verify, user_create_assisted
from messaging.models import Message, SandboxDelivery
from tests.accounts.factories import CitizenFactory, PhoneCitizenFactory, StaffFactory
from tests.conftest import OTHER_CITY_HOST, CityClient

IP = "203.0.113.7"


def _code_sent_to(phone: str) -> str:
    delivery = SandboxDelivery.objects.filter(to=phone).order_by("-id").first()
    assert delivery is not None, "no code was sent"
    return re.search(r"\b(\d{6})\b", delivery.body).group(1)


def _ask(phone, capture, ip=IP):
    with capture(execute=True):
        return otp_request(phone=phone, client_ip=ip)


# --- Numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["010-1234-5678", "01012345678", "010 1234 5678", "+82 10-1234-5678", "+821012345678"],
)
def test_a_korean_mobile_number_is_stored_in_one_form(typed):
    assert phone_normalise(typed) == "01012345678"


@pytest.mark.parametrize("typed", ["", "063-281-2114", "010-123-456", "1", "01012345678901"])
def test_what_is_not_a_korean_mobile_number_is_refused(typed):
    with pytest.raises(PhoneNumberError):
        phone_normalise(typed)


def test_a_number_is_masked_for_logs():
    assert phone_mask("01012345678") == "010-****-5678"


# --- Accounts made for citizens without email ---------------------------------------------------


def test_staff_create_a_phone_only_citizen_and_are_recorded_as_its_maker(city):
    staff = StaffFactory()
    user = user_create_assisted(
        created_by=staff, phone="010-2222-3333", name=" 박할매 ", marketing=["sms"]
    )
    assert user.email is None
    assert user.phone == "01022223333"
    assert user.name == "박할매"
    assert user.created_by == staff
    assert not user.has_usable_password()
    assert user.roles == {"citizen"}
    rows = {r.item: r for r in ConsentRecord.objects.filter(user=user)}
    assert rows["terms"].granted
    assert rows["privacy_required"].granted
    assert rows["marketing_sms"].granted
    assert not rows["marketing_email"].granted
    assert {r.recorded_by_id for r in rows.values()} == {staff.pk}
    assert {r.source for r in rows.values()} == {"assisted"}


def test_only_city_staff_create_accounts_for_citizens(city):
    with pytest.raises(AccountError) as refused:
        user_create_assisted(created_by=CitizenFactory(), phone="01022223333", name="x")
    assert refused.value.code == "forbidden"
    assert not User.objects.filter(phone="01022223333").exists()


def test_a_mobile_number_belongs_to_one_account_per_city(city, other_city):
    from django.db import connection

    staff = StaffFactory()
    user_create_assisted(created_by=staff, phone="01022223333", name="박할매")
    with pytest.raises(AccountError) as taken:
        user_create_assisted(created_by=staff, phone="010-2222-3333", name="다른 사람")
    assert taken.value.code == "phone_taken"
    # Another city has its own users: the same number is free there.
    connection.set_tenant(other_city)
    other_staff = StaffFactory()
    assert user_create_assisted(created_by=other_staff, phone="01022223333", name="완주 주민")
    connection.set_tenant(city)


# --- Codes --------------------------------------------------------------------------------------


def test_a_code_is_sent_by_text_message_and_signs_the_citizen_in(
    city, django_capture_on_commit_callbacks
):
    user = PhoneCitizenFactory()
    row = _ask(user.phone, django_capture_on_commit_callbacks)
    code = _code_sent_to(user.phone)
    # At rest only a keyed hash of the code: neither the code nor its plain hash is stored.
    assert code not in row.code_hash
    message = Message.objects.get(kind="messaging.sign_in_code")
    assert message.channel == "sms"
    assert message.status == "sent"
    assert code not in message.body  # the message's own record hides it once delivered
    assert otp_verify(phone=user.phone, code=code, client_ip=IP) == user
    # Spent: the same code does not sign in twice.
    with pytest.raises(InvalidSignInCodeError):
        otp_verify(phone=user.phone, code=code, client_ip=IP)


def test_an_unknown_number_gets_the_same_answer_and_no_message(
    city, django_capture_on_commit_callbacks
):
    row = _ask("010-9999-0000", django_capture_on_commit_callbacks)
    assert isinstance(row, SignInCode)
    assert row.user_id is None
    assert not SandboxDelivery.objects.exists()
    assert not Message.objects.exists()
    with pytest.raises(InvalidSignInCodeError):
        otp_verify(phone="01099990000", code="123456", client_ip=IP)


def test_a_code_expires_after_three_minutes(city, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _ask(user.phone, django_capture_on_commit_callbacks)
    code = _code_sent_to(user.phone)
    late = start + dt.timedelta(minutes=3, seconds=1)
    with time_machine.travel(late, tick=False), pytest.raises(InvalidSignInCodeError):
        otp_verify(phone=user.phone, code=code, client_ip=IP)


def test_a_code_takes_three_tries_then_a_new_one_is_needed(
    city, django_capture_on_commit_callbacks
):
    user = PhoneCitizenFactory()
    _ask(user.phone, django_capture_on_commit_callbacks)
    code = _code_sent_to(user.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _try in range(3):
        with pytest.raises(InvalidSignInCodeError):
            otp_verify(phone=user.phone, code=wrong, client_ip=IP)
    with pytest.raises(InvalidSignInCodeError):  # the right code, too late
        otp_verify(phone=user.phone, code=code, client_ip=IP)


def test_a_new_code_replaces_the_earlier_one(city, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _ask(user.phone, django_capture_on_commit_callbacks)
    first = _code_sent_to(user.phone)
    with time_machine.travel(start + dt.timedelta(minutes=2, seconds=1), tick=False):
        _ask(user.phone, django_capture_on_commit_callbacks)
        second = _code_sent_to(user.phone)
        if first != second:
            with pytest.raises(InvalidSignInCodeError):
                otp_verify(phone=user.phone, code=first, client_ip=IP)
        assert otp_verify(phone=user.phone, code=second, client_ip="198.51.100.1") == user


def test_one_code_a_minute_and_five_an_hour_for_a_number(city, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    start = timezone.now().replace(minute=0, second=5)
    with time_machine.travel(start, tick=False):
        _ask(user.phone, django_capture_on_commit_callbacks)
        with pytest.raises(TooManyAttemptsError):  # again at once
            _ask(user.phone, django_capture_on_commit_callbacks)
    for n in range(1, 5):  # every 2 minutes: allowed, up to 5 in the hour
        with time_machine.travel(start + dt.timedelta(minutes=2 * n), tick=False):
            _ask(user.phone, django_capture_on_commit_callbacks)
    sixth = start + dt.timedelta(minutes=10)
    with time_machine.travel(sixth, tick=False), pytest.raises(TooManyAttemptsError):
        _ask(user.phone, django_capture_on_commit_callbacks)
    assert SandboxDelivery.objects.filter(to=user.phone).count() == 5


def test_wrong_codes_lock_the_number_like_wrong_passwords(city, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    start = timezone.now()
    for n in range(2):  # two codes, so that the per-code tries do not end it first
        with time_machine.travel(start + dt.timedelta(minutes=2 * n), tick=False):
            _ask(user.phone, django_capture_on_commit_callbacks)
    code = _code_sent_to(user.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with time_machine.travel(start + dt.timedelta(minutes=2, seconds=30), tick=False):
        for n in range(5):  # from 5 addresses: the number's own limit
            with pytest.raises(InvalidSignInCodeError):
                otp_verify(phone=user.phone, code=wrong, client_ip=f"198.51.100.{n}")
        with pytest.raises(TooManyAttemptsError):  # the right code is no longer checked
            otp_verify(phone=user.phone, code=code, client_ip="198.51.100.9")


def test_wrong_codes_from_one_address_lock_that_address(city):
    for n in range(10):
        with pytest.raises(InvalidSignInCodeError):
            otp_verify(phone=f"0105555{n:04d}", code="000000", client_ip=IP)
    with pytest.raises(TooManyAttemptsError):
        otp_verify(phone="01055559999", code="000000", client_ip=IP)


# --- Pages --------------------------------------------------------------------------------------


def test_signing_in_with_the_pages(city_client, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    page = city_client.get("/accounts/phone/").content.decode()
    assert '<label for="id_phone">' in page
    assert 'autocomplete="tel"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = city_client.post(
            "/accounts/phone/",
            {"phone": user.phone[:3] + "-" + user.phone[3:7] + "-" + user.phone[7:]},
        )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/code/"
    page = city_client.get("/accounts/phone/code/").content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert phone_mask(user.phone) in page  # the number, masked
    response = city_client.post("/accounts/phone/code/", {"code": _code_sent_to(user.phone)})
    assert response.status_code == 302
    assert int(city_client.session["_auth_user_id"]) == user.pk


def test_a_wrong_code_on_the_page_is_an_error_tied_to_the_field(
    city_client, django_capture_on_commit_callbacks
):
    user = PhoneCitizenFactory()
    with django_capture_on_commit_callbacks(execute=True):
        city_client.post("/accounts/phone/", {"phone": user.phone})
    code = _code_sent_to(user.phone)
    response = city_client.post(
        "/accounts/phone/code/", {"code": f"{(int(code) + 1) % 1_000_000:06d}"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    box = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert "id_code_error" in box
    assert 'aria-invalid="true"' in box
    assert 'id="id_code_error"' in page
    assert "_auth_user_id" not in city_client.session


def test_the_page_answers_the_same_for_a_number_without_an_account(city_client):
    response = city_client.post("/accounts/phone/", {"phone": "010-9999-0000"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/code/"


def test_a_malformed_number_on_the_page_is_a_form_error(city_client):
    response = city_client.post("/accounts/phone/", {"phone": "063-281-2114"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors


def test_the_sign_in_page_links_to_signing_in_by_phone(city_client):
    assert "/accounts/phone/" in city_client.get("/accounts/login/").content.decode()


def test_no_phone_sign_in_on_the_platform_host(city):
    assert CityClient(city, "localhost").get("/accounts/phone/").status_code == 404


def test_the_pages_are_in_english_too(city_client):
    city_client.cookies["django_language"] = "en"
    page = city_client.get("/accounts/phone/").content.decode()
    assert "Sign in with your mobile number" in page


# --- API ----------------------------------------------------------------------------------------


def test_the_api_sends_a_code_and_exchanges_it_for_a_token(
    api_client, django_capture_on_commit_callbacks
):
    user = PhoneCitizenFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/auth/otp", {"phone": user.phone}, format="json")
    assert response.status_code == 202
    assert response.json()["expires_in"] == 180
    unknown = api_client.post("/api/v1/auth/otp", {"phone": "01099990000"}, format="json")
    assert unknown.status_code == 202
    assert unknown.json() == response.json()
    token = api_client.post(
        "/api/v1/auth/token",
        {"phone": user.phone, "code": _code_sent_to(user.phone)},
        format="json",
    )
    assert token.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api_client.get("/api/v1/wallet").status_code == 200


def test_the_api_refuses_a_wrong_code_and_mixed_credentials(api_client):
    response = api_client.post(
        "/api/v1/auth/token", {"phone": "01012345678", "code": "123456"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"
    mixed = api_client.post(
        "/api/v1/auth/token",
        {"email": "a@example.kr", "password": "x", "phone": "01012345678", "code": "123456"},
        format="json",
    )
    assert mixed.status_code == 400
    bad = api_client.post("/api/v1/auth/otp", {"phone": "12"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "phone_invalid"


def test_the_api_answers_429_past_the_sending_limits(api_client):
    assert (
        api_client.post("/api/v1/auth/otp", {"phone": "01012345678"}, format="json").status_code
        == 202
    )
    again = api_client.post("/api/v1/auth/otp", {"phone": "01012345678"}, format="json")
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"


def test_an_email_user_in_another_city_is_not_found_by_phone(city, other_city):
    # The wanju host does not know jeonju's numbers.
    user = PhoneCitizenFactory()
    client = CityClient(other_city, OTHER_CITY_HOST)
    response = client.post("/accounts/phone/", {"phone": user.phone})
    assert response.status_code == 302
    from django.db import connection

    connection.set_tenant(other_city)
    assert SignInCode.objects.get(phone=user.phone).user_id is None
    connection.set_tenant(city)


def test_a_phone_only_citizen_sees_their_profile_and_consents(client_for):
    user = PhoneCitizenFactory(phone="01044443333")
    client = client_for(user)
    page = client.get("/me/profile/").content.decode()
    assert "010-4444-3333" in page
    assert "None" not in page
    assert "/accounts/password/change/" not in page  # no password to change
    assert client.get("/me/consents/").status_code == 200
