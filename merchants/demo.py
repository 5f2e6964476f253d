"""Demo shops: approved ones across categories and districts, one pending, one ineligible
attempt, clerk membership and a counter device whose token seed_demo prints."""

from __future__ import annotations

import contextlib

from django.utils import timezone

from accounts.models import User

from . import brn
from .exceptions import ShopIneligibleError
from .models import Device, EligibilityRefusal, Shop, ShopMember
from .services import ShopDetails, device_register, shop_register, shop_review

# (owner email, name, 9 digits, category, district, address, sales bracket, status)
JEONJU_SHOPS = [
    (
        "owner@demo.kr",
        "한옥마을 전주비빔밥",
        "402810001",
        "restaurant",
        "풍남동",
        "전주시 완산구 태조로 15",
        "under_300m",
        "approved",
    ),
    (
        "owner2@demo.kr",
        "풍남문 커피",
        "402810002",
        "cafe",
        "풍남동",
        "전주시 완산구 풍남문2길 3",
        "under_300m",
        "approved",
    ),
    (
        "owner3@demo.kr",
        "남부시장 청년몰 빵집",
        "402810003",
        "bakery",
        "중앙동",
        "전주시 완산구 풍남문1길 19",
        "under_500m",
        "approved",
    ),
    (
        "owner4@demo.kr",
        "객리단길 책방",
        "402810004",
        "bookstore",
        "중앙동",
        "전주시 완산구 객사3길 22",
        "under_300m",
        "approved",
    ),
    (
        "owner5@demo.kr",
        "효자동 정육점",
        "402810005",
        "butcher",
        "효자4동",
        "전주시 완산구 효자로 101",
        "under_1b",
        "approved",
    ),
    (
        "owner6@demo.kr",
        "서신동 꽃집",
        "402810006",
        "florist",
        "서신동",
        "전주시 완산구 서신로 40",
        "under_300m",
        "approved",
    ),
    (
        "owner7@demo.kr",
        "송천동 세탁소",
        "402810007",
        "laundry",
        "송천1동",
        "전주시 덕진구 송천중앙로 88",
        "under_300m",
        "pending",
    ),
]
WANJU_SHOPS = [
    (
        "owner@demo.kr",
        "삼례 문화예술촌 카페",
        "403810001",
        "cafe",
        "삼례읍",
        "완주군 삼례읍 삼례역로 81-13",
        "under_300m",
        "approved",
    ),
    (
        "owner2@demo.kr",
        "봉동 로컬푸드 식당",
        "403810002",
        "restaurant",
        "봉동읍",
        "완주군 봉동읍 봉동로 12",
        "under_500m",
        "approved",
    ),
    (
        "owner3@demo.kr",
        "고산 자연휴양 빵집",
        "403810003",
        "bakery",
        "고산면",
        "완주군 고산면 고산로 5",
        "under_300m",
        "approved",
    ),
    (
        "owner4@demo.kr",
        "이서 혁신도시 서점",
        "403810004",
        "bookstore",
        "이서면",
        "완주군 이서면 오공로 30",
        "under_300m",
        "pending",
    ),
]


def seed(ctx) -> None:
    rows = JEONJU_SHOPS if ctx.is_main_city else WANJU_SHOPS
    staff = User.objects.get(email="staff@demo.kr")
    for email, name, nine, category, district, address, bracket, status in rows:
        number = brn.with_check_digit(nine)
        shop = Shop.objects.filter(business_number=number).first()
        owner = User.objects.get(email=email)
        if shop is None:
            shop = shop_register(
                owner=owner,
                details=ShopDetails(
                    name=name,
                    business_number=number,
                    category=category,
                    district=district,
                    address=address,
                    phone="063-" + nine[-3:] + "-" + nine[-4:],
                    sales_bracket=bracket,
                    bank_name="전북은행",
                    bank_account="1013" + nine,
                    bank_holder=owner.name,
                ),
            )
            if status == "approved":
                shop_review(shop=shop, by=staff, action="approve")
        ctx.shops[name] = shop
    main_shop = ctx.shops[rows[0][1]]
    clerk = User.objects.get(email="clerk@demo.kr")
    ShopMember.objects.get_or_create(
        shop=main_shop, user=clerk, defaults={"role": ShopMember.Role.CLERK}
    )
    # An attempt the policy refuses: a large mart over the sales ceiling.
    if not EligibilityRefusal.objects.exists():
        with contextlib.suppress(ShopIneligibleError):
            shop_register(
                owner=User.objects.get(email="owner@demo.kr"),
                details=ShopDetails(
                    name="대형마트 전주점" if ctx.is_main_city else "대형마트 완주점",
                    business_number=brn.with_check_digit("409819999"),
                    category="large_mart",
                    district="효자4동" if ctx.is_main_city else "봉동읍",
                    address="-",
                    phone="063-000-0000",
                    sales_bracket="over_3b",
                    bank_name="전북은행",
                    bank_account="10130000000",
                    bank_holder="대형마트",
                ),
            )
    device = Device.objects.filter(shop=main_shop, name="데모 카운터").first()
    if device is None:
        device, token = device_register(shop=main_shop, by=None, name="데모 카운터")
        ctx.notes.append(
            f"Counter device token for {main_shop.name} (shop {main_shop.pk}): {token}"
        )
    else:
        ctx.notes.append(
            f"Counter device for {main_shop.name} (shop {main_shop.pk}) exists; new token: "
            f"manage.py issue_device_token --schema {ctx.city.schema_name} --shop-id {main_shop.pk}"
        )
    ctx.extra["demo_now"] = timezone.now()
