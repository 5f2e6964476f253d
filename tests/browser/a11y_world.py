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
from cards.models import Desk
from cards.services import batch_create, card_issue, desk_charge
from districts.data import KNOWN
from districts.services import districts_load
from ledger.services import Idem, business_date_today
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
from tests.workplaces.factories import RoundFactory, WorkplaceFactory
from vouchers.models import Charge, Payment
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_create, pin_set
from workplaces.services import (
    ReportInput,
    declaration_sign_employer,
    declaration_sign_representative,
    declaration_verify,
    help_request_create,
    report_file,
)

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
    workplace: object = None
    declaration: object = None
    case: object = None
    help_request: object = None
    sale: object = None  # open, first come: the citizen holds a ticket
    lottery: object = None  # open, by lottery: the citizen has not applied
    grant_programme: object = None
    grant_application: object = None
    fraud_case: object = None

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

    # Cards, notes and a desk where the staff member serves.
    world.desk = Desk.objects.create(kind=Desk.Kind.BANK_BRANCH, name="전북은행 전주지점")
    world.desk.staff.add(staff)
    # A second desk, so that the desk list is a page rather than a redirect to the only desk.
    Desk.objects.create(kind=Desk.Kind.COMMUNITY_CENTRE, name="풍남동 행정복지센터").staff.add(
        staff
    )
    world.desk_citizen = CitizenFactory(email="desk-citizen@a11y.kr", name="한할매")
    card_issue(user=world.desk_citizen, by=staff, pin="123456", desk=world.desk)
    world.desk_charge_id = desk_charge(
        desk=world.desk,
        staff=staff,
        user=world.desk_citizen,
        amount=20_000,
        method="cash",
        idem=Idem.of("a11y", "desk-charge", 1),
    ).body["charge_id"]
    world.batch = batch_create(
        by=staff, face_value=5_000, count=3, expires_on=dt.date(2035, 12, 31)
    )
    # City without dismissal: the owner's workplace, co-signed by the citizen, verified, with a
    # dismissal case; a request for help by the citizen.
    world.workplace = WorkplaceFactory(owner=owner, name="송천 제작소")
    pledge_round = RoundFactory(created_by=staff)
    world.declaration = declaration_sign_employer(
        employer=owner,
        workplace=world.workplace,
        pledge_round=pledge_round,
        representative_email=citizen.email,
        text_hash=pledge_round.text_hash,
        consent=True,
    )
    declaration_sign_representative(
        by=citizen,
        declaration=world.declaration,
        text_hash=world.declaration.text_hash,
        consent=True,
    )
    declaration_verify(by=staff, declaration=world.declaration)
    world.case = report_file(
        by=owner,
        declaration=world.declaration,
        data=ReportInput(month=dt.date(2021, 3, 1), headcount=24, dismissals=1),
    ).cases.get()
    world.help_request = help_request_create(
        worker=citizen, former_workplace="완산상사", wanted_industry="food"
    )
    world.sale, world.lottery = _sales(citizen)
    # A grant paid to the citizen (and shown in the wallet), with its evidence.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grants.services import APPROVE, application_decide, document_add, grants_pay
    from tests.grants.factories import apply, jeonju_2020

    world.grant_programme = jeonju_2020(staff, budget=527_158 * 10)
    world.grant_application = apply(world.grant_programme, citizen)
    document_add(
        application=world.grant_application,
        by=citizen,
        label="근로계약서",
        upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )
    application_decide(application=world.grant_application, by=staff, decision=APPROVE)
    grants_pay(programme=world.grant_programme, by=staff)
    apply(world.grant_programme, CitizenFactory(name="정신청"))  # one waiting in the queue

    world.shop = shop
    world.fraud_case = _fraud_case(shop, world.payment)
    world.users = {
        "citizen": citizen,
        "owner": owner,
        "clerk": clerk,
        "landlord": landlord,
        "staff": staff,
    }
    return world


def _sales(citizen):
    from django.utils import timezone

    from sales.services import sale_create, ticket_issue

    now = timezone.now()
    common = {
        "by": None,
        "amount": 10_000_000,
        "incentive_bp": 1000,
        "per_person_limit": 200_000,
        "opens_at": now - dt.timedelta(minutes=5),
        "closes_at": now + dt.timedelta(days=1),
    }
    sale = sale_create(name="설맞이 할인 판매", mode="fcfs", **common)
    ticket_issue(sale_id=sale.pk, user=citizen, amount=100_000)
    lottery = sale_create(name="추첨 할인 판매", mode="lottery", **common)
    return sale, lottery


def _fraud_case(shop, payment):
    """An open cash-out case on the shop, as the nightly step writes one."""

    from fraud.models import Case

    signal = {
        "kind": "off_hours",
        "text": "가게 결제의 80%(1,200,000원, 9건)가 0시에서 6시 사이에 있었습니다.",
        "evidence": {},
        "payments": [payment.pk],
        "weight": 1,
    }
    from django.utils import timezone

    today = timezone.localdate()
    return Case.objects.create(
        subject="shop", shop=shop, score=2, signals=[signal, {**signal, "kind": "round"}],
        shops=[shop.pk], citizens=[payment.user_id], first_date=today, last_date=today,
    )  # fmt: skip
