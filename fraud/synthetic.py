"""A synthetic month of a city with planted cash-out rings and as many honest look-alikes, for
measuring the signals (``bench/fraud_bench.py``, ``tests/fraud/test_synthetic.py``).

Everything comes from one ``random.Random(seed)``: the same seed gives the same world. The
world is facts (``fraud.rules.Facts``), not database rows, so a month of 100,000 citizens and
10,000 shops is generated and scored in seconds; the nightly step scores the same facts loaded
from the ledger's programmes (``fraud.selectors.facts_load``).

Planted kinds (what investigators describe) and the honest pattern that looks like each:

==================  ===========================================  ==================================
kind                planted                                      look-alike (honest)
==================  ===========================================  ==================================
charge_and_cash     a shop and 3-6 citizens who each charge the  a citizen who charges and buys an
                    month's limit and pay it whole, in round     appliance for the whole charge at
                    amounts, within minutes                      once (at an ordinary shop)
night_shop          a shop approved days ago taking round        a new shop near a university:
                    payments from a few wallets at night         many small payments, some late
closed_group        two or three shop owners paying at each      a family paying at a relative's
                    other's shops, round sums, again and again   shop, and two neighbouring owners
                                                                 buying from each other once
refund_after        a citizen who charges with an incentive,     a citizen who charges with an
                    spends 60% at one shop at once and asks      incentive, spends 65% over two
                    for the rest back                            weeks at many shops, and refunds
==================  ===========================================  ==================================
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .rules import ChargeFact, Facts, PaymentFact, RefundFact, ShopFact

SEOUL = ZoneInfo("Asia/Seoul")
KINDS = ("charge_and_cash", "night_shop", "closed_group", "refund_after")

# The world's city charges at most this a month (Jeonju's limit, the thresholds' default): rings
# charge it whole. A database bench gives its city the same wallet policy.
MONTHLY_CHARGE_LIMIT = 500_000


@dataclass
class Planted:
    kind: str
    subjects: set[tuple[str, int]]  # ("shop", id) / ("citizen", id) that a case may name


@dataclass
class World:
    facts: Facts
    planted: list[Planted] = field(default_factory=list)
    lookalikes: list[Planted] = field(default_factory=list)  # subjects that must stay clear


class _Ids:
    def __init__(self, start: int) -> None:
        self.n = start

    def __call__(self) -> int:
        self.n += 1
        return self.n


def world_build(
    *,
    seed: int,
    citizens: int = 100_000,
    shops: int = 10_000,
    rings: int = 10,
    days: int = 30,
    start: datetime | None = None,
    ordinary: bool = True,
) -> World:
    """A month (``days`` from ``start``) of ``citizens`` and ``shops`` with ``rings`` planted
    cases of each kind and as many look-alikes of each.

    With ``ordinary=False`` the ordinary city is left out: the world holds only the planted
    cases and the look-alikes, whose people and shops have ids above ``citizens`` and
    ``shops``; ids 1..``shops`` still name the ordinary shops some of them pay at (the
    database bench of ``bench/fraud_bench.py`` maps them onto the shops of a seeded city)."""
    rnd = random.Random(seed)  # noqa: S311 - a reproducible world, not a secret
    start = start or datetime(2026, 3, 1, tzinfo=SEOUL)
    end = start + timedelta(days=days)
    facts = Facts(start=start, end=end)
    world = World(facts=facts)
    pay_id, charge_id, refund_id = _Ids(0), _Ids(0), _Ids(0)
    user_id = _Ids(citizens)  # planted people get ids after the ordinary citizens
    shop_id = _Ids(shops)
    brackets = ["under_300m"] * 6 + ["under_500m"] * 2 + ["under_1b", "under_3b"]

    def moment(day: int | None = None, hours=(8, 22)) -> datetime:
        d = rnd.randrange(days) if day is None else day
        minute = rnd.randrange(hours[0] * 60, hours[1] * 60)
        return start + timedelta(days=d, minutes=minute)

    def shop(owner: int, *, approved: datetime | None = None, bracket: str | None = None) -> int:
        sid = shop_id()
        facts.shops[sid] = ShopFact(
            sid,
            owner,
            approved or start - timedelta(days=rnd.randrange(60, 2000)),
            bracket or rnd.choice(brackets),
            f"가게 {sid}",
        )
        return sid

    def pay(user: int, sid: int, amount: int, at: datetime) -> None:
        facts.payments.append(PaymentFact(pay_id(), user, sid, amount, at))

    def charge(user: int, amount: int, at: datetime, incentive: int = 0) -> None:
        facts.charges.append(ChargeFact(charge_id(), user, amount, incentive, at))

    # --- The ordinary city ------------------------------------------------------------------
    for sid in range(1, shops + 1 if ordinary else 1):
        facts.shops[sid] = ShopFact(
            sid,
            citizens + 1_000_000 + sid,  # owners who do not shop with the wallet here
            start - timedelta(days=rnd.randrange(60, 2000)),
            rnd.choice(brackets),
            f"가게 {sid}",
        )
    shop_ids = list(range(1, shops + 1))
    for uid in range(1, citizens + 1 if ordinary else 1):
        amount = rnd.choice((50_000, 100_000, 100_000, 200_000, 300_000))
        charge(uid, amount, moment(), incentive=amount // 10 if rnd.random() < 0.3 else 0)
        for _ in range(rnd.randrange(3, 12)):
            pay(uid, rnd.choice(shop_ids), rnd.randrange(30, 800) * 100, moment())
        if rnd.random() < 0.01:  # some ask for their balance back, as the rules allow
            facts.refunds.append(
                RefundFact(refund_id(), uid, rnd.randrange(1, 40) * 1_000, moment())
            )

    # --- Planted cases -----------------------------------------------------------------------
    for _ in range(rings):
        # charge_and_cash: a shop and its helpers.
        sid = shop(user_id())
        members = [user_id() for _ in range(rnd.randrange(3, 7))]
        for uid in members:
            at = moment()
            limit = MONTHLY_CHARGE_LIMIT
            charge(uid, limit, at)
            paid = rnd.choice((limit, limit, 490_000, 480_000))
            pay(uid, sid, paid, at + timedelta(minutes=rnd.randrange(1, 20)))
        world.planted.append(
            Planted("charge_and_cash", {("shop", sid)} | {("citizen", u) for u in members})
        )

        # night_shop: new, round payments at night from a few wallets.
        owner = user_id()
        sid = shop(owner, approved=end - timedelta(days=rnd.randrange(5, 20)), bracket="under_300m")
        wallets = [user_id() for _ in range(rnd.randrange(2, 5))]
        for _ in range(rnd.randrange(8, 15)):
            pay(
                rnd.choice(wallets),
                sid,
                rnd.choice((200_000, 300_000, 400_000, 500_000)),
                moment(day=rnd.randrange(days - 5, days), hours=(0, 5)),
            )
        world.planted.append(
            Planted("night_shop", {("shop", sid)} | {("citizen", u) for u in wallets})
        )

        # closed_group: owners of 2-3 shops paying at each other's shops.
        owners = [user_id() for _ in range(rnd.randrange(2, 4))]
        group = [shop(o) for o in owners]
        for i, owner in enumerate(owners):
            for j, target in enumerate(group):
                if i == j:
                    continue
                for _ in range(rnd.randrange(2, 5)):
                    pay(owner, target, rnd.choice((150_000, 200_000, 300_000)), moment())
        world.planted.append(
            Planted(
                "closed_group",
                {("shop", s) for s in group} | {("citizen", o) for o in owners},
            )
        )

        # refund_after: charge with an incentive, 60% at once at one shop, the rest back.
        uid = user_id()
        at = moment(day=rnd.randrange(days - 8))
        charge(uid, 500_000, at, incentive=50_000)
        accomplice = rnd.choice(shop_ids)
        pay(uid, accomplice, rnd.choice((300_000, 320_000, 350_000)), at + timedelta(minutes=5))
        facts.refunds.append(
            RefundFact(refund_id(), uid, 150_000, at + timedelta(days=rnd.randrange(1, 4)))
        )
        world.planted.append(Planted("refund_after", {("citizen", uid)}))

    # --- Honest look-alikes --------------------------------------------------------------------
    for _ in range(rings):
        # An appliance bought with the whole charge, at once.
        uid = user_id()
        at = moment()
        charge(uid, 500_000, at)
        sid = rnd.choice(shop_ids)
        pay(uid, sid, 500_000, at + timedelta(minutes=rnd.randrange(2, 25)))
        world.lookalikes.append(Planted("charge_and_cash", {("citizen", uid)}))

        # A new shop near a university: many small payments, some late at night.
        sid = shop(user_id(), approved=end - timedelta(days=rnd.randrange(5, 20)))
        students = [user_id() for _ in range(rnd.randrange(150, 300))]
        for uid in students:
            for _ in range(rnd.randrange(2, 6)):
                hours = (0, 2) if rnd.random() < 0.15 else (9, 24)
                pay(
                    uid,
                    sid,
                    rnd.randrange(25, 99) * 100,
                    moment(day=rnd.randrange(days), hours=hours),
                )
        world.lookalikes.append(Planted("night_shop", {("shop", sid)}))

        # A family at a relative's shop, and two neighbouring owners buying from each other once.
        sid = shop(user_id())
        family = [user_id() for _ in range(rnd.randrange(3, 6))]
        for uid in family:
            charge(uid, 200_000, moment())
            for _ in range(rnd.randrange(4, 9)):
                pay(uid, sid, rnd.randrange(100, 900) * 100, moment())
        world.lookalikes.append(
            Planted("closed_group", {("shop", sid)} | {("citizen", u) for u in family})
        )
        owner_a, owner_b = user_id(), user_id()
        a, b = shop(owner_a), shop(owner_b)
        pay(owner_a, b, rnd.randrange(50, 400) * 1_000 + 500, moment())
        pay(owner_b, a, rnd.randrange(50, 400) * 1_000 + 500, moment())
        world.lookalikes.append(Planted("closed_group", {("shop", a), ("shop", b)}))

        # Charged with an incentive, spent 65% over two weeks, asked for the rest back.
        uid = user_id()
        at = moment(day=rnd.randrange(days - 16))
        charge(uid, 300_000, at, incentive=30_000)
        for k in range(6):
            pay(uid, rnd.choice(shop_ids), 32_500, at + timedelta(days=2 * k + 1, hours=3))
        facts.refunds.append(RefundFact(refund_id(), uid, 105_000, at + timedelta(days=6)))
        world.lookalikes.append(Planted("refund_after", {("citizen", uid)}))

    facts.payments.sort(key=lambda p: p.at)
    return world


@dataclass
class Measure:
    kind: str
    planted: int
    found: int  # planted cases with at least one case on their subjects
    true_cases: int  # cases on planted subjects of this kind
    false_cases: int  # cases on this kind's look-alikes

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        named = self.true_cases + self.false_cases
        return self.true_cases / named if named else 1.0


def world_measure(world: World, cases: set[tuple[str, int]]) -> tuple[list[Measure], int]:
    """Per planted kind: recall (rings found) and precision (cases on the kind's planted
    subjects against cases on its look-alikes); and the cases on ordinary citizens and shops
    (background false positives, counted in the overall precision by the bench)."""
    measures = []
    accounted: set[tuple[str, int]] = set()
    for kind in KINDS:
        planted = [p for p in world.planted if p.kind == kind]
        looks = [p for p in world.lookalikes if p.kind == kind]
        true = {s for p in planted for s in p.subjects} & cases
        false = {s for p in looks for s in p.subjects} & cases
        accounted |= true | false
        found = sum(1 for p in planted if p.subjects & cases)
        measures.append(Measure(kind, len(planted), found, len(true), len(false)))
    return measures, len(cases - accounted)
