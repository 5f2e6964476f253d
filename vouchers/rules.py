"""The wallet rules in force on a date: the latest policy plus any override covering the date,
with the rates capped by the nightly incentive-cap decision in force (``vouchers.caps``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q

from jeonju_prepay.db import schema_name as db_schema_name

from .exceptions import PolicyMissingError
from .models import CapDecision, Policy, PolicyOverride

# No rate passes half of the amount: not a policy's own (the database refuses it), and not a
# rate with a citizen group's bonus on top, or an override's with the policy's bonus.
RATE_MAX_BP = 5000


@dataclass(frozen=True)
class Rules:
    on: date
    policy_id: int
    override_id: int | None
    charge_incentive_bp: int
    cashback_bp: int
    monthly_charge_limit: int
    annual_charge_limit: int | None
    holding_limit: int | None
    monthly_cashback_cap: int
    monthly_incentive_cap: int | None
    carry_over: bool
    budget_mode: str
    shop_class_cashback_bp: dict = field(default_factory=dict)
    citizen_group_bonus_bp: dict = field(default_factory=dict)
    # The nightly incentive-cap decision in force (vouchers.caps): no rate above this.
    cap_rate_bp: int | None = None
    cap_decision_id: int | None = None
    # The policy's own cashback, before any override (None: the same as cashback_bp).
    policy_cashback_bp: int | None = None
    # Gifts to other citizens (solidarity): sent and not undone, per day and per month.
    gift_daily_cap: int = 0
    gift_monthly_cap: int = 0

    def _capped(self, rate: int) -> int:
        rate = min(rate, RATE_MAX_BP)
        return rate if self.cap_rate_bp is None else min(rate, self.cap_rate_bp)

    def cashback_rate(self, *, sales_bracket: str, citizen_group: str) -> int:
        """Basis points of cashback at a shop of ``sales_bracket`` for ``citizen_group``.

        A shop class listed in the policy keeps its distance from the policy's cashback when an
        override moves it: with 10% and 12% below 300 million, a 20% January gives small shops
        22%, not 12% (fewer than everyone else). A class without cashback (0) stays without."""
        listed = self.shop_class_cashback_bp.get(sales_bracket)
        if listed is None:
            base = self.cashback_bp
        elif int(listed) == 0:
            return 0  # a shop class without cashback gets none, whatever the group or override
        else:
            policy_base = (
                self.cashback_bp if self.policy_cashback_bp is None else self.policy_cashback_bp
            )
            base = max(0, int(listed) + self.cashback_bp - policy_base)
        if base == 0:
            return 0
        return self._capped(base + int(self.citizen_group_bonus_bp.get(citizen_group, 0)))

    def incentive_rate(self, *, citizen_group: str) -> int:
        if self.charge_incentive_bp == 0:
            return 0
        return self._capped(
            self.charge_incentive_bp + int(self.citizen_group_bonus_bp.get(citizen_group, 0))
        )


# Rules are read on every payment; each process keeps them a few seconds. A change made through
# vouchers.services clears this process's copy at once, other processes within CACHE_SECONDS.
CACHE_SECONDS = 5.0
_cache: dict[tuple[str, date], tuple[float, Rules]] = {}


def charge_headroom(*, limit: int, carried_in: int, charged: int) -> int:
    """What a citizen may still charge in a month: the month's limit plus what was carried in,
    less what was charged, never below 0. Carried into the next month (where the policy carries
    over) is this same figure of the month before, under that month's limit.

    The one rule; the nightly statements over every citizen use its SQL twin
    ``usage_charge_headroom()`` (vouchers/sql/), and a table-driven test holds the two equal."""
    return max(0, limit + carried_in - charged)


def carried_in_for(*, user_id: int, month: date, rules: Rules) -> int:
    """What the citizen's usage row of ``month`` carries in, or will when it is created: the
    headroom left the month before, where ``rules`` carry over, else 0."""
    from .models import MonthlyUsage

    if not rules.carry_over:
        return 0
    previous_month = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    previous = (
        MonthlyUsage.objects.filter(user_id=user_id, month=previous_month)
        .values_list("carried_in", "charged")
        .first()
    )
    if previous is None:
        return 0
    carried_in, charged = previous
    limit = rules_on(previous_month).monthly_charge_limit
    return charge_headroom(limit=limit, carried_in=carried_in, charged=charged)


def rules_cache_clear() -> None:
    _cache.clear()


def rules_on(day: date) -> Rules:
    """The rules for ``day``. Raises ``PolicyMissingError`` when no policy is in force."""
    key = (db_schema_name(), day)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    rules = _rules_from_database(day)
    _cache[key] = (now + CACHE_SECONDS, rules)
    return rules


def _rules_from_database(day: date) -> Rules:
    policy = (
        Policy.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id").first()
    )
    if policy is None:
        raise PolicyMissingError()
    override = (
        PolicyOverride.objects.filter(
            Q(starts_on__lte=day) & Q(ends_on__gte=day), withdrawn_at__isnull=True
        )
        .order_by("-created_at", "-id")
        .first()
    )

    decision = (
        CapDecision.objects.filter(effective_from__lte=day, valid_until__gte=day)
        .order_by("-effective_from", "-id")
        .values_list("pk", "rate_bp")
        .first()
    )

    def pick(name):
        value = getattr(override, name, None) if override is not None else None
        return getattr(policy, name) if value is None else value

    return Rules(
        on=day,
        policy_id=policy.pk,
        override_id=override.pk if override else None,
        charge_incentive_bp=pick("charge_incentive_bp"),
        cashback_bp=pick("cashback_bp"),
        monthly_charge_limit=pick("monthly_charge_limit"),
        annual_charge_limit=policy.annual_charge_limit,
        holding_limit=policy.holding_limit,
        monthly_cashback_cap=pick("monthly_cashback_cap"),
        monthly_incentive_cap=policy.monthly_incentive_cap,
        carry_over=policy.carry_over,
        budget_mode=policy.budget_mode,
        shop_class_cashback_bp=dict(policy.shop_class_cashback_bp or {}),
        citizen_group_bonus_bp=dict(policy.citizen_group_bonus_bp or {}),
        cap_rate_bp=decision[1] if decision else None,
        cap_decision_id=decision[0] if decision else None,
        policy_cashback_bp=policy.cashback_bp,
        gift_daily_cap=policy.gift_daily_cap,
        gift_monthly_cap=policy.gift_monthly_cap,
    )
