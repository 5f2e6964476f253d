"""Factories of the city-without-dismissal programme. Declarations are made through the real
signing services, so their text, fingerprint and signatures are the real ones."""

from __future__ import annotations

import datetime as dt

import factory

from merchants import brn
from tests.accounts.factories import CitizenFactory, StaffFactory
from workplaces import services
from workplaces.models import PledgeRound, Workplace

TEXT = "우리는 위기 동안 해고 없이 일자리를 지킵니다.\n노사민정이 함께 선언합니다."


class RoundFactory(factory.django.DjangoModelFactory):
    """A published round for 2021: 100,000 won premium + 30,000 won loan interest support per
    retained worker a month, 10% tolerance."""

    class Meta:
        model = PledgeRound

    title = factory.Sequence(lambda n: f"2021 해고 없는 도시 {n}차")
    text = TEXT
    starts_on = dt.date(2021, 1, 1)
    ends_on = dt.date(2021, 12, 31)
    tolerance_bp = 1000
    premium_support = 100_000
    loan_interest_support = 30_000
    created_by = factory.SubFactory(StaffFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        pledge_round = super()._create(model_class, *args, **kwargs)
        return services.round_publish(by=pledge_round.created_by, pledge_round=pledge_round)


class WorkplaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workplace

    owner = factory.SubFactory(CitizenFactory)
    name = factory.Sequence(lambda n: f"전주제작소 {n}")
    business_number = factory.Sequence(
        lambda n: brn.with_check_digit(f"{402 + n // 9999 % 400:03d}86{n % 9999 + 1:04d}")
    )
    address = factory.Sequence(lambda n: f"전주시 덕진구 팔복로 {n}")
    district = "풍남동"
    industry = Workplace.Industry.MANUFACTURING
    size = Workplace.Size.SMALL
    baseline_headcount = 25


def declaration_verified(*, workplace=None, pledge_round=None, staff=None):
    """A declaration signed by the employer and the representative, verified by staff."""
    workplace = workplace or WorkplaceFactory()
    pledge_round = pledge_round or RoundFactory()
    representative = CitizenFactory()
    declaration = services.declaration_sign_employer(
        employer=workplace.owner,
        workplace=workplace,
        pledge_round=pledge_round,
        representative_email=representative.email,
        text_hash=pledge_round.text_hash,
        consent=True,
    )
    services.declaration_sign_representative(
        by=representative, declaration=declaration, text_hash=declaration.text_hash, consent=True
    )
    return services.declaration_verify(by=staff or StaffFactory(), declaration=declaration)
