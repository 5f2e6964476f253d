"""The SOLAPI provider against a local server that keeps SOLAPI's published contract
(tests/messaging/fake_solapi.py): the signed request, the answers, errors and timeouts; and a
message through it from its row, retried after a server error and sent once."""

from __future__ import annotations

import pytest

from messaging.models import Message
from messaging.providers import Outbound, ProviderError, ProviderUncertainError
from messaging.providers.solapi import SolapiProvider
from messaging.services import RetryLater, message_deliver

from . import fake_solapi
from .factories import MessageFactory
from .fake_solapi import FakeSolapi, closed_port


@pytest.fixture
def fake():
    with FakeSolapi() as server:
        yield server


def provider(fake, **overrides):
    options = {
        "api_key": fake_solapi.API_KEY,
        "api_secret": fake_solapi.API_SECRET,
        "sender": fake_solapi.SENDER,
        "pf_id": fake_solapi.PF_ID,
        "base_url": fake.base_url,
        "timeout": 1.0,
    }
    options.update(overrides)
    return SolapiProvider(**options)


SMS = Outbound(
    channel="sms", to="01012345678", body="[전주시] 인증번호 123456", reference="k:1:sms"
)


def test_a_text_message_is_signed_and_accepted(fake):
    result = provider(fake).send(SMS)
    assert result.provider_message_id == "M4V00000000000000000001"
    sent = fake.accepted[0]
    assert (sent["to"], sent["from"], sent["text"]) == (
        "01012345678",
        fake_solapi.SENDER,
        "[전주시] 인증번호 123456",
    )
    assert sent["customFields"] == {"ref": "k:1:sms"}
    assert "type" not in sent  # SOLAPI picks SMS or LMS by length


def test_a_notification_talk_names_the_channel_and_template_and_falls_back_to_sms(fake):
    provider(fake).send(
        Outbound(
            channel="alimtalk",
            to="01012345678",
            body="[전주시] 영수증",
            alimtalk_template_id="JP_PLEDGE_RECEIPT",
        )
    )
    sent = fake.accepted[0]
    assert sent["type"] == "ATA"
    assert sent["kakaoOptions"] == {
        "pfId": fake_solapi.PF_ID,
        "templateId": "JP_PLEDGE_RECEIPT",
        "disableSms": False,
    }


def test_each_request_has_its_own_signature(fake):
    # Two sends within one second: a reused salt would be refused as DuplicatedSignature.
    p = provider(fake)
    p.send(SMS)
    p.send(SMS)
    assert len(fake.accepted) == 2
    assert len(fake.seen_signatures) == 2


def test_a_wrong_secret_is_a_final_refusal(fake):
    with pytest.raises(ProviderError) as refused:
        provider(fake, api_secret="not-the-secret-0000000000000000").send(SMS)
    assert refused.value.code == "SignatureDoesNotMatch"
    assert not refused.value.transient
    assert fake.accepted == []


def test_a_wrong_key_is_a_final_refusal(fake):
    with pytest.raises(ProviderError) as refused:
        provider(fake, api_key="NCSWRONGKEY00000").send(SMS)
    assert refused.value.code == "InvalidAPIKey"
    assert not refused.value.transient


@pytest.mark.parametrize(
    ("action", "code", "transient"),
    [
        ("500", "InternalError", True),
        ("429", "TooManyRequests", True),
        ("invalid", "ValidationError", False),
    ],
)
def test_error_answers_are_told_apart(fake, action, code, transient):
    fake.script = [action]
    with pytest.raises(ProviderError) as failed:
        provider(fake).send(SMS)
    assert (failed.value.code, failed.value.transient) == (code, transient)
    assert fake.accepted == []


def test_an_unregistered_sender_is_refused(fake):
    with pytest.raises(ProviderError) as refused:
        provider(fake, sender="01099999999").send(SMS)
    assert refused.value.code == "ValidationError"
    assert not refused.value.transient


def test_no_answer_after_sending_is_uncertain_not_failed(fake):
    fake.script = ["slow"]
    fake.slow_seconds = 2.0
    with pytest.raises(ProviderUncertainError):
        provider(fake, timeout=0.5).send(SMS)


def test_a_refused_connection_is_retried(fake):
    with pytest.raises(ProviderError) as failed:
        provider(fake, base_url=f"http://127.0.0.1:{closed_port()}").send(SMS)
    assert failed.value.transient
    assert not isinstance(failed.value, ProviderUncertainError)


# --- Through the message row -------------------------------------------------------------------


@pytest.fixture
def solapi_settings(settings, fake):
    settings.MESSAGING_SMS_PROVIDER = "solapi"
    settings.SOLAPI_API_KEY = fake_solapi.API_KEY
    settings.SOLAPI_API_SECRET = fake_solapi.API_SECRET
    settings.SOLAPI_SENDER = fake_solapi.SENDER
    settings.SOLAPI_PF_ID = fake_solapi.PF_ID
    settings.SOLAPI_BASE_URL = fake.base_url
    settings.SOLAPI_TIMEOUT = 0.5
    return settings


def test_a_server_error_is_retried_and_the_message_sent_once(city, fake, solapi_settings):
    fake.script = ["500"]
    message = MessageFactory()
    with pytest.raises(RetryLater):
        message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("retrying", 1)
    assert message.last_error.startswith("InternalError")
    assert message_deliver(message_id=message.pk).status == "sent"
    # Delivered again by a stray redelivery: nothing more reaches SOLAPI.
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.attempts, message.provider) == (2, "solapi")
    assert message.provider_message_id == "M4V00000000000000000001"
    assert len(fake.accepted) == 1


def test_a_message_whose_answer_never_came_is_not_sent_again(city, fake, solapi_settings):
    fake.script = ["slow"]
    message = MessageFactory()
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Message.Status.UNCERTAIN
    message_deliver(message_id=message.pk)  # no automatic second try
    assert len(fake.requests) == 1
