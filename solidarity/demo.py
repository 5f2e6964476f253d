"""Demo solidarity in every state: gifts received, waiting, cancelled and returned; a one-off
donation, a citizen giving every cashback, a donation-angel shop, a grant out of the fund; a
relay with an organisation that joined through it and one still invited. Idempotent: each part
is made once per city (a second run finds it and changes nothing)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, Membership, Organisation
from campaigns.services import organisation_create, organisation_join
from ledger.services import Idem, business_date_today
from merchants.models import Shop

from .models import AngelShop, Donation, FundGrant, Gift, RelayNomination
from .services import (
    angel_shop_join,
    cashback_donate,
    donation_give,
    donation_preference_set,
    fund_grant,
    gift_cancel,
    gift_send,
    gifts_return_expired,
    relay_join,
    relay_nominate,
)

DEMO_PIN = "123456"  # vouchers.demo's


def _give(sender: User, to: str, amount: int, key: str, message: str = "") -> int:
    return gift_send(
        sender=sender,
        to=to,
        amount=amount,
        pin=DEMO_PIN,
        message=message,
        idem=Idem.of(f"user:{sender.pk}", f"demo-gift-{key}", "gift", to, amount),
    ).body["gift_id"]


def seed(ctx) -> None:
    users = ctx.users
    citizen, citizen2 = users["citizen@demo.kr"], users["citizen2@demo.kr"]
    staff = users["staff@demo.kr"]
    if not Gift.objects.exists():
        # Returned first (the return step takes every held gift past its time), then the rest.
        _give(citizen2, "010-5555-0099", 5_000, "returned")
        gifts_return_expired(now=timezone.now() + dt.timedelta(days=31))
        _give(citizen, "citizen2@demo.kr", 20_000, "family", "엄마, 생신 축하드려요")
        _give(citizen, "010-5555-0077", 10_000, "waiting", "가입하면 받을 수 있어요")
        gift_cancel(gift_id=_give(citizen2, "friend@example.kr", 3_000, "cancel"), by=citizen2)
    if not Donation.objects.exists():
        donation_give(
            user=citizen, amount=15_000, idem=Idem.of(f"user:{citizen.pk}", "demo-donation", 1)
        )
        donation_preference_set(user=citizen2, cashback_to_fund=True)
        cashback_donate(user_id=citizen2.pk, business_date=business_date_today())
    shop = Shop.objects.filter(status=Shop.Status.APPROVED, owner=users["owner@demo.kr"]).first()
    if shop is not None and not AngelShop.objects.exists():
        angel_shop_join(shop=shop, share_bp=300, by=shop.owner)
    if not FundGrant.objects.exists() and Donation.objects.exists():
        fund_grant(
            by=staff,
            recipient="동네 푸드뱅크" if ctx.is_main_city else "완주 나눔곳간",
            purpose="홀몸 어르신 겨울 반찬 나눔",
            amount=5_000,
            idempotency_key="demo",
        )
    _relay(ctx)
    ctx.notes.append(
        "Solidarity: citizen@demo.kr at /solidarity/ (gifts, donations, year-end statement);"
        " the community fund at /solidarity/fund/; the relay from the campaign's page."
    )


def _relay(ctx) -> None:
    campaign = Campaign.objects.order_by("id").first()
    if campaign is None or RelayNomination.objects.exists():
        return
    staff = ctx.users["staff@demo.kr"]
    starter = campaign.organisations.order_by("id").first()
    if starter is None:
        return
    passer = Membership.objects.filter(organisation=starter).order_by("id").first()
    if passer is None:
        return
    names = (
        ("전북대학교", "전주교육지원청") if ctx.is_main_city else ("완주군청년센터", "완주교육청")
    )
    joined_org, invited_org = (
        Organisation.objects.filter(name=name).first()
        or organisation_create(by=staff, name=name, kind="association")
        for name in names
    )
    nomination = relay_nominate(
        campaign=campaign,
        nominator=starter,
        nominee=joined_org,
        message="우리 동네 가게를 함께 지켜요! 다음 주자는 여러분입니다.",
        by=passer.user,
    )
    member = ctx.users.get("citizen3@demo.kr") or ctx.users["citizen2@demo.kr"]
    organisation_join(user=member, invite_code=joined_org.invite_code)
    relay_join(nomination_id=nomination.pk, by=member)
    relay_nominate(
        campaign=campaign,
        nominator=joined_org,
        nominee=invited_org,
        message="바통을 이어받아 주세요!",
        by=member,
    )
