import factory

from messaging.models import Message, SandboxFault
from tests.accounts.factories import CitizenFactory


class SandboxFaultFactory(factory.django.DjangoModelFactory):
    """The next ``failures`` sends to ``to`` fail (an outage unless ``transient=False``)."""

    class Meta:
        model = SandboxFault

    to = factory.Sequence(lambda n: f"0107{n:07d}")
    failures = 1
    transient = True


class MessageFactory(factory.django.DjangoModelFactory):
    """A queued text message, as ``message_send`` writes one."""

    class Meta:
        model = Message

    kind = "messaging.city_news"
    category = Message.Category.SERVICE
    channel = Message.Channel.SMS
    user = factory.SubFactory(CitizenFactory)
    to = factory.Sequence(lambda n: f"0106{n:07d}")
    body = "안녕하세요"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}:sms")
    status = Message.Status.QUEUED
