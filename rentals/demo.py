"""Demo data of the good-rental registry. Idempotent: a case whose property exists is skipped.

The cases are written with the dates of Jeonju's 2020-2021 programme and moved forward by whole
years (``_year_shift``) so that the programme's "now" (early 2021) falls around today: leases
are running, proposals wait for signatures that start soon, verified cuts lie in the past year.
Whole years keep every calendar rule (a claw-back "before the end of June of the next year").

Jeonju: the Hanok Village case (풍남동) of 2020-2021: 14 landlords cut their tenant shops' rent by
10% or more for at least 3 months. Most are verified, some signed and waiting for the city, some
still waiting for the tenant (owner@demo.kr has one to sign). One renewal raised the rent 8%
before the end of June of the next year: that agreement carries a claw-back flag. Policy rows:
a 50% property-tax cut in 2020 and 70% in 2021. Wanju gets two small cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from accounts.roles import Role
from accounts.services import role_grant, user_create
from ledger.services import business_date_today
from merchants import brn
from merchants.models import Shop
from merchants.services import ShopDetails, shop_register, shop_review

from .models import Property, RentalPolicy
from .services import (
    ReductionTerms,
    agreement_propose,
    agreement_sign,
    agreement_verify,
    lease_create,
    lease_record_rent_change,
    property_create,
    rental_policy_set,
)

D = dt.date

LANDLORD_NAMES = [
    # landlord@demo.kr (최영호) exists already; these are landlord2@ ... landlord14@.
    "김순례",
    "이강호",
    "박말순",
    "정태식",
    "윤영자",
    "한동수",
    "송미란",
    "임재균",
    "배정숙",
    "유상철",
    "노경희",
    "문병호",
    "홍순자",
]

# Tenant shops that join for the demo: (owner email, owner name, shop, 9 digits, category, address)
NEW_SHOPS = [
    (
        "tenant1@demo.kr",
        "고은비",
        "경기전 한지공방",
        "402820001",
        "craft",
        "전주시 완산구 태조로 28",
    ),
    (
        "tenant2@demo.kr",
        "남궁철",
        "태조로 떡갈비",
        "402820002",
        "restaurant",
        "전주시 완산구 태조로 35",
    ),
    ("tenant3@demo.kr", "백지현", "오목대 찻집", "402820003", "cafe", "전주시 완산구 오목대길 12"),
    (
        "tenant4@demo.kr",
        "양승우",
        "전동성당 수제초코파이",
        "402820004",
        "bakery",
        "전주시 완산구 태조로 51",
    ),
    (
        "tenant5@demo.kr",
        "구혜림",
        "향교길 한복대여",
        "402820005",
        "clothing",
        "전주시 완산구 향교길 20",
    ),
    (
        "tenant6@demo.kr",
        "탁민재",
        "은행로 막걸리집",
        "402820006",
        "restaurant",
        "전주시 완산구 은행로 33",
    ),
    (
        "tenant7@demo.kr",
        "표서윤",
        "최명희길 책방",
        "402820007",
        "bookstore",
        "전주시 완산구 최명희길 9",
    ),
    (
        "tenant8@demo.kr",
        "채동욱",
        "어진길 게스트하우스",
        "402820008",
        "lodging",
        "전주시 완산구 어진길 41",
    ),
    (
        "tenant9@demo.kr",
        "도유나",
        "한옥마을 부채공방",
        "402820009",
        "craft",
        "전주시 완산구 은행로 58",
    ),
    (
        "tenant10@demo.kr",
        "석진호",
        "풍남문 길거리 분식",
        "402820010",
        "restaurant",
        "전주시 완산구 풍남문3길 6",
    ),
    (
        "tenant11@demo.kr",
        "마소연",
        "교동 도자기 공방",
        "402820011",
        "craft",
        "전주시 완산구 한지길 17",
    ),
    (
        "tenant12@demo.kr",
        "염태준",
        "한옥마을 꽃차 카페",
        "402820012",
        "cafe",
        "전주시 완산구 경기전길 30",
    ),
    (
        "tenant13@demo.kr",
        "제갈민",
        "태조로 수제 한과",
        "402820013",
        "bakery",
        "전주시 완산구 태조로 70",
    ),
]


@dataclass(frozen=True)
class Case:
    landlord: str
    shop: str
    address: str
    rent: int
    kind: str
    value: int  # basis points for a rate, won for an amount
    months: int
    start: dt.date
    status: str  # proposed, signed or verified
    lease: tuple[dt.date, dt.date] = (D(2019, 7, 1), D(2022, 6, 30))
    district: str = "풍남동"
    property_tax: int = 0
    high_income: bool = False
    # A later lease record: (kind, rent, start, end)
    later: tuple[str, int, dt.date, dt.date | None] | None = None


def _l(n: int) -> str:
    return "landlord@demo.kr" if n == 1 else f"landlord{n}@demo.kr"


JEONJU_CASES = [
    Case(
        _l(1),
        "풍남문 커피",
        "전주시 완산구 풍남문2길 3",
        1_800_000,
        "rate",
        2000,
        6,
        D(2020, 3, 1),
        "verified",
        property_tax=850_000,
    ),
    Case(
        _l(1),
        "한옥마을 전주비빔밥",
        "전주시 완산구 태조로 15",
        2_500_000,
        "rate",
        1000,
        3,
        D(2021, 1, 1),
        "proposed",
        property_tax=1_200_000,
    ),
    Case(
        _l(2),
        "경기전 한지공방",
        "전주시 완산구 태조로 28",
        900_000,
        "rate",
        3000,
        3,
        D(2020, 3, 1),
        "verified",
        property_tax=420_000,
    ),
    Case(
        _l(3),
        "태조로 떡갈비",
        "전주시 완산구 태조로 35",
        2_200_000,
        "amount",
        300_000,
        6,
        D(2020, 4, 1),
        "verified",
        property_tax=1_500_000,
        high_income=True,
    ),
    Case(
        _l(4),
        "오목대 찻집",
        "전주시 완산구 오목대길 12",
        1_200_000,
        "rate",
        1500,
        3,
        D(2020, 4, 1),
        "verified",
        lease=(D(2019, 3, 1), D(2021, 2, 28)),
        property_tax=610_000,
        later=("renewal", 1_296_000, D(2021, 3, 1), D(2023, 2, 28)),
    ),
    Case(
        _l(5),
        "전동성당 수제초코파이",
        "전주시 완산구 태조로 51",
        1_500_000,
        "rate",
        5000,
        3,
        D(2020, 3, 1),
        "verified",
        property_tax=700_000,
    ),
    Case(
        _l(6),
        "향교길 한복대여",
        "전주시 완산구 향교길 20",
        1_100_000,
        "rate",
        2000,
        4,
        D(2020, 5, 1),
        "verified",
        lease=(D(2019, 6, 1), D(2021, 5, 31)),
        property_tax=530_000,
        later=("renewal", 1_155_000, D(2021, 6, 1), D(2023, 5, 31)),
    ),
    Case(
        _l(7),
        "은행로 막걸리집",
        "전주시 완산구 은행로 33",
        1_600_000,
        "amount",
        200_000,
        3,
        D(2020, 5, 1),
        "verified",
        property_tax=780_000,
    ),
    Case(
        _l(8),
        "최명희길 책방",
        "전주시 완산구 최명희길 9",
        700_000,
        "rate",
        1000,
        6,
        D(2020, 6, 1),
        "signed",
        property_tax=300_000,
    ),
    Case(
        _l(9),
        "어진길 게스트하우스",
        "전주시 완산구 어진길 41",
        2_000_000,
        "rate",
        2500,
        3,
        D(2021, 1, 1),
        "signed",
        property_tax=950_000,
    ),
    Case(
        _l(10),
        "한옥마을 부채공방",
        "전주시 완산구 은행로 58",
        800_000,
        "rate",
        1000,
        3,
        D(2021, 2, 1),
        "signed",
    ),
    Case(
        _l(11),
        "풍남문 길거리 분식",
        "전주시 완산구 풍남문3길 6",
        1_000_000,
        "amount",
        150_000,
        5,
        D(2021, 1, 1),
        "signed",
        property_tax=450_000,
    ),
    Case(
        _l(12),
        "교동 도자기 공방",
        "전주시 완산구 한지길 17",
        950_000,
        "rate",
        2000,
        3,
        D(2021, 3, 1),
        "proposed",
    ),
    Case(
        _l(13),
        "한옥마을 꽃차 카페",
        "전주시 완산구 경기전길 30",
        1_300_000,
        "rate",
        3000,
        3,
        D(2021, 3, 1),
        "proposed",
    ),
    Case(
        _l(14),
        "태조로 수제 한과",
        "전주시 완산구 태조로 70",
        1_400_000,
        "rate",
        1000,
        12,
        D(2020, 3, 1),
        "verified",
        property_tax=640_000,
    ),
    # Outside the Hanok Village: one of the same landlords, near Nambu Market.
    Case(
        _l(2),
        "남부시장 청년몰 빵집",
        "전주시 완산구 풍남문1길 19",
        600_000,
        "rate",
        2000,
        3,
        D(2020, 4, 1),
        "verified",
        district="중앙동",
        property_tax=250_000,
    ),
]

WANJU_CASES = [
    Case(
        _l(1),
        "삼례 문화예술촌 카페",
        "완주군 삼례읍 삼례역로 81-13",
        900_000,
        "rate",
        1500,
        3,
        D(2021, 2, 1),
        "proposed",
        district="삼례읍",
        property_tax=380_000,
    ),
    Case(
        _l(2),
        "봉동 로컬푸드 식당",
        "완주군 봉동읍 봉동로 12",
        1_100_000,
        "amount",
        150_000,
        4,
        D(2021, 1, 1),
        "verified",
        district="봉동읍",
        property_tax=500_000,
    ),
]


def seed(ctx) -> None:
    staff = User.objects.get(email="staff@demo.kr")
    _policies(ctx, staff)
    names = {_l(1): "최영호"} | {_l(n): name for n, name in enumerate(LANDLORD_NAMES, start=2)}
    cases = JEONJU_CASES if ctx.is_main_city else WANJU_CASES
    if ctx.is_main_city:
        for email, owner_name, shop_name, nine, category, address in NEW_SHOPS:
            ctx.shops[shop_name] = _shop(
                ctx, staff, email, owner_name, shop_name, nine, category, address
            )
    created = 0
    for case in cases:
        landlord = _user(ctx, case.landlord, names[case.landlord], Role.LANDLORD)
        created += _case(ctx, staff, landlord, case)
    if ctx.is_main_city:
        ctx.notes.append(
            "Good rental: Hanok Village case, 14 landlords (landlord@demo.kr, landlord2@demo.kr ... "
            "landlord14@demo.kr); owner@demo.kr has an agreement to sign; staff@demo.kr verifies "
            f"at /rentals/staff/ ({created} agreements created this run)."
        )


def _year_shift(today: dt.date | None = None) -> int:
    """Whole years to add to the programme's dates: the first n such that 1 January 2021 moved
    by n years is no more than 60 days before today (Dec 2026 → 6: proposals start in 2027)."""
    today = today or business_date_today()
    years = 0
    while D(2021 + years, 1, 1) < today - dt.timedelta(days=60):
        years += 1
    return years


def _moved(day: dt.date | None, years: int) -> dt.date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def _policies(ctx, staff: User) -> None:
    rows = (
        [(D(2020, 1, 1), 5000), (D(2021, 1, 1), 7000)]
        if ctx.is_main_city
        else [(D(2021, 1, 1), 5000)]
    )
    years = _year_shift()
    rows = [(_moved(day, years), tax_cut) for day, tax_cut in rows]
    for day, tax_cut in rows:
        if not RentalPolicy.objects.filter(effective_from=day).exists():
            rental_policy_set(
                by=staff,
                effective_from=day,
                min_reduction_bp=1000,
                min_months=3,
                property_tax_cut_bp=tax_cut,
                national_credit_bp=7000,
                national_credit_high_income_bp=5000,
                high_income_threshold=100_000_000,
                renewal_cap_bp=500,
            )


def _user(ctx, email: str, name: str, role: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, password=DEMO_PASSWORD, name=name, roles=(role,))
    else:
        role_grant(user=user, role=role)
    ctx.users[email] = user
    return user


def _shop(ctx, staff, email, owner_name, name, nine, category, address) -> Shop:
    number = brn.with_check_digit(nine)
    shop = Shop.objects.filter(business_number=number).first()
    if shop is not None:
        return shop
    owner = _user(ctx, email, owner_name, Role.MERCHANT_OWNER)
    shop = shop_register(
        owner=owner,
        details=ShopDetails(
            name=name,
            business_number=number,
            category=category,
            district="풍남동",
            address=address,
            phone="063-28" + nine[-1] + "-" + nine[-4:],
            sales_bracket="under_300m",
            bank_name="전북은행",
            bank_account="1013" + nine,
            bank_holder=owner_name,
        ),
    )
    return shop_review(shop=shop, by=staff, action="approve")


@transaction.atomic
def _case(ctx, staff: User, landlord: User, case: Case) -> int:
    """Create one case through the services (as the people would). 0 if it exists."""
    if Property.objects.filter(landlord=landlord, address=case.address).exists():
        return 0
    shop = ctx.shops.get(case.shop) or Shop.objects.get(name=case.shop)
    years = _year_shift()
    lease_start, lease_end = (_moved(d, years) for d in case.lease)
    prop = property_create(
        landlord=landlord, address=case.address, unit="1층", district=case.district
    )
    lease = lease_create(
        landlord=landlord,
        property=prop,
        tenant_business_number=shop.business_number,
        monthly_rent=case.rent,
        deposit=case.rent * 20,
        start_date=lease_start,
        end_date=lease_end,
    )
    agreement = agreement_propose(
        landlord=landlord,
        lease=lease,
        terms=ReductionTerms(
            kind=case.kind,
            rate_bp=case.value if case.kind == "rate" else None,
            amount=case.value if case.kind == "amount" else None,
            months=case.months,
            start_date=_moved(case.start, years),
        ),
        property_tax_amount=case.property_tax,
        income_over_threshold=case.high_income,
    )
    if case.status in ("signed", "verified"):
        agreement_sign(agreement=agreement, by=shop.owner, terms_hash=agreement.terms_hash)
    if case.status == "verified":
        agreement_verify(agreement=agreement, by=staff)
    if case.later is not None:
        kind, rent, start, end = case.later
        lease_record_rent_change(
            landlord=landlord,
            lease=lease,
            kind=kind,
            monthly_rent=rent,
            deposit=lease.deposit,
            start_date=_moved(start, years),
            end_date=_moved(end, years),
        )
    return 1
