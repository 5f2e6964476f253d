"""Cash-out ("깡") signals: pure functions over a window of facts, each firing with its reason in
plain words, its evidence and the payments behind it. No database here: the nightly step
(``fraud.nightly``) loads the facts with ``selectors.facts_load`` and the bench
(``bench/fraud_bench.py``) builds them synthetically, and both score them with ``score``.

The signals (``docs/fraud.md`` explains each and its thresholds):

====================  ========  =====================================================  ======
signal                subject   fires when                                              weight
====================  ========  =====================================================  ======
fast_after_charge     shop      ≥ ``fast_min_citizens`` citizens each spent ≥            2
                                ``fast_share_bp`` of a charge here within
                                ``fast_minutes`` of charging
round_near_limit      shop      ≥ ``round_min_count`` payments of a round amount          1
                                (multiple of ``round_unit``) at ≥ ``near_limit_bp``
                                of the monthly charge limit
off_hours             shop      ≥ ``off_hours_share_bp`` of the shop's wallet sales,      1
                                and ≥ ``off_hours_min_amount`` won, between
                                ``off_hours_start`` and ``off_hours_end`` o'clock
new_shop_spike        shop      approved ≤ ``new_shop_days`` before the window's end      1
                                and ≥ ``new_shop_min_sales`` won of sales in it
over_bracket          shop      the window's sales, annualised, above                     1
                                ``over_bracket_bp`` of its declared bracket's top
closed_group          shop      its owner and another shop's owner paid each other's      2
                                shops ≥ ``group_min_amount`` won each way, in ≥
                                ``group_min_payments`` payments each way
fast_after_charge     citizen   spent ≥ ``fast_share_bp`` of a charge at one shop          1
                                within ``fast_minutes`` of charging
refund_after_charge   citizen   a refund of the balance (or a charge cancelled) within    1
                                ``refund_days`` of a charge that earned an incentive
====================  ========  =====================================================  ======

A subject whose weights add up to ``case_score`` (default 2) or more becomes a case. One signal
alone is never a case by default: each has honest look-alikes (a tuition fee is round and near
the limit; a new shop may simply be popular; a citizen may buy an appliance the minute they
charged). Worked example: a shop where three citizens each charged 500,000 won and paid
500,000 won within ten minutes scores fast_after_charge (2) + round_near_limit (1) = 3.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

# The top of each declared annual-sales bracket, in won (``merchants.SalesBracket``).
BRACKET_TOP = {
    "under_300m": 300_000_000,
    "under_500m": 500_000_000,
    "under_1b": 1_000_000_000,
    "under_3b": 3_000_000_000,
    "over_3b": 10_000_000_000,
}


@dataclass(frozen=True)
class Thresholds:
    """Every threshold a city may tune (``FraudSettings.values``); these are the defaults."""

    window_days: int = 30
    monthly_charge_limit: int = 500_000
    round_unit: int = 10_000
    near_limit_bp: int = 6_000
    round_min_count: int = 3
    fast_minutes: int = 30
    fast_share_bp: int = 6_000
    fast_min_citizens: int = 3
    off_hours_start: int = 0
    off_hours_end: int = 6
    off_hours_share_bp: int = 5_000
    off_hours_min_amount: int = 1_000_000
    new_shop_days: int = 30
    new_shop_min_sales: int = 3_000_000
    over_bracket_bp: int = 20_000
    group_min_amount: int = 300_000
    group_min_payments: int = 2
    refund_days: int = 7
    case_score: int = 2

    @classmethod
    def of(cls, overrides: dict | None) -> Thresholds:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: int(v) for k, v in (overrides or {}).items() if k in names}
        return cls(**values)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


WEIGHTS = {
    ("shop", "fast_after_charge"): 2,
    ("shop", "round_near_limit"): 1,
    ("shop", "off_hours"): 1,
    ("shop", "new_shop_spike"): 1,
    ("shop", "over_bracket"): 1,
    ("shop", "closed_group"): 2,
    ("citizen", "fast_after_charge"): 1,
    ("citizen", "refund_after_charge"): 1,
}


# --- Facts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFact:
    id: int
    user_id: int
    shop_id: int
    amount: int
    at: datetime  # local time (Asia/Seoul)


@dataclass(frozen=True)
class ChargeFact:
    id: int
    user_id: int
    amount: int
    incentive: int
    at: datetime


@dataclass(frozen=True)
class RefundFact:
    """A refund of the remaining balance, or a cancelled charge (``kind``)."""

    id: int
    user_id: int
    amount: int
    at: datetime
    kind: str = "refund"


@dataclass(frozen=True)
class ShopFact:
    id: int
    owner_id: int
    approved_at: datetime | None
    sales_bracket: str
    name: str = ""


@dataclass
class Facts:
    start: datetime
    end: datetime
    payments: list[PaymentFact] = field(default_factory=list)
    charges: list[ChargeFact] = field(default_factory=list)
    refunds: list[RefundFact] = field(default_factory=list)
    shops: dict[int, ShopFact] = field(default_factory=dict)


# --- Results --------------------------------------------------------------------------------------


@dataclass
class Signal:
    kind: str
    text: str  # the reason in plain words (translated)
    evidence: dict
    payments: list[int]
    weight: int

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Finding:
    """A subject (a shop or a citizen) with its signals, the parties involved, and its score."""

    subject: str  # "shop" | "citizen"
    subject_id: int
    signals: list[Signal] = field(default_factory=list)
    shops: set[int] = field(default_factory=set)
    citizens: set[int] = field(default_factory=set)

    @property
    def score(self) -> int:
        return sum(s.weight for s in self.signals)


def _won(amount: int) -> str:
    return f"{amount:,}"


def _pct(bp: int) -> str:
    return f"{bp / 100:g}%"


class _Findings(dict):
    def add(self, subject: str, subject_id: int, signal: Signal, *, shops=(), citizens=()):
        finding = self.get((subject, subject_id))
        if finding is None:
            finding = self[(subject, subject_id)] = Finding(subject, subject_id)
        finding.signals.append(signal)
        finding.shops |= set(shops)
        finding.citizens |= set(citizens)
        if subject == "shop":
            finding.shops.add(subject_id)
        else:
            finding.citizens.add(subject_id)


# --- The signals ----------------------------------------------------------------------------------


def _fast_after_charge(facts: Facts, t: Thresholds, out: _Findings) -> None:
    """Each charge followed, within ``fast_minutes``, by payments at one shop adding up to at
    least ``fast_share_bp`` of it."""
    by_user: dict[int, list[PaymentFact]] = defaultdict(list)
    for p in facts.payments:
        by_user[p.user_id].append(p)
    for payments in by_user.values():
        payments.sort(key=lambda p: p.at)
    window = timedelta(minutes=t.fast_minutes)
    at_shop: dict[int, list[tuple[int, ChargeFact, list[PaymentFact]]]] = defaultdict(list)
    for charge in facts.charges:
        after = [
            p for p in by_user.get(charge.user_id, ()) if charge.at <= p.at <= charge.at + window
        ]
        per_shop: dict[int, list[PaymentFact]] = defaultdict(list)
        for p in after:
            per_shop[p.shop_id].append(p)
        for shop_id, paid in per_shop.items():
            total = sum(p.amount for p in paid)
            if total * 10_000 >= charge.amount * t.fast_share_bp:
                at_shop[shop_id].append((charge.user_id, charge, paid))
                minutes = max(1, int((paid[-1].at - charge.at).total_seconds() // 60))
                out.add(
                    "citizen",
                    charge.user_id,
                    Signal(
                        "fast_after_charge",
                        _(
                            "Charged %(charge)s won and spent %(spent)s won of it at one shop "
                            "within %(minutes)s minutes."
                        )
                        % {"charge": _won(charge.amount), "spent": _won(total), "minutes": minutes},
                        {
                            "charge": charge.id,
                            "charged": charge.amount,
                            "spent": total,
                            "shop": shop_id,
                            "minutes": minutes,
                        },
                        [p.id for p in paid],
                        WEIGHTS[("citizen", "fast_after_charge")],
                    ),
                    shops=[shop_id],
                )
    for shop_id, rows in at_shop.items():
        citizens = {user_id for user_id, _c, _p in rows}
        if len(citizens) < t.fast_min_citizens:
            continue
        spent = sum(p.amount for _u, _c, paid in rows for p in paid)
        out.add(
            "shop",
            shop_id,
            Signal(
                "fast_after_charge",
                _(
                    "%(citizens)s citizens each spent most of a charge here within %(minutes)s "
                    "minutes of charging (%(spent)s won in all)."
                )
                % {"citizens": len(citizens), "minutes": t.fast_minutes, "spent": _won(spent)},
                {
                    "citizens": sorted(citizens),
                    "spent": spent,
                    "charges": [c.id for _u, c, _p in rows],
                },
                sorted(p.id for _u, _c, paid in rows for p in paid),
                WEIGHTS[("shop", "fast_after_charge")],
            ),
            citizens=citizens,
        )


def _shop_payments(facts: Facts) -> dict[int, list[PaymentFact]]:
    by_shop: dict[int, list[PaymentFact]] = defaultdict(list)
    for p in facts.payments:
        by_shop[p.shop_id].append(p)
    return by_shop


def _round_near_limit(by_shop, t: Thresholds, out: _Findings) -> None:
    floor = t.monthly_charge_limit * t.near_limit_bp // 10_000
    for shop_id, payments in by_shop.items():
        hits = [p for p in payments if p.amount >= floor and p.amount % t.round_unit == 0]
        if len(hits) < t.round_min_count:
            continue
        out.add(
            "shop",
            shop_id,
            Signal(
                "round_near_limit",
                _(
                    "%(count)s payments of round amounts of %(floor)s won or more, close to the "
                    "monthly charge limit of %(limit)s won."
                )
                % {
                    "count": len(hits),
                    "floor": _won(floor),
                    "limit": _won(t.monthly_charge_limit),
                },
                {"count": len(hits), "total": sum(p.amount for p in hits), "floor": floor},
                [p.id for p in hits],
                WEIGHTS[("shop", "round_near_limit")],
            ),
            citizens={p.user_id for p in hits},
        )


def _is_off_hours(hour: int, t: Thresholds) -> bool:
    if t.off_hours_start <= t.off_hours_end:
        return t.off_hours_start <= hour < t.off_hours_end
    return hour >= t.off_hours_start or hour < t.off_hours_end


def _off_hours(by_shop, t: Thresholds, out: _Findings) -> None:
    for shop_id, payments in by_shop.items():
        night = [p for p in payments if _is_off_hours(p.at.hour, t)]
        if not night:
            continue
        night_total = sum(p.amount for p in night)
        total = sum(p.amount for p in payments)
        if (
            night_total < t.off_hours_min_amount
            or night_total * 10_000 < total * t.off_hours_share_bp
        ):
            continue
        out.add(
            "shop",
            shop_id,
            Signal(
                "off_hours",
                _(
                    "%(share)s of the shop's wallet sales (%(amount)s won, %(count)s payments) "
                    "were paid between %(start)s:00 and %(end)s:00."
                )
                % {
                    "share": _pct(night_total * 10_000 // total),
                    "amount": _won(night_total),
                    "count": len(night),
                    "start": t.off_hours_start,
                    "end": t.off_hours_end,
                },
                {"night_total": night_total, "total": total, "count": len(night)},
                [p.id for p in night],
                WEIGHTS[("shop", "off_hours")],
            ),
            citizens={p.user_id for p in night},
        )


def _new_shop_spike(facts: Facts, by_shop, t: Thresholds, out: _Findings) -> None:
    since = facts.end - timedelta(days=t.new_shop_days)
    for shop_id, payments in by_shop.items():
        shop = facts.shops.get(shop_id)
        if shop is None or shop.approved_at is None or shop.approved_at < since:
            continue
        total = sum(p.amount for p in payments)
        if total < t.new_shop_min_sales:
            continue
        days = max(1, (facts.end - shop.approved_at).days)
        out.add(
            "shop",
            shop_id,
            Signal(
                "new_shop_spike",
                _("Approved %(days)s days ago, and already %(total)s won of wallet sales.")
                % {"days": days, "total": _won(total)},
                {"approved": shop.approved_at.date().isoformat(), "total": total},
                [p.id for p in sorted(payments, key=lambda p: -p.amount)[:50]],
                WEIGHTS[("shop", "new_shop_spike")],
            ),
        )


def _over_bracket(facts: Facts, by_shop, t: Thresholds, out: _Findings) -> None:
    days = max(1, (facts.end - facts.start).days)
    for shop_id, payments in by_shop.items():
        shop = facts.shops.get(shop_id)
        if shop is None:
            continue
        top = BRACKET_TOP.get(shop.sales_bracket)
        if top is None:
            continue
        total = sum(p.amount for p in payments)
        yearly = total * 365 // days
        if yearly * 10_000 <= top * t.over_bracket_bp:
            continue
        out.add(
            "shop",
            shop_id,
            Signal(
                "over_bracket",
                _(
                    "Wallet sales of %(total)s won in %(days)s days come to %(yearly)s won a "
                    "year, far above the declared sales of at most %(top)s won."
                )
                % {"total": _won(total), "days": days, "yearly": _won(yearly), "top": _won(top)},
                {"total": total, "yearly": yearly, "bracket_top": top},
                [p.id for p in sorted(payments, key=lambda p: -p.amount)[:50]],
                WEIGHTS[("shop", "over_bracket")],
            ),
        )


def _closed_group(facts: Facts, t: Thresholds, out: _Findings) -> None:
    """Shop owners who pay at each other's shops: for each pair of shops A, B, the owner of A
    paying at B and the owner of B paying at A, each way at least ``group_min_amount`` won."""
    owner_shops: dict[int, list[int]] = defaultdict(list)
    for shop in facts.shops.values():
        owner_shops[shop.owner_id].append(shop.id)
    flows: dict[tuple[int, int], list[PaymentFact]] = defaultdict(list)  # (from shop, to shop)
    for p in facts.payments:
        for own in owner_shops.get(p.user_id, ()):
            if own != p.shop_id:
                flows[(own, p.shop_id)].append(p)
    for (a, b), forth in flows.items():
        back = flows.get((b, a))
        if not back or a > b:
            continue
        sums = sum(p.amount for p in forth), sum(p.amount for p in back)
        if min(sums) < t.group_min_amount or min(len(forth), len(back)) < t.group_min_payments:
            continue
        names = {s: (facts.shops[s].name or f"#{s}") for s in (a, b)}
        for shop_id, other in ((a, b), (b, a)):
            out.add(
                "shop",
                shop_id,
                Signal(
                    "closed_group",
                    _(
                        "The owners of this shop and of %(other)s paid at each other's shops: "
                        "%(forth)s won one way and %(back)s won the other."
                    )
                    % {"other": names[other], "forth": _won(sums[0]), "back": _won(sums[1])},
                    {"other_shop": other, "forth": sums[0], "back": sums[1]},
                    sorted(p.id for p in forth + back),
                    WEIGHTS[("shop", "closed_group")],
                ),
                shops=[other],
                citizens={p.user_id for p in forth + back},
            )


def _refund_after_charge(facts: Facts, t: Thresholds, out: _Findings) -> None:
    charges: dict[int, list[ChargeFact]] = defaultdict(list)
    for c in facts.charges:
        if c.incentive > 0:
            charges[c.user_id].append(c)
    window = timedelta(days=t.refund_days)
    for refund in facts.refunds:
        before = [c for c in charges.get(refund.user_id, ()) if c.at <= refund.at <= c.at + window]
        if not before:
            continue
        charge = before[-1]
        days = (refund.at - charge.at).days
        out.add(
            "citizen",
            refund.user_id,
            Signal(
                "refund_after_charge",
                _(
                    "Asked for %(amount)s won back %(days)s days after a charge that earned "
                    "%(incentive)s won of incentive."
                )
                % {
                    "amount": _won(refund.amount),
                    "days": days,
                    "incentive": _won(charge.incentive),
                },
                {"refund": refund.id, "kind": refund.kind, "charge": charge.id, "days": days},
                [],
                WEIGHTS[("citizen", "refund_after_charge")],
            ),
        )


def score(facts: Facts, thresholds: Thresholds) -> list[Finding]:
    """Every subject with at least ``case_score``, highest score first (ties: shops first, by
    id)."""
    out = _Findings()
    by_shop = _shop_payments(facts)
    _fast_after_charge(facts, thresholds, out)
    _round_near_limit(by_shop, thresholds, out)
    _off_hours(by_shop, thresholds, out)
    _new_shop_spike(facts, by_shop, thresholds, out)
    _over_bracket(facts, by_shop, thresholds, out)
    _closed_group(facts, thresholds, out)
    _refund_after_charge(facts, thresholds, out)
    found = [f for f in out.values() if f.score >= thresholds.case_score]
    found.sort(key=lambda f: (-f.score, f.subject != "shop", f.subject_id))
    return found


def signal_kinds() -> Iterable[str]:
    return sorted({kind for _subject, kind in WEIGHTS})
