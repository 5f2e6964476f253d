"""Demo: a shop paying another from its unsettled sales, and cash-out cases in every state.

Four planted rings (a shop and three citizens who each charge 500,000 won and pay it whole at
the shop within minutes) are scored by the real nightly step for today; staff then leave one
case to review, put one under investigation (shop settlement and citizens' incentive held),
confirm one (incentive clawed back, shop suspended) and dismiss one. Runs once per city: a
second run finds the cases and changes nothing."""

from __future__ import annotations

from accounts.demo import DEMO_PASSWORD, _ensure
from accounts.models import User
from accounts.roles import Role
from ledger.services import Idem, business_date_today
from merchants import brn
from merchants.models import Shop, ShopPayment
from merchants.selectors import shop_unsettled
from merchants.services import ShopDetails, shop_register, shop_review
from merchants.shop_payments import shop_payment_pay
from vouchers.models import Charge
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import charge_create, pin_set, wallet_pay

from .models import Case
from .nightly import step_fraud
from .services import case_decide

RINGS = [
    ("한밤 상품권 매입상회", "open", ""),
    ("골목 잡화점", "investigate", "세 명이 충전 직후 같은 가게에서 전액 결제: 현장 확인 예정"),
    ("역전 선물가게", "confirm", "가맹점주가 할인 매입 후 현금 지급 사실을 인정함"),
    ("동창회 식당", "dismiss", "동창회 단체 예약 결제로 영수증과 예약 기록 확인"),
]


def seed(ctx) -> None:
    _shop_payment(ctx)
    if Case.objects.exists():
        ctx.notes.append("Cash-out review: staff@demo.kr at /dashboard/fraud/ (cases exist).")
        return
    staff = User.objects.get(email="staff@demo.kr")
    prefix = "40" if ctx.is_main_city else "41"
    for n, (name, _action, _reason) in enumerate(RINGS):
        owner = _ensure(f"ring-owner{n}@demo.kr", f"가맹점주{n}", [Role.MERCHANT_OWNER])
        number = brn.with_check_digit(f"{prefix}781{n + 1:04d}")
        shop = Shop.objects.filter(business_number=number).first()
        if shop is None:
            shop = shop_register(
                owner=owner,
                details=ShopDetails(
                    name=name,
                    business_number=number,
                    category="craft" if n % 2 else "other",
                    district="풍남동" if ctx.is_main_city else "봉동읍",
                    address="-",
                    phone="063-000-0000",
                    sales_bracket="under_300m",
                    bank_name="전북은행",
                    bank_account=f"10139900{n:03d}",
                    bank_holder=owner.name,
                ),
            )
            shop_review(shop=shop, by=staff, action="approve")
        for k in range(3):
            citizen = _ensure(f"ring{n}-{k}@demo.kr", f"시민{n}{k}", [Role.CITIZEN])
            if Charge.objects.filter(user=citizen).exists():
                continue
            pin_set(user=citizen, pin="123456", password=DEMO_PASSWORD)
            charge, _url = charge_create(user=citizen, amount=500_000)
            sandbox_approve(charge.order_id)
            wallet_pay(
                user=citizen,
                shop=shop,
                amount=500_000,
                method="shop_qr",
                idem=Idem.of(f"user:{citizen.pk}", "demo-ring", "demo"),
                actor=citizen,
            )
    step_fraud(business_date=business_date_today(), progress=None)
    for name, action, reason in RINGS:
        case = Case.objects.filter(shop__name=name).first()
        if case is not None and action != "open":
            if action == "confirm":
                case_decide(case=case, by=staff, action="investigate", reason=reason)
            case_decide(case=case, by=staff, action=action, reason=reason)
    ctx.notes.append(
        "Cash-out review: staff@demo.kr at /dashboard/fraud/ (a case to review, one under "
        "investigation, one confirmed, one dismissed); thresholds at /dashboard/fraud/thresholds/."
    )


def _shop_payment(ctx) -> None:
    """The main demo shop pays the bakery from its unsettled sales (up to 10,000 won)."""
    payer = Shop.objects.filter(owner__email="owner@demo.kr", status="approved").order_by("pk")
    payee = Shop.objects.filter(owner__email="owner3@demo.kr", status="approved").order_by("pk")
    payer_shop, payee_shop = payer.first(), payee.first()
    if payer_shop is None or payee_shop is None or ShopPayment.objects.exists():
        return
    amount = min(10_000, shop_unsettled(payer_shop))
    if amount <= 0:
        return
    shop_payment_pay(
        payer=payer_shop,
        payee_code=payee_shop.public_code,
        amount=amount,
        by=payer_shop.owner,
        idem=Idem.of(f"user:{payer_shop.owner_id}", "demo-shop-payment", "demo"),
        memo="밀가루 대금",
    )
    ctx.notes.append(
        f"Shop-to-shop: owner@demo.kr pays other shops at /shops/{payer_shop.pk}/pay/ "
        f"(bakery code {payee_shop.public_code}); rules at /shops/review/shop-payments/."
    )
