"""The demo: consents for the demo citizens, a phone-only citizen, the city's news only where
advertising was agreed to, and all of it idempotent."""

from __future__ import annotations

from accounts import demo as accounts_demo
from accounts.models import ConsentRecord, User
from jeonju_prepay.demo import DemoContext
from messaging import demo as messaging_demo
from messaging.models import Message, SandboxDelivery


def _seed(city, django_capture_on_commit_callbacks):
    ctx = DemoContext(city=city)
    with django_capture_on_commit_callbacks(execute=True):
        accounts_demo.seed(ctx)
        messaging_demo.seed(ctx)
    return ctx


def test_the_demo_has_a_phone_only_citizen_consents_and_news_where_agreed(
    city, django_capture_on_commit_callbacks
):
    ctx = _seed(city, django_capture_on_commit_callbacks)
    grandma = User.objects.get(phone="01055550100")
    assert grandma.email is None
    assert grandma.created_by.email == "staff@demo.kr"
    assert any("010-5555-0100" in note for note in ctx.notes)
    assert ConsentRecord.objects.filter(user__email="citizen@demo.kr", item="terms").exists()
    news = SandboxDelivery.objects.filter(kind="messaging.city_news")
    # citizen@demo.kr agreed by email; citizen2 and the phone-only citizen by text message.
    assert sorted(news.values_list("channel", "to")) == [
        ("email", "citizen@demo.kr"),
        ("sms", "01055550002"),
        ("sms", "01055550100"),
    ]
    assert Message.objects.filter(kind="messaging.city_news", status="suppressed").exists()


def test_seeding_the_demo_again_adds_nothing(city, django_capture_on_commit_callbacks):
    _seed(city, django_capture_on_commit_callbacks)
    counts = (ConsentRecord.objects.count(), Message.objects.count(), User.objects.count())
    _seed(city, django_capture_on_commit_callbacks)
    assert (ConsentRecord.objects.count(), Message.objects.count(), User.objects.count()) == counts
