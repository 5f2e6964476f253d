"""The sandbox outbox page: shown while the sandbox is in use and DEBUG is on (make run), or when
MESSAGING_SANDBOX_PAGE says so; never otherwise."""

from __future__ import annotations

from tests.messaging.factories import MessageFactory


def test_the_outbox_shows_what_the_sandbox_sent_under_debug(city_client, settings):
    from messaging.services import message_deliver

    settings.DEBUG = True
    settings.MESSAGING_SANDBOX_PAGE = None
    message = MessageFactory(body="[전주시] 로그인 인증번호 482913")
    message_deliver(message_id=message.pk)
    response = city_client.get("/messages/sandbox/")
    assert response.status_code == 200
    assert "482913" in response.content.decode()


def test_no_outbox_without_debug_or_with_a_real_provider(city_client, settings):
    settings.DEBUG = False
    settings.MESSAGING_SANDBOX_PAGE = None
    assert city_client.get("/messages/sandbox/").status_code == 404
    settings.DEBUG = True
    settings.MESSAGING_SMS_PROVIDER = "solapi"
    settings.MESSAGING_EMAIL_PROVIDER = "django"
    assert city_client.get("/messages/sandbox/").status_code == 404
