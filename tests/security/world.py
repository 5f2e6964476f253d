"""One small city with a person of every role and an object of each, for the security tests.

Jeonju (the test city) gets: citizens A and B with charged wallets and PINs, A's charge, payment
and pledge; shop X (owner, clerk, counter device, a pending clerk invitation) and shop Y (owner,
device); a landlord whose agreement has shop X as tenant, and a second landlord; city staff.
Wanju (the other city) gets one member of city staff. Everything is made through the services
(or the factories that call them), so the objects are the real thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from rest_framework.authtoken.models import Token

from campaigns.models import Pledge
from cards.models import Desk
from cards.services import batch_create, card_issue
from districts.models import District
from ledger.models import Account, Entry, Posting
from ledger.selectors import ledger_check
from merchants.services import clerk_invite
from tests.accounts.factories import (
    CitizenFactory,
    ClerkFactory,
    LandlordFactory,
    OwnerFactory,
    StaffFactory,
)
from tests.campaigns.conftest import pledge
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.grants.factories import apply, jeonju_2020
from tests.merchants.factories import ShopFactory, add_clerk, device_for
from tests.rentals.factories import AgreementFactory, LeaseFactory, PropertyFactory
from tests.vouchers.conftest import charge, pay
from tests.workplaces.factories import WorkplaceFactory, declaration_verified
from vouchers.models import Payment
from vouchers.services import budget_fund, discrepancy_flag, pin_set, policy_set
from workplaces.services import (
    ReportInput,
    evidence_upload,
    help_request_create,
    report_file,
    worker_report_file,
)

PIN = "123456"

# The people of the matrix. Devices are counter devices (API only); ``other_staff`` is city staff
# of wanju, signed in on wanju's host; ``other_creds`` replays that person's wanju session cookie
# and API token against jeonju's host.
PERSONAS = (
    "anonymous",
    "citizen_a",
    "citizen_b",
    "clerk_x",
    "owner_x",
    "owner_y",
    "landlord",
    "landlord_b",
    "staff",
    "device_x",
    "device_y",
    "other_staff",
    "other_creds",
)
USER_PERSONAS = (
    "citizen_a",
    "citizen_b",
    "clerk_x",
    "owner_x",
    "owner_y",
    "landlord",
    "landlord_b",
    "staff",
)


@dataclass
class World:
    city: object
    other_city: object
    users: dict = field(default_factory=dict)  # persona -> User (jeonju)
    other_staff: object = None  # a User of wanju
    tokens: dict = field(default_factory=dict)  # persona -> "Token ..." header value
    # objects
    shop_x: object = None
    shop_y: object = None
    device_x: object = None
    device_y: object = None
    clerk_member: object = None
    invitation_token: str = ""
    campaign: object = None
    charge_a: object = None
    payment_a: object = None
    pledge_a: object = None
    discrepancy: object = None  # a difference with the payment provider, for staff to settle
    property: object = None
    lease: object = None
    agreement: object = None
    district: object = None
    workplace: object = None
    declaration: object = None
    report: object = None
    case: object = None
    document: object = None
    help_request: object = None
    sale: object = None  # an open first-come sale in which citizen A holds a ticket
    ticket_a: object = None
    grant_programme: object = None
    grant_application: object = None  # citizen A's, with a document
    grant_document: object = None
    fraud_case: object = None
    # strings that only some personas may ever see (checked in every response)
    markers: dict = field(default_factory=dict)  # marker -> personas who may see it

    def __getattr__(self, name):  # world.citizen_a etc.
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def money_snapshot() -> tuple[int, dict[int, int]]:
    """Entries, postings and every account's balance: what "nothing moved" compares."""
    return (
        Entry.objects.count() + Posting.objects.count(),
        dict(Account.objects.values_list("id", "balance")),
    )


def assert_nothing_moved(before, label="") -> None:
    after = money_snapshot()
    assert after[0] == before[0], f"{label}: ledger entries/postings changed"
    assert after[1] == before[1], f"{label}: a balance changed"
    report = ledger_check()
    assert report.ok, f"{label}: {report.as_dict()}"


