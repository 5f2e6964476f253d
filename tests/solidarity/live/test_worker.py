"""A real Celery worker (a subprocess, against Redis) sends every solidarity message: each
service's ``on_commit`` line queues the task through the broker, the worker runs it in the
city's schema and the sandbox provider records one delivery per message. A provider outage on
one of them is retried by the worker and the message still goes once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from campaigns.models import Membership
from ledger.services import Idem
from messaging.models import Message, SandboxDelivery
from solidarity.models import Gift
from solidarity.services import donation_give, gifts_return_expired, relay_nominate
from tests.accounts.factories import CitizenFactory
from tests.campaigns.factories import CampaignFactory, OrganisationFactory, PhaseFactory
from tests.messaging.factories import SandboxFaultFactory
from tests.messaging.live.test_worker import _wait_for, worker  # noqa: F401  (the fixture)
from tests.solidarity.factories import give, solidarity_policy, with_pin
from tests.vouchers.conftest import charge

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


def test_a_real_worker_sends_every_solidarity_message_once(live_city, worker):  # noqa: F811
    process, log = worker
    solidarity_policy()
    sender = with_pin(CitizenFactory(phone="01030100001"))
    family = CitizenFactory(phone="01030100002")
    charge(sender, 200_000)

    give(sender, family.email, 20_000)  # received at once
    SandboxFaultFactory(to="01030100099", failures=2, transient=True)
    give(sender, "010-3010-0099", 10_000)  # waits, told by notification talk (after an outage)
    away = give(sender, "away@example.kr", 5_000).body["gift_id"]  # waits, told by email

    def told():
        return Message.objects.filter(kind="solidarity.gift_waiting", status="sent").count() == 2

    _wait_for(process, log, told)
    # 30 days pass for the one to away@example.kr only: the nightly step returns it.
    Gift.objects.filter(pk=away).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert gifts_return_expired() == (1, 5_000)
    donation_give(user=sender, amount=7_000, idem=Idem.of(f"user:{sender.pk}", "d", 7_000))

    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    city_hall, bank = OrganisationFactory(), OrganisationFactory()
    city_hall.campaigns.add(campaign)
    Membership.objects.create(organisation=city_hall, user=sender)
    teller = CitizenFactory(phone="01030100003")
    Membership.objects.create(organisation=bank, user=teller)
    relay_nominate(
        campaign=campaign, nominator=city_hall, nominee=bank, message="다음은 은행!", by=sender
    )

    expected = {
        "vouchers.charge_result": 2,
        "solidarity.gift_received": 2,  # email and notification talk
        "solidarity.gift_waiting": 2,  # one by notification talk, one by email
        "solidarity.gift_returned": 2,
        "solidarity.donation_thanks": 2,
        "solidarity.relay_invitation": 2,
    }

    def done():
        sent = Counter(Message.objects.filter(status="sent").values_list("kind", flat=True))
        return all(sent[kind] >= n for kind, n in expected.items())

    output = _wait_for(process, log, done)
    sent = Counter(Message.objects.filter(status="sent").values_list("kind", flat=True))
    assert dict(sent) == expected, (
        list(Message.objects.values_list("kind", "channel", "status", "attempts", "last_error")),
        output[-4000:],
    )
    references = Counter(SandboxDelivery.objects.values_list("reference", flat=True))
    assert len(references) == sum(expected.values())
    assert set(references.values()) == {1}
    waiting = Message.objects.get(kind="solidarity.gift_waiting", to="01030100099")
    assert waiting.attempts == 3  # two failures, retried by the worker, then sent
    assert "retry in" in output
    assert "solidarity.tasks.relay_invitation_send" in output
    assert "messaging.tasks.message_prepare" in output
