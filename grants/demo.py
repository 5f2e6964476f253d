"""Demo data of the grants: Jeonju's disaster basic income of 2020 as a programme the city runs
again. Idempotent: a programme that exists (by name) is not set up again, an application that
exists is not made again, and a payment happens only with the programme's first seeding.

- "전주형 재난기본소득" (open): 30% of 2020's one-person standard median income, 527,158 won,
  not at department stores, large marts, entertainment, golf, jewellers or online shops.
  Applications in every state: citizen4 submitted, citizen5 asked for a document, citizen6
  rejected, citizen7 approved (not paid yet), citizen8 and citizen9 paid; citizen8 has spent
  part of it at a demo shop. citizen3@demo.kr has not applied (and may, at /grants/).
- "전주형 재난기본소득 (시범)" (ended): paid to citizen2 in the past; what was left went back to
  the city the day after its deadline.
"""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from ledger.services import Idem, business_date_today
from merchants.models import DEFAULT_EXCLUDED_CATEGORIES, Shop
from vouchers.models import Payment
from vouchers.services import wallet_pay

from .models import MEDIAN_INCOME_2020, Application, Programme
from .services import (
    APPROVE,
    REJECT,
    REQUEST_DOCUMENTS,
    GroupSpec,
    application_decide,
    application_submit,
    grants_expire,
    grants_pay,
    programme_create,
    programme_open,
)

NAME = "전주형 재난기본소득"
PILOT = "전주형 재난기본소득 (시범)"
GROUPS = [
    GroupSpec(
        "unemployed", "실업자(실업급여 미수급)", "고용보험 피보험자격 이력내역서 또는 해촉증명서"
    ),
    GroupSpec("day_worker", "일용·임시직 근로자", "근로계약서 또는 일용근로 사실 확인서"),
    GroupSpec(
        "income_fall", "소득이 줄어든 소상공인·프리랜서", "매출 또는 소득 감소를 보여주는 서류"
    ),
]
# (citizen, group, what happens)
CASES = [
    ("citizen4@demo.kr", "day_worker", "submitted"),
    ("citizen5@demo.kr", "income_fall", "documents_requested"),
    ("citizen6@demo.kr", "unemployed", "rejected"),
    ("citizen8@demo.kr", "unemployed", "paid"),
    ("citizen9@demo.kr", "day_worker", "paid"),
    ("citizen7@demo.kr", "income_fall", "approved"),
]


def _programme(staff, *, name, apply_from, apply_until, spend_until, budget) -> Programme:
    existing = Programme.objects.filter(name=name).first()
    if existing is not None:
        return existing
    programme = programme_create(
        by=staff,
        name=name,
        per=Programme.Per.PERSON,
        amount_rule=Programme.AmountRule.MEDIAN_SHARE,
        median_share_bp=3000,
        median_year=2020,
        median_table=MEDIAN_INCOME_2020,
        apply_from=apply_from,
        apply_until=apply_until,
        spend_until=spend_until,
        budget=budget,
        groups=GROUPS,
        health_premium_max=110_000,
        property_tax_max=200_000,
        excluded_categories=[str(c) for c in DEFAULT_EXCLUDED_CATEGORIES],
    )
    return programme_open(programme=programme, by=staff)


def _apply(programme, user, group, n, *, today=None) -> Application:
    found = Application.objects.filter(programme=programme, applicant=user).first()
    if found is not None:
        return found
    return application_submit(
        programme=programme,
        applicant=user,
        group_code=group,
        identifier=f"8{n:05d}1{n:06d}",
        household=f"전주시 완산구 효자동 {n}",
        consent=True,
        today=today,
    )


def seed(ctx) -> None:
    if not ctx.is_main_city:
        return
    today = business_date_today()
    staff = User.objects.get(email="staff@demo.kr")
    users = {u.email: u for u in User.objects.filter(email__startswith="citizen")}

    pilot = Programme.objects.filter(name=PILOT).first()
    if pilot is None:
        pilot = _programme(
            staff,
            name=PILOT,
            apply_from=today - dt.timedelta(days=120),
            apply_until=today - dt.timedelta(days=90),
            spend_until=today - dt.timedelta(days=2),
            budget=527_158 * 10,
        )
        application = _apply(
            pilot, users["citizen2@demo.kr"], "unemployed", 2, today=today - dt.timedelta(days=100)
        )
        application_decide(application=application, by=staff, decision=APPROVE)
        grants_pay(programme=pilot, by=staff)
        grants_expire(business_date=today - dt.timedelta(days=1))

    programme = Programme.objects.filter(name=NAME).first()
    first_seed = programme is None
    programme = _programme(
        staff,
        name=NAME,
        apply_from=today - dt.timedelta(days=14),
        apply_until=today + dt.timedelta(days=45),
        spend_until=today + dt.timedelta(days=120),
        budget=527_158 * 50_000,  # about 50,000 residents, as in 2020: 26,357,900,000 won
    )
    for n, (email, group, outcome) in enumerate(CASES, start=4):
        user = users.get(email)
        if user is None:
            continue
        application = _apply(programme, user, group, n)
        if application.status != Application.Status.SUBMITTED or outcome == "submitted":
            continue
        if outcome == "documents_requested":
            application_decide(
                application=application,
                by=staff,
                decision=REQUEST_DOCUMENTS,
                reason="최근 3개월 매출 감소를 보여주는 서류를 올려 주세요.",
            )
        elif outcome == "rejected":
            application_decide(
                application=application,
                by=staff,
                decision=REJECT,
                reason="실업급여를 받고 있어 다른 지원 대상입니다.",
            )
        else:
            application_decide(application=application, by=staff, decision=APPROVE)
        if outcome == "paid" and first_seed:
            grants_pay(programme=programme, by=staff)

    spender = users.get("citizen8@demo.kr")
    shop = (
        Shop.objects.filter(status=Shop.Status.APPROVED, sales_bracket="under_300m")
        .exclude(category__in=[str(c) for c in DEFAULT_EXCLUDED_CATEGORIES])
        .order_by("id")
        .first()
    )
    if spender is not None and shop is not None:
        wallet_pay(
            user=spender,
            shop=shop,
            amount=123_000,
            method=Payment.Method.SHOP_QR,
            idem=Idem.of(f"user:{spender.pk}", "demo-grant-spend", "demo"),
            actor=spender,
        )
    ctx.notes.append(
        f"Grants: '{NAME}' open at /grants/ (citizen3@demo.kr has not applied; citizen8@demo.kr"
        " and citizen9@demo.kr were paid 527,158 won, citizen8 spent 123,000 of it); staff@demo.kr"
        f" reviews and pays at /grants/staff/; '{PILOT}' has ended and returned what was left."
    )
