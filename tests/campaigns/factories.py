import datetime as dt

import factory

from campaigns.models import Campaign, CampaignShop, Organisation, Phase


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"착한 선결제 {n}")
    starts_on = dt.date(2020, 1, 1)
    ends_on = dt.date(2030, 12, 31)
    target_participants = 50_000
    target_amount = 5_000_000_000
    min_pledge = 100_000
    max_pledge = 300_000
    max_per_citizen = 300_000
    validity_days = 365


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    campaign = factory.SubFactory(CampaignFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = "2단계 (모든 시민)"
    starts_on = factory.SelfAttribute("campaign.starts_on")
    ends_on = factory.SelfAttribute("campaign.ends_on")
    members_only = False


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"기관 {n}")
    kind = "public_body"
    invite_code = factory.Sequence(lambda n: f"ORG{n:05d}")


class CampaignShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignShop

    campaign = factory.SubFactory(CampaignFactory)
    shop = factory.SubFactory("tests.merchants.factories.ShopFactory")
    bonus_bp = 0
