"""Demo: a pledge round of the city without dismissal with workplaces in every state.

- ``employer@demo.kr`` owns a verified workplace with a report for every month of the year but
  last month's (to file at /workplaces/), among 20+ participating workplaces;
- one declaration waits for its workers' representative (``rep@demo.kr`` co-signs), one for
  staff, one was rejected; one breach confirmed with a clawback; open cases (a dismissal, a
  shortfall, a missing report, a worker's report); ``worker@demo.kr`` is a citizen who asked
  for help, and a second request is matched.
Idempotent: a city that has the demo round is left as it is.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from accounts.roles import Role
from accounts.services import role_grant, user_create
from districts.selectors import district_names
from merchants import brn
from merchants.models import Shop, ShopMember

from . import rules, services
from .models import Case, Declaration, PledgeRound, Workplace

TITLE = "해고 없는 도시 상생 선언"
TEXT = (
    "노동자·사용자·시민·시는 위기를 함께 넘기 위해 일자리를 지키기로 선언합니다.\n"
    "사업주는 선언 기간 동안 경영상 이유로 해고하지 않고, 노동자는 고통을 분담하며,\n"
    "시는 4대 보험료와 대출 이자를 지원하고 지방세 납부를 유예합니다."
)
NAMES = [
    "팔복정밀",
    "전주한지공방",
    "덕진식품",
    "완산인쇄",
    "효자물류",
    "송천기계",
    "서신베이커리",
    "중화산전자",
    "평화섬유",
    "삼천건설",
    "인후의료기",
    "우아디자인",
    "금암출판",
    "진북세탁",
    "동산목공",
    "여의가구",
    "호성제과",
    "혁신소프트",
    "조촌농산",
    "태평한복",
    "풍남관광",
    "노송커피",
    "교동막걸리",
    "경원상사",
]
INDUSTRIES = ["manufacturing", "food", "retail", "services", "transport", "construction"]


def _user(email: str, name: str, role: str = Role.CITIZEN) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        return user_create(email=email, password=DEMO_PASSWORD, name=name, roles=(role,))
    role_grant(user=user, role=role)
    return user


def seed(ctx) -> None:
    if PledgeRound.objects.filter(title=TITLE).exists():
        return
    staff = User.objects.get(email="staff@demo.kr")
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = rules.month_add(this_month, -1)
    start = rules.month_add(this_month, -12)
    months = [rules.month_add(start, n) for n in range(12)]  # start .. last month
    pledge_round = services.round_create(
        by=staff,
        title=TITLE,
        text=TEXT,
        starts_on=start,
        ends_on=rules.month_add(this_month, 6) - dt.timedelta(days=1),
        tolerance_bp=1000,
        premium_support=100_000,
        loan_interest_support=30_000,
        pay_in_gift_certificates=True,
        clawback_months=3,
        tax_deferral_months=6,
        priority_points=5,
        other_benefits="시 발주 사업 가점, 경영 컨설팅",
    )
    pledge_round = services.round_publish(by=staff, pledge_round=pledge_round)
    services.round_fund(
        by=staff, pledge_round=pledge_round, amount=1_500_000_000, idempotency_key="demo"
    )
    representatives = [_user(f"rep{n}@demo.kr", f"노동자대표{n}") for n in (1, 2, 3)]
    rep = _user("rep@demo.kr", "김대표")
    worker = _user("worker@demo.kr", "박노동")
    employer = _user("employer@demo.kr", "정사업")
    owners = [employer] + [_user(f"employer{n}@demo.kr", f"사업주{n}") for n in range(2, 7)]
    districts = district_names() or ["풍남동"]
    count = 24 if ctx.is_main_city else 10
    office = 610 if ctx.is_main_city else 710

    def register(i: int, owner: User) -> Workplace:
        return services.workplace_register(
            owner=owner,
            name=NAMES[i % len(NAMES)],
            business_number=brn.with_check_digit(f"{office + i:03d}86{i + 1:04d}"),
            address=f"{ctx.city.name} 일자리로 {i + 1}",
            district=districts[i % len(districts)],
            industry=INDUSTRIES[i % len(INDUSTRIES)],
            size="small" if i % 3 else "medium",
            baseline_headcount=12 + (i * 7) % 40,
        )

    def pledge(workplace: Workplace, representative: User) -> Declaration:
        return services.declaration_sign_employer(
            employer=workplace.owner,
            workplace=workplace,
            pledge_round=pledge_round,
            representative_email=representative.email or "",
            text_hash=pledge_round.text_hash,
            consent=True,
        )

    verified: list[Declaration] = []
    for i in range(count):
        workplace = register(i, owners[i % len(owners)])
        declaration = pledge(workplace, representatives[i % 3])
        services.declaration_sign_representative(
            by=representatives[i % 3],
            declaration=declaration,
            text_hash=declaration.text_hash,
            consent=True,
        )
        verified.append(services.declaration_verify(by=staff, declaration=declaration))
        services.evidence_upload(
            by=workplace.owner,
            workplace=workplace,
            name="고용보험_피보험자명부.csv",
            content=f"사업장,피보험자수\n{workplace.name},{workplace.baseline_headcount}\n".encode(),
        )
    # A shop owner reuses their shop's details (owner@demo.kr's shop), waiting for staff.
    shop = (
        Shop.objects.filter(
            members__user__email="owner@demo.kr", members__role=ShopMember.Role.OWNER
        )
        .order_by("pk")
        .first()
    )
    if shop is not None:
        shop_workplace = services.workplace_register(
            owner=shop.owner, shop=shop, industry="food", size="micro", baseline_headcount=4
        )
        signed = pledge(shop_workplace, representatives[0])
        services.declaration_sign_representative(
            by=representatives[0], declaration=signed, text_hash=signed.text_hash, consent=True
        )
    waiting = register(count, owners[1])
    pledge(waiting, rep)  # rep@demo.kr co-signs it
    rejected = pledge(register(count + 1, owners[2]), representatives[1])
    services.declaration_reject(
        by=staff, declaration=rejected, reason="고용보험 명부의 인원과 기준 인원이 다릅니다."
    )

    breach, dismissal, shortfall, missing = verified[1], verified[2], verified[3], verified[4]
    for n, month in enumerate(months):
        for declaration in verified:
            if month == last_month and declaration in (verified[0], missing):
                continue  # employer@demo.kr files it; the other is chased
            baseline = declaration.baseline_headcount
            headcount, extra = baseline, {}
            if n % 4 == 1:
                extra = {"resignations": 1}
                headcount = baseline - 1
            if n % 4 == 2:
                extra = {"hires": 1}
            if declaration is breach and n == 7:
                extra = {"dismissals": 2}
                headcount = baseline - 2
            if declaration is dismissal and month == last_month:
                extra = {"dismissals": 1}
                headcount = baseline - 1
            if declaration is shortfall and month == last_month:
                headcount = baseline - 12
            services.report_file(
                by=declaration.workplace.owner,
                declaration=declaration,
                data=services.ReportInput(month=month, headcount=headcount, **extra),
            )
        if n == 7:
            case = Case.objects.get(declaration=breach, kind=Case.Kind.DISMISSAL)
            services.case_close(
                by=staff, case=case, breach=True, note="경영상 해고 2명 확인: 선언 위반"
            )
        if month != last_month:
            services.incentives_run(month=month)
    services.reports_chase(month=last_month)
    services.reports_flag_missing(month=last_month)
    services.reports_chase(month=rules.month_add(last_month, -1))  # nothing missing then
    services.worker_report_file(
        by=worker, workplace=verified[5].workplace, text="지난주 구두로 해고 통보를 받았습니다."
    )
    services.tax_deferral_record(
        by=staff,
        declaration=verified[0],
        tax="지방소득세(법인)",
        amount=3_400_000,
        original_due=rules.month_add(this_month, 1),
    )
    for declaration in verified[6:9]:
        services.workplace_set_openings(
            owner=declaration.workplace.owner, workplace=declaration.workplace, openings=2
        )
    services.help_request_create(
        worker=worker, former_workplace="완산상사", wanted_industry="manufacturing"
    )
    matched = services.help_request_create(
        worker=_user("citizen9@demo.kr", "시민9"),
        former_workplace="효자마트",
        wanted_industry="retail",
    )
    services.match_create(
        by=staff, help_request=matched, workplace=Workplace.objects.get(pk=verified[6].workplace_id)
    )
    if ctx.is_main_city:
        ctx.notes.append(
            f"City without dismissal: {count - 1} participating workplaces at /workplaces/; "
            "employer@demo.kr files last month's report at /workplaces/mine/; rep@demo.kr "
            "co-signs a declaration; staff@demo.kr verifies and reviews cases at "
            "/workplaces/staff/; worker@demo.kr asked for help at /workplaces/help/."
        )
