"""The message service: channels by the citizen's consents and choices, Korean and English
texts, one message per dedupe key, retries of provider failures with nothing sent twice."""

from __future__ import annotations

import pytest

from messaging.kinds import kind_get
from messaging.models import Message, SandboxDelivery
from messaging.services import (
    RetryLater,
    message_deliver,
    message_send,
    retry_countdown,
)
from tests.accounts.factories import CitizenFactory, ConsentRecordFactory, PhoneCitizenFactory

from .factories import MessageFactory, SandboxFaultFactory

NEWS = {"title": "새 캠페인", "text": "12월 선결제 캠페인이 시작됩니다."}


def _send(capture, **kwargs):
    with capture(execute=True):
        return message_send(**kwargs)


def _receipt_context():
    return {
        "shop": "전주콩나물국밥",
        "campaign": "착한 선결제",
        "amount": 100_000,
        "bonus": 5_000,
        "value": 105_000,
        "valid_until": "2027-06-30",
    }


# --- Channels and consents --------------------------------------------------------------------


def test_a_service_message_goes_by_email_and_as_a_kakao_notification(
    city, django_capture_on_commit_callbacks
):
    user = CitizenFactory(phone="01011112222")
    rows = _send(
        django_capture_on_commit_callbacks,
        kind="campaigns.pledge_receipt",
        dedupe_key="t:1",
        context=_receipt_context(),
        user=user,
    )
    assert sorted(r.channel for r in rows) == ["alimtalk", "email"]
    by_channel = {d.channel: d for d in SandboxDelivery.objects.all()}
    assert by_channel["email"].to == user.email
    assert by_channel["alimtalk"].to == "01011112222"
    assert by_channel["alimtalk"].alimtalk_template_id == "JP_PLEDGE_RECEIPT"
    # 100,000 won prepaid plus the shop's 5% bonus: 105,000 won to spend.
    assert "100,000원" in by_channel["email"].body
    assert "105,000원" in by_channel["email"].body
    assert by_channel["email"].subject == "[전주시] 선결제 영수증: 전주콩나물국밥 100,000원"
    assert {r.status for r in Message.objects.all()} == {"sent"}


def test_a_citizen_who_turned_kakao_off_gets_a_text_message_instead(
    city, django_capture_on_commit_callbacks
):
    user = PhoneCitizenFactory()
    ConsentRecordFactory(user=user, item="service_alimtalk", granted=False)
    rows = _send(
        django_capture_on_commit_callbacks,
        kind="campaigns.pledge_receipt",
        dedupe_key="t:2",
        context=_receipt_context(),
        user=user,
    )
    assert [r.channel for r in rows] == ["sms"]
    assert SandboxDelivery.objects.get().channel == "sms"


def test_a_channel_turned_off_is_recorded_as_not_sent(city, django_capture_on_commit_callbacks):
    user = CitizenFactory(phone="")
    ConsentRecordFactory(user=user, item="service_email", granted=False)
    rows = _send(
        django_capture_on_commit_callbacks,
        kind="campaigns.pledge_receipt",
        dedupe_key="t:3",
        context=_receipt_context(),
        user=user,
    )
    assert [(r.channel, r.status) for r in rows] == [("email", "suppressed")]
    assert rows[0].last_error == "channel turned off by the citizen"
    assert not SandboxDelivery.objects.exists()


def test_no_advertising_without_a_current_consent(city, django_capture_on_commit_callbacks):
    user = CitizenFactory(phone="01011113333")
    rows = _send(
        django_capture_on_commit_callbacks,
        kind="messaging.city_news",
        dedupe_key="news:1",
        context=NEWS,
        user=user,
    )
    assert {(r.channel, r.status) for r in rows} == {("email", "suppressed"), ("sms", "suppressed")}
    assert not SandboxDelivery.objects.exists()
    # Someone not signed up never gets advertising.
    rows = _send(
        django_capture_on_commit_callbacks,
        kind="messaging.city_news",
        dedupe_key="news:2",
        context=NEWS,
        phone="01044445555",
    )
    assert [r.status for r in rows] == ["suppressed"]
    assert not SandboxDelivery.objects.exists()


def test_advertising_goes_only_where_consented_and_says_it_is_advertising(
    city, django_capture_on_commit_callbacks
):
    user = CitizenFactory(phone="01011114444")
    ConsentRecordFactory(user=user, item="marketing_sms", granted=True)
    _send(
        django_capture_on_commit_callbacks,
        kind="messaging.city_news",
        dedupe_key="news:3",
        context=NEWS,
        user=user,
    )
    delivery = SandboxDelivery.objects.get()
    assert delivery.channel == "sms"
    assert delivery.to == "01011114444"
    assert delivery.body.startswith("(광고) [전주시] 새 캠페인")
    assert "수신거부" in delivery.body  # how to stop them
    assert Message.objects.get(channel="email").status == "suppressed"


def test_a_withdrawn_consent_stops_advertising(city, django_capture_on_commit_callbacks):
    user = CitizenFactory(phone="01011115555")
    ConsentRecordFactory(user=user, item="marketing_sms", granted=True)
    ConsentRecordFactory(user=user, item="marketing_sms", granted=False)
    _send(
        django_capture_on_commit_callbacks,
        kind="messaging.city_news",
        dedupe_key="news:4",
        context=NEWS,
        user=user,
    )
    assert not SandboxDelivery.objects.exists()


def test_a_message_is_written_in_the_citizens_language(city, django_capture_on_commit_callbacks):
    user = CitizenFactory(phone="", language="en")
    _send(
        django_capture_on_commit_callbacks,
        kind="campaigns.pledge_receipt",
        dedupe_key="t:4",
        context=_receipt_context(),
        user=user,
    )
    delivery = SandboxDelivery.objects.get()
    assert delivery.body.startswith("[전주시] You prepaid 100,000원 to 전주콩나물국밥.")
    assert delivery.subject == "[전주시] Prepayment receipt: 전주콩나물국밥 100,000원"


