"""Relay challenges: passing the baton, the invitation, joining, and the tree on the pages."""

import pytest

from campaigns.models import Membership
from messaging.models import Message
from solidarity.exceptions import RelayError
from solidarity.models import RelayNomination
from solidarity.selectors import relay_tree
from solidarity.services import relay_join, relay_nominate
from tests.accounts.factories import CitizenFactory
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignShopFactory,
    OrganisationFactory,
    PhaseFactory,
)
from tests.merchants.factories import ShopFactory
from tests.solidarity.factories import solidarity_policy, with_pin
from tests.vouchers.conftest import charge

pytestmark = pytest.mark.django_db


def member(org, user=None):
    user = user or CitizenFactory()
    Membership.objects.create(organisation=org, user=user)
    return user


@pytest.fixture
def relay(city, budget, django_capture_on_commit_callbacks):
    solidarity_policy()
    budget()
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    city_hall, bank, school = (OrganisationFactory(name=n) for n in ("시청", "은행", "학교"))
    city_hall.campaigns.add(campaign)
    mayor = with_pin(member(city_hall))
    charge(mayor, 300_000)
    pledge(mayor, campaign, shop, 200_000)
    return campaign, city_hall, bank, school, mayor


def test_passing_the_baton_invites_the_members_and_they_join(
    relay, django_capture_on_commit_callbacks
):
    campaign, city_hall, bank, school, mayor = relay
    teller = member(bank)
    member(bank)
    with django_capture_on_commit_callbacks(execute=True):
        nomination = relay_nominate(
            campaign=campaign, nominator=city_hall, nominee=bank, message="다음은 은행!", by=mayor
        )
    # One invitation to each of the bank's two members (email and notification talk each).
    invited = Message.objects.filter(kind="solidarity.relay_invitation")
    assert sorted(set(invited.values_list("user_id", flat=True))) == sorted(
        bank.memberships.values_list("user_id", flat=True)
    )
    assert "다음은 은행!" in invited.first().body
    with pytest.raises(RelayError):
        relay_join(nomination_id=nomination.pk, by=mayor)  # not a member of the bank
    joined = relay_join(nomination_id=nomination.pk, by=teller)
    assert joined.status == "joined"
    assert campaign in bank.campaigns.all()
    assert relay_join(nomination_id=nomination.pk, by=teller).status == "joined"  # once
    # The bank passes it on; the school is invited, not joined yet.
    relay_nominate(
        campaign=campaign, nominator=bank, nominee=school, message="학교 차례", by=teller
    )
    tree = relay_tree(campaign=campaign)
    assert [n.name for n in tree] == ["시청"]
    root = tree[0]
    assert (root.participants, root.pledged) == (1, 200_000)
    assert [c.name for c in root.children] == ["은행"]
    assert [c.name for c in root.children[0].children] == ["학교"]
    assert root.children[0].children[0].joined is False
    assert root.children[0].nomination.message == "다음은 은행!"


@pytest.mark.parametrize("case", ["not_member", "not_joined", "self", "joined", "twice", "empty"])
def test_refusals_write_nothing_but_the_first(relay, case):
    campaign, city_hall, bank, school, mayor = relay
    kwargs = {
        "campaign": campaign,
        "nominator": city_hall,
        "nominee": bank,
        "message": "바통",
        "by": mayor,
    }
    if case == "not_member":
        kwargs["by"] = CitizenFactory()
    elif case == "not_joined":
        kwargs.update(nominator=school, by=member(school))
    elif case == "self":
        kwargs["nominee"] = city_hall
    elif case == "joined":
        bank.campaigns.add(campaign)
    elif case == "twice":
        other = OrganisationFactory()
        other.campaigns.add(campaign)
        relay_nominate(
            campaign=campaign, nominator=other, nominee=bank, message="먼저", by=member(other)
        )
    elif case == "empty":
        kwargs["message"] = "  "
    before = RelayNomination.objects.count()
    with pytest.raises(RelayError):
        relay_nominate(**kwargs)
    assert RelayNomination.objects.count() == before


def test_the_pages_show_the_tree_and_take_the_baton(relay, client_for):
    campaign, city_hall, bank, _school, mayor = relay
    assert client_for(None).get(f"/solidarity/relay/{campaign.pk}/").status_code == 302
    page = client_for(CitizenFactory()).get(f"/solidarity/relay/{campaign.pk}/")
    assert page.status_code == 200
    assert "시청" in page.content.decode()
    response = client_for(mayor).post(
        f"/solidarity/relay/{campaign.pk}/",
        {"nominator": city_hall.pk, "nominee": bank.pk, "message": "은행도 함께해요"},
    )
    assert response.status_code == 302
    teller = member(bank)
    invitation = client_for(teller).get(f"/solidarity/relay/{campaign.pk}/")
    assert "은행도 함께해요" in invitation.content.decode()
    nomination = RelayNomination.objects.get()
    joined = client_for(teller).post(f"/solidarity/relay/invitations/{nomination.pk}/join")
    assert joined.status_code == 302
    tree = client_for(mayor).get(f"/solidarity/relay/{campaign.pk}/tree").content.decode()
    assert "은행" in tree
    assert "은행도 함께해요" in tree
    campaign_page = client_for(mayor).get(f"/campaigns/{campaign.pk}/")
    assert f"/solidarity/relay/{campaign.pk}/tree" in campaign_page.content.decode()
    bad = client_for(mayor).post(
        f"/solidarity/relay/{campaign.pk}/", {"nominator": city_hall.pk, "nominee": "x"}
    )
    assert bad.status_code == 400
