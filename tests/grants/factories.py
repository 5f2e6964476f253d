"""Grant programmes as a city would set them up; Jeonju's of 2020 by default."""

from __future__ import annotations

import datetime as dt

from grants.models import MEDIAN_INCOME_2020, Programme
from grants.services import GroupSpec, application_submit, programme_create, programme_open
from merchants.models import DEFAULT_EXCLUDED_CATEGORIES

JEONJU_GROUPS = [
    GroupSpec("unemployed", "실업자(실업급여 미수급)", "고용보험 피보험자격 이력내역서"),
    GroupSpec("day_worker", "일용·임시직 근로자", "근로계약서 또는 근로 사실 확인서"),
    GroupSpec("income_fall", "소득이 줄어든 소상공인·프리랜서", "매출 또는 소득 감소 증빙"),
]

TODAY = dt.date(2026, 12, 3)


def jeonju_2020(staff, *, budget=527_158 * 10, open_=True, per="person", **overrides):
    """30% of 2020's one-person median income (527,158 won), applications open around today,
    spendable until the end of next month, not at the excluded categories."""
    values = {
        "by": staff,
        "name": "전주형 재난기본소득",
        "per": per,
        "amount_rule": Programme.AmountRule.MEDIAN_SHARE,
        "median_share_bp": 3000,
        "median_year": 2020,
        "median_table": MEDIAN_INCOME_2020,
        "apply_from": dt.date(2020, 3, 23),
        "apply_until": dt.date(2030, 12, 31),
        "spend_until": dt.date(2030, 12, 31),
        "budget": budget,
        "groups": JEONJU_GROUPS,
        "health_premium_max": 110_000,
        "property_tax_max": 200_000,
        "excluded_categories": [str(c) for c in DEFAULT_EXCLUDED_CATEGORIES],
    }
    values.update(overrides)
    programme = programme_create(**values)
    if open_:
        programme = programme_open(programme=programme, by=staff)
    return programme


_person = iter(range(10_000_000))


def apply(programme, user, *, group="unemployed", identifier=None, household=None, size=1, **kw):
    n = next(_person)
    return application_submit(
        programme=programme,
        applicant=user,
        group_code=group,
        identifier=identifier or f"900101{1000000 + n}",
        household=household or f"전주시 완산구 효자동 {n}",
        household_size=size,
        consent=True,
        **kw,
    )
