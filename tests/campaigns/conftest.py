import pytest

from ledger.models import Account
from ledger.services import Idem
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.merchants.factories import ShopFactory


@pytest.fixture
def campaign(city):
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign, number=1)
    return campaign


@pytest.fixture
def shop(campaign):
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    return shop


def pledge(user, campaign, shop, amount, key=None, pin="123456"):
    from campaigns.services import pledge_with_wallet

    key = key or f"pledge-{user.pk}-{shop.pk}-{amount}-{pledge.n}"
    pledge.n += 1
    return pledge_with_wallet(
        user=user,
        campaign=campaign,
        shop=shop,
        amount=amount,
        pin=pin,
        idem=Idem.of(f"user:{user.pk}", key, "pledge", campaign.pk, shop.pk, amount),
    ).body


pledge.n = 0


def prepaid(user, shop):
    return int(
        Account.objects.filter(kind="prepaid", owner_user=user, owner_shop_id=shop.pk)
        .values_list("balance", flat=True)
        .first()
        or 0
    )


def redeem(user, shop, amount, key=None, wallet_amount=None):
    from campaigns.services import prepaid_redeem

    key = key or f"redeem-{user.pk}-{shop.pk}-{amount}-{redeem.n}"
    redeem.n += 1
    return prepaid_redeem(
        user=user,
        shop=shop,
        amount=amount,
        wallet_amount=wallet_amount,
        idem=Idem.of(f"user:{user.pk}", key, "redeem", shop.pk, amount, wallet_amount),
    ).body


redeem.n = 0
