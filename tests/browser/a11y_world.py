"""A city with a person of every role and an object behind every page, for the accessibility run.

Built in a live city (committed data, served to Chromium) through the services and factories, so
each page shows what it shows in use: a wallet with a charge, a payment, a declined charge and
one waiting; a pledge, a card pledge paid and one waiting; a shop with a clerk, a device, an
invitation and a statement; a pending shop to review; a campaign with a members-only phase; a
landlord with a proposed and a verified agreement; the city's districts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from campaigns.models import Pledge
from campaigns.services import pledge_with_card
from districts.data import KNOWN
from districts.services import districts_load
from ledger.services import business_date_today
from merchants.services import clerk_invite
from rentals.services import agreement_sign, agreement_verify
from tests.accounts.factories import (
    CitizenFactory,
    ClerkFactory,
    LandlordFactory,
    OwnerFactory,
    StaffFactory,
)
from tests.browser.helpers import wallet_policy_and_budget
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignShopFactory,
    OrganisationFactory,
    PhaseFactory,
)
from tests.merchants.factories import ShopFactory, add_clerk, device_for
from tests.rentals.factories import AgreementFactory, LeaseFactory, PropertyFactory
from tests.vouchers.conftest import charge, pay
from vouchers.models import Charge, Payment
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_create, pin_set

PIN = "123456"


@dataclass
class A11yWorld:
    users: dict = field(default_factory=dict)  # role -> User
    shop: object = None
    pending_shop: object = None
    campaign: object = None
    charge: object = None
    failed_charge: object = None
    waiting_charge: object = None
    card_pledge: object = None
    waiting_pledge: object = None
    payment: object = None
    pledge: object = None
    invitation_token: str = ""
    property: object = None
    lease: object = None
    proposed: object = None
    verified: object = None

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def build_a11y_world() -> A11yWorld:
    world = A11yWorld()
    staff = StaffFactory(email="staff@a11y.kr", name="박직원")
    wallet_policy_and_budget(staff)
    districts_load(rows=KNOWN["jeonju"])

    citizen = CitizenFactory(email="citizen@a11y.kr", name="김민수")
    pin_set(user=citizen, pin=PIN, password="test-pass-1234")
    owner = OwnerFactory(email="owner@a11y.kr", name="이사장")
    shop = ShopFactory(owner=owner, name="풍남문 커피", district="풍남동", category="cafe")
    clerk = add_clerk(shop, ClerkFactory(email="clerk@a11y.kr", name="최점원"))
    device_for(shop, name="계산대 1")
    world.invitation_token = clerk_invite(shop=shop, by=owner, email="new-clerk@a11y.kr")
    world.pending_shop = ShopFactory(name="송천동 세탁소", status="pending", category="laundry")

    world.charge = charge(citizen, 300_000)
    world.payment = Payment.objects.get(pk=pay(citizen, shop, 12_000)["payment_id"])
    declined, _url = charge_create(user=citizen, amount=50_000)
    Charge.objects.filter(pk=declined.pk).update(status="failed", failure_reason="payment.failed")
    world.failed_charge = declined
    world.waiting_charge, _url = charge_create(user=citizen, amount=20_000)

    today = business_date_today()
    campaign = CampaignFactory(name="전주 착한 선결제 운동", target_participants=50_000)
    PhaseFactory(campaign=campaign, number=1, name="1단계 (모든 시민)")
    organisation = OrganisationFactory(name="전주시청")
    organisation.campaigns.add(campaign)
    CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=1000)
    CampaignShopFactory(campaign=campaign, shop=ShopFactory(name="남부시장 빵집"), bonus_bp=0)
    world.pledge = Pledge.objects.get(pk=pledge(citizen, campaign, shop, 100_000)["pledge_id"])
    world.card_pledge, _url = pledge_with_card(
        user=citizen, campaign=campaign, shop=shop, amount=100_000
    )
    assert world.card_pledge.charge is not None
    sandbox_approve(world.card_pledge.charge.order_id)
    world.waiting_pledge, _url = pledge_with_card(
        user=citizen, campaign=campaign, shop=shop, amount=100_000
    )
    world.campaign = campaign

    landlord = LandlordFactory(email="landlord@a11y.kr", name="최영호")
    world.property = PropertyFactory(landlord=landlord, district="풍남동")
    world.lease = LeaseFactory(
        property=world.property,
        tenant_shop=shop,
        start_date=today - dt.timedelta(days=365),
        end_date=today + dt.timedelta(days=365),
    )
    world.proposed = AgreementFactory(lease=world.lease, start_date=today.replace(day=1))
    other_lease = LeaseFactory(
        property=PropertyFactory(landlord=landlord, district="중앙동"),
        tenant_shop=ShopFactory(name="경기전 한지공방"),
        start_date=today - dt.timedelta(days=700),
        end_date=today - dt.timedelta(days=10),
    )
    verified = AgreementFactory(
        lease=other_lease, start_date=(today - dt.timedelta(days=400)).replace(day=1)
    )
    agreement_sign(
        agreement=verified, by=other_lease.tenant_shop.owner, terms_hash=verified.terms_hash
    )
    world.verified = agreement_verify(agreement=verified, by=staff) or verified
    world.verified.refresh_from_db()

    world.shop = shop
    world.users = {
        "citizen": citizen,
        "owner": owner,
        "clerk": clerk,
        "landlord": landlord,
        "staff": staff,
    }
    return world