def build_world(city, other_city) -> World:
    world = World(city=city, other_city=other_city)
    staff = StaffFactory(email="staff@jeonju.example.kr", name="전주직원")
    policy_set(
        by=staff,
        effective_from=dt.date(2020, 1, 1),
        charge_incentive_bp=0,
        cashback_bp=1000,
        monthly_charge_limit=1_000_000,
        monthly_cashback_cap=50_000,
    )
    budget_fund(
        by=staff,
        name="security test budget",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2030, 12, 31),
        amount=10_000_000,
        idempotency_key="security-world",
    )
    citizen_a = CitizenFactory(email="citizen-a@jeonju.example.kr", name="가시민에이")
    citizen_b = CitizenFactory(email="citizen-b@jeonju.example.kr", name="나시민비")
    for citizen in (citizen_a, citizen_b):
        pin_set(user=citizen, pin=PIN, password="test-pass-1234")
    owner_x = OwnerFactory(email="owner-x@jeonju.example.kr", name="다사장엑스")
    owner_y = OwnerFactory(email="owner-y@jeonju.example.kr", name="라사장와이")
    shop_x = ShopFactory(owner=owner_x, name="엑스분식", bank_account="90000111222333")
    shop_y = ShopFactory(owner=owner_y, name="와이국밥", bank_account="90000444555666")
    clerk = add_clerk(shop_x, ClerkFactory(email="clerk-x@jeonju.example.kr", name="마점원"))
    world.device_x, token_x = device_for(shop_x, name="엑스카운터")
    world.device_y, token_y = device_for(shop_y, name="와이카운터")
    world.invitation_token = clerk_invite(shop=shop_x, by=owner_x, email="new-clerk@example.kr")

    world.charge_a = charge(citizen_a, 300_000)
    charge(citizen_b, 300_000)
    world.payment_a = Payment.objects.get(pk=pay(citizen_a, shop_x, 10_000)["payment_id"])
    campaign = CampaignFactory(name="보안시험 캠페인")
    PhaseFactory(campaign=campaign, number=1)
    CampaignShopFactory(campaign=campaign, shop=shop_x, bonus_bp=500)
    CampaignShopFactory(campaign=campaign, shop=shop_y, bonus_bp=0)
    world.pledge_a = Pledge.objects.get(
        pk=pledge(citizen_a, campaign, shop_x, 100_000)["pledge_id"]
    )

    world.discrepancy = discrepancy_flag(
        charge=None,
        kind="totals",
        detail="a difference of 1 won",
        provider="sandbox",
        order_id="totals:2021-01-04",
        amount=1,
    )

    landlord = LandlordFactory(email="landlord@jeonju.example.kr", name="바건물주")
    landlord_b = LandlordFactory(email="landlord-b@jeonju.example.kr", name="사건물주비")
    world.property = PropertyFactory(landlord=landlord, address="전주시 완산구 비밀로 77")
    world.lease = LeaseFactory(property=world.property, tenant_shop=shop_x)
    world.agreement = AgreementFactory(lease=world.lease)
    PropertyFactory(landlord=landlord_b, address="전주시 덕진구 다른길 5")

    # City without dismissal: owner X's workplace, verified, with a dismissal case, a worker's
    # confidential report by citizen A, a roster only owner X and staff open, and a request for
    # help by citizen B.
    world.workplace = WorkplaceFactory(owner=owner_x, name="엑스제작소")
    world.declaration = declaration_verified(workplace=world.workplace, staff=staff)
    world.report = report_file(
        by=owner_x,
        declaration=world.declaration,
        data=ReportInput(month=dt.date(2021, 3, 1), headcount=24, dismissals=1),
    )
    world.case = world.report.cases.get()
    worker_report_file(by=citizen_a, workplace=world.workplace, text="비밀제보 해고통보 받음")
    world.document = evidence_upload(
        by=owner_x, workplace=world.workplace, name="roster.csv", content=b"a,b\n"
    )
    world.help_request = help_request_create(
        worker=citizen_b, former_workplace="와이상사", wanted_industry="food"
    )

    world.district = District.objects.create(name="풍남동", ward="완산구")
    world.sale, world.ticket_a = _sale(citizen_a)

    # Cards and paper notes: a community centre where the city's staff member serves, a card
    # of citizen A, a citizen served at the desk (not a marker: the desk's staff see them).
    world.desk = Desk.objects.create(kind=Desk.Kind.COMMUNITY_CENTRE, name="풍남동 행정복지센터")
    world.desk.staff.add(staff)
    world.card_a = card_issue(user=citizen_a, by=staff, pin=PIN, desk=world.desk)
    world.desk_citizen = CitizenFactory(email="desk-citizen@jeonju.example.kr", name="아창구")
    world.desk_card = card_issue(user=world.desk_citizen, by=staff, pin=PIN, desk=world.desk)
    world.batch = batch_create(
        by=staff, face_value=10_000, count=2, expires_on=dt.date(2035, 12, 31)
    )

    from django.core.files.uploadedfile import SimpleUploadedFile

    from grants.services import document_add

    world.grant_programme = jeonju_2020(staff, budget=527_158 * 3)
    world.grant_application = apply(
        world.grant_programme, citizen_a, identifier="7707071777777", household="보안시험 세대"
    )
    world.grant_document = document_add(
        application=world.grant_application,
        by=citizen_a,
        label="근로계약서",
        upload=SimpleUploadedFile("c.pdf", b"%PDF-1.4 secret", content_type="application/pdf"),
    )

    world.users = {
        "citizen_a": citizen_a,
        "citizen_b": citizen_b,
        "clerk_x": clerk,
        "owner_x": owner_x,
        "owner_y": owner_y,
        "landlord": landlord,
        "landlord_b": landlord_b,
        "staff": staff,
    }
    world.shop_x, world.shop_y, world.campaign = shop_x, shop_y, campaign
    world.fraud_case = _fraud_case(shop_x, world.payment_a)
    world.clerk_member = shop_x.members.get(user=clerk)
    for persona, user in world.users.items():
        world.tokens[persona] = "Token " + Token.objects.get_or_create(user=user)[0].key
    world.tokens["device_x"] = f"Token {token_x}"
    world.tokens["device_y"] = f"Token {token_y}"

    connection.set_tenant(other_city)
    try:
        world.other_staff = StaffFactory(email="staff@wanju.example.kr", name="완주직원")
        world.tokens["other_staff"] = (
            "Token " + Token.objects.get_or_create(user=world.other_staff)[0].key
        )
    finally:
        connection.set_tenant(city)
    world.tokens["other_creds"] = world.tokens["other_staff"]

    everyone_in_jeonju = set(USER_PERSONAS) | {"device_x", "device_y"}
    world.markers = {
        citizen_a.email: {"citizen_a"},
        citizen_b.email: {"citizen_b"},
        citizen_a.name: {"citizen_a"},
        citizen_b.name: {"citizen_b"},
        shop_x.bank_account: {"owner_x", "staff"},
        shop_y.bank_account: {"owner_y", "staff"},
        world.charge_a.order_id: {"citizen_a"},
        world.property.address: {"landlord", "owner_x", "staff"},
        # The grant application's masked number: its applicant and grant staff only.
        "770707-1******": {"citizen_a", "staff"},
        landlord_b.email: {"landlord_b"},
        # A worker's confidential report: staff only, never the employer.
        "비밀제보 해고통보 받음": {"staff"},
        # City-wide things nobody outside jeonju may see.
        "보안시험 캠페인": everyone_in_jeonju,
        "엑스분식": everyone_in_jeonju,
    }
    return world


def _sale(citizen):
    import datetime as dt

    from django.utils import timezone

    from sales.services import sale_create, ticket_issue

    now = timezone.now()
    sale = sale_create(
        by=None,
        name="충전의 날",
        amount=1_000_000,
        incentive_bp=1000,
        per_person_limit=100_000,
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(days=1),
        mode="fcfs",
    )
    ticket, _created = ticket_issue(sale_id=sale.pk, user=citizen, amount=100_000)
    return sale, ticket


def _fraud_case(shop, payment):
    """An open cash-out case on shop X, naming citizen A's payment (staff only may see it)."""

    from fraud.models import Case

    signal = {"kind": "off_hours", "text": "심야 결제", "evidence": {}, "payments": [payment.pk],
              "weight": 2}  # fmt: skip
    from django.utils import timezone

    today = timezone.localdate()
    return Case.objects.create(subject="shop", shop=shop, score=2, signals=[signal],
                               shops=[shop.pk], citizens=[payment.user_id], first_date=today,
                               last_date=today)  # fmt: skip