def test_someone_not_signed_up_can_get_a_service_message(city, django_capture_on_commit_callbacks):
    _send(
        django_capture_on_commit_callbacks,
        kind="vouchers.refund_done",
        dedupe_key="t:5",
        context={"principal": 3_000, "incentive": 0},
        phone="01066667777",
    )
    delivery = SandboxDelivery.objects.get()
    # No KakaoTalk choice recorded for a stranger: the kind's notification talk is used.
    assert (delivery.channel, delivery.to) == ("alimtalk", "01066667777")
    assert "3,000원" in delivery.body


def test_every_kind_has_korean_and_english_texts(city):
    for code in (
        "vouchers.charge_result",
        "vouchers.refund_done",
        "campaigns.pledge_receipt",
        "campaigns.prepaid_expiring",
        "messaging.sign_in_code",
        "messaging.city_news",
    ):
        kind = kind_get(code)
        for variant in kind.templates.values():
            assert variant["ko"].body != variant["en"].body or code == "messaging.city_news"


# --- Once, and retries --------------------------------------------------------------------------


def test_the_same_dedupe_key_is_sent_once(city, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    first = _send(
        django_capture_on_commit_callbacks,
        kind="vouchers.refund_done",
        dedupe_key="refund:77",
        context={"principal": 3_000, "incentive": 0},
        user=user,
    )
    again = _send(
        django_capture_on_commit_callbacks,
        kind="vouchers.refund_done",
        dedupe_key="refund:77",
        context={"principal": 3_000, "incentive": 0},
        user=user,
    )
    assert len(first) == 1
    assert again == []
    assert SandboxDelivery.objects.count() == 1


def test_a_provider_outage_is_retried_and_sent_once(city, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    SandboxFaultFactory(to=user.phone, failures=2, transient=True)
    # Tasks run eagerly here: the task's retries (with their backoff skipped) follow at once.
    _send(
        django_capture_on_commit_callbacks,
        kind="vouchers.refund_done",
        dedupe_key="refund:78",
        context={"principal": 3_000, "incentive": 0},
        user=user,
    )
    message = Message.objects.get()
    assert message.status == "sent"
    assert message.attempts == 3
    assert message.provider == "sandbox"
    assert message.provider_message_id.startswith("sandbox-")
    assert SandboxDelivery.objects.filter(reference=message.dedupe_key).count() == 1


def test_a_refusal_is_not_retried(city, django_capture_on_commit_callbacks):
    user = PhoneCitizenFactory()
    SandboxFaultFactory(to=user.phone, failures=5, transient=False, error_code="InvalidNumber")
    _send(
        django_capture_on_commit_callbacks,
        kind="vouchers.refund_done",
        dedupe_key="refund:79",
        context={"principal": 3_000, "incentive": 0},
        user=user,
    )
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error.startswith("InvalidNumber")
    assert not SandboxDelivery.objects.exists()


def test_an_outage_longer_than_the_tries_fails_the_message(
    city, django_capture_on_commit_callbacks, settings
):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    user = PhoneCitizenFactory()
    SandboxFaultFactory(to=user.phone, failures=10)
    _send(
        django_capture_on_commit_callbacks,
        kind="vouchers.refund_done",
        dedupe_key="refund:80",
        context={"principal": 3_000, "incentive": 0},
        user=user,
    )
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("failed", 3)
    assert not SandboxDelivery.objects.exists()


def test_delivery_retries_with_exponential_backoff(city, settings):
    settings.MESSAGING_RETRY_BASE_SECONDS = 30
    settings.MESSAGING_RETRY_MAX_SECONDS = 3600
    message = MessageFactory()
    SandboxFaultFactory(to=message.to, failures=1)
    with pytest.raises(RetryLater) as retry:
        message_deliver(message_id=message.pk)
    assert 30 <= retry.value.countdown < 60  # 30 s after the first try, plus up to 30 s jitter
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("retrying", 1)
    # 30, 60, 120, 240 ... capped at an hour.
    assert [retry_countdown(n) // 30 * 30 for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert 3600 <= retry_countdown(20) < 3630


def test_a_message_is_never_delivered_twice(city):
    message = MessageFactory()
    assert message_deliver(message_id=message.pk).status == "sent"
    # The same task delivered again (a broker's redelivery), and a second worker.
    assert message_deliver(message_id=message.pk).status == "sent"
    assert message_deliver(message_id=message.pk).attempts == 1
    assert SandboxDelivery.objects.filter(reference=message.dedupe_key).count() == 1


def test_a_message_held_by_another_worker_is_left_alone(city):
    message = MessageFactory(status=Message.Status.SENDING, attempts=1)
    assert message_deliver(message_id=message.pk).status == "sending"
    assert not SandboxDelivery.objects.exists()


def test_suppressed_and_uncertain_messages_are_never_sent(city):
    for status in ("suppressed", "uncertain", "failed"):
        message = MessageFactory(status=status)
        message_deliver(message_id=message.pk)
    assert not SandboxDelivery.objects.exists()


def test_a_sign_in_code_is_hidden_in_the_record_once_delivered(
    city, django_capture_on_commit_callbacks
):
    user = PhoneCitizenFactory()
    _send(
        django_capture_on_commit_callbacks,
        kind="messaging.sign_in_code",
        dedupe_key="code:1",
        context={"code": "482913"},
        user=user,
        phone=user.phone,
    )
    message = Message.objects.get()
    assert "482913" not in message.body
    assert "******" in message.body
    assert "482913" in SandboxDelivery.objects.get().body  # the sandbox shows what was sent
