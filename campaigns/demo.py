"""Demo campaign: Jeonju's good prepayment with its phase 1 for members of participating
organisations (public officials first), organisations, shops taking part with bonuses, pledges
from many citizens across shops, some partly redeemed. Wanju gets a smaller one."""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from ledger.services import Idem, business_date_today
from merchants.models import Shop
from vouchers.sandbox_views import sandbox_approve

from .models import Campaign, Organisation, Pledge
from .services import (
    campaign_create,
    campaign_shop_join,
    guarantee_fund_add,
    organisation_create,
    organisation_join,
    phase_add,
    pledge_with_card,
    prepaid_redeem,
)

JEONJU_ORGANISATIONS = [
    ("전주시청", "public_body"),
    ("전북은행", "bank"),
    ("전주시설공단", "public_body"),
    ("전주상공회의소", "association"),
]
WANJU_ORGANISATIONS = [("완주군청", "public_body"), ("완주로컬푸드협동조합", "association")]


def seed(ctx) -> None:
    if Campaign.objects.exists():
        return
    today = business_date_today()
    staff = User.objects.get(email="staff@demo.kr")
    main = ctx.is_main_city
    campaign = campaign_create(
        by=staff,
        name="전주 착한 선결제 운동" if main else "완주 착한 선결제",
        description=(
            "동네 가게에 미리 결제하고 나중에 쓰는 착한 선결제. 1단계는 공무원과 참여 기관 "
            "임직원, 2단계부터 모든 시민이 참여합니다."
            if main
            else "완주 로컬 가게를 위한 선결제"
        ),
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=120),
        target_participants=50_000 if main else 5_000,
        target_amount=15_000_000_000 if main else 1_000_000_000,
        min_pledge=100_000,
        max_pledge=300_000,
        max_per_citizen=300_000,
        validity_days=365,
    )
    phase_add(
        by=staff,
        campaign=campaign,
        number=1,
        name="1단계: 공무원·참여 기관" if main else "1단계: 군청·조합",
        starts_on=campaign.starts_on,
        ends_on=today + dt.timedelta(days=30),
        members_only=True,
        target_participants=5_000 if main else 500,
        target_amount=1_500_000_000 if main else 100_000_000,
    )
    phase_add(
        by=staff,
        campaign=campaign,
        number=2,
        name="2단계: 모든 시민",
        starts_on=today + dt.timedelta(days=31),
        ends_on=campaign.ends_on,
        members_only=False,
        target_participants=45_000 if main else 4_500,
    )
    organisations = [
        organisation_create(by=staff, name=name, kind=kind, campaigns=[campaign])
        for name, kind in (JEONJU_ORGANISATIONS if main else WANJU_ORGANISATIONS)
    ]
    shops = list(Shop.objects.filter(status=Shop.Status.APPROVED).order_by("id")[:6])
    for n, shop in enumerate(shops):
        campaign_shop_join(
            shop=shop, by=shop.owner, campaign=campaign, bonus_bp=(500, 1000, 0)[n % 3]
        )
    guarantee_fund_add(by=staff, amount=100_000_000 if main else 10_000_000, idempotency_key="demo")

    citizens = [u for e, u in sorted(ctx.users.items()) if e.startswith("citizen")]
    for n, citizen in enumerate(citizens):
        organisation_join(
            user=citizen, invite_code=organisations[n % len(organisations)].invite_code
        )
        shop = shops[n % len(shops)]
        pledge, _url = pledge_with_card(
            user=citizen, campaign=campaign, shop=shop, amount=(100_000, 200_000, 300_000)[n % 3]
        )
        assert pledge.charge is not None  # a card pledge waits on its charge
        sandbox_approve(pledge.charge.order_id)
        pledge.refresh_from_db()
        if n % 2 == 0 and pledge.status == Pledge.Status.ACTIVE:  # some partly redeemed
            prepaid_redeem(
                user=citizen,
                shop=shop,
                amount=(30_000, 45_000)[n % 2 // 1 if n % 4 else 0],
                idem=Idem.of(f"user:{citizen.pk}", "demo-redeem", "demo"),
            )
    ctx.notes.append(
        "Campaign invitation codes: "
        + ", ".join(f"{o.name} {o.invite_code}" for o in Organisation.objects.order_by("id"))
    )
