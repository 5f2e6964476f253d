"""The signals on hand-made facts: each fires on what it describes, with its words and its
payments, and not on the look-alike beside it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from fraud.rules import ChargeFact, Facts, PaymentFact, RefundFact, ShopFact, Thresholds, score

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def _english():
    """The reasons are compared in English here (the Korean is in the .po file)."""
    with translation.override("en"):
        yield


START = dt.datetime(2026, 3, 1, tzinfo=SEOUL)
END = START + dt.timedelta(days=30)


def at(day, hour, minute=0):
    return START + dt.timedelta(days=day, hours=hour, minutes=minute)


def facts(**parts):
    f = Facts(start=START, end=END)
    f.shops = {
        1: ShopFact(1, 901, START - dt.timedelta(days=400), "under_300m", "빵집"),
        2: ShopFact(2, 902, START - dt.timedelta(days=400), "under_300m", "방앗간"),
        3: ShopFact(3, 903, END - dt.timedelta(days=10), "under_300m", "새가게"),
    }
    for key, value in parts.items():
        setattr(f, key, value)
    return f


def by_subject(findings):
    return {(f.subject, f.subject_id): f for f in findings}


def test_citizens_spending_their_charge_at_once_at_one_shop_make_a_shop_case():
    charges = [ChargeFact(i, 100 + i, 500_000, 0, at(i, 10)) for i in range(3)]
    payments = [PaymentFact(10 + i, 100 + i, 1, 500_000, at(i, 10, 7)) for i in range(3)]
    found = by_subject(score(facts(charges=charges, payments=payments), Thresholds()))
    case = found[("shop", 1)]
    kinds = sorted(s.kind for s in case.signals)
    assert kinds == ["fast_after_charge", "round_near_limit"]
    assert case.score == 3
    fast = next(s for s in case.signals if s.kind == "fast_after_charge")
    assert fast.text == (
        "3 citizens each spent most of a charge here within 30 minutes of charging "
        "(1,500,000 won in all)."
    )
    assert fast.payments == [10, 11, 12]
    assert case.citizens == {100, 101, 102}
    # Each citizen alone scores 1 (an appliance bought at once looks the same): no case.
    assert ("citizen", 100) not in found


def test_two_fast_citizens_and_round_amounts_elsewhere_are_not_a_case():
    charges = [ChargeFact(i, 100 + i, 500_000, 0, at(i, 10)) for i in range(2)]
    payments = [PaymentFact(10 + i, 100 + i, 1, 500_000, at(i, 10, 7)) for i in range(2)]
    found = score(facts(charges=charges, payments=payments), Thresholds())
    assert found == []  # fast 2 citizens < 3, round 2 payments < 3
    assert score(facts(charges=charges, payments=payments), Thresholds(fast_min_citizens=2))


def test_night_sales_at_a_new_shop():
    payments = [PaymentFact(i, 200 + i % 2, 3, 400_000, at(20 + i % 9, 2)) for i in range(9)]
    found = by_subject(score(facts(payments=payments), Thresholds()))
    kinds = sorted(s.kind for s in found[("shop", 3)].signals)
    assert kinds == ["new_shop_spike", "off_hours", "round_near_limit"]
    off = next(s for s in found[("shop", 3)].signals if s.kind == "off_hours")
    assert off.evidence == {"night_total": 3_600_000, "total": 3_600_000, "count": 9}
    assert off.text == (
        "100% of the shop's wallet sales (3,600,000 won, 9 payments) were paid between 0:00 "
        "and 6:00."
    )


def test_owners_paying_at_each_others_shops():
    payments = [
        PaymentFact(1, 901, 2, 200_000, at(1, 12)),
        PaymentFact(2, 901, 2, 150_000, at(3, 12)),
        PaymentFact(3, 902, 1, 200_000, at(2, 12)),
        PaymentFact(4, 902, 1, 200_000, at(4, 12)),
    ]
    found = by_subject(score(facts(payments=payments), Thresholds()))
    assert {("shop", 1), ("shop", 2)} <= set(found)
    signal = found[("shop", 1)].signals[0]
    assert signal.evidence == {"other_shop": 2, "forth": 350_000, "back": 400_000}
    # Once each way, as neighbours do: no case.
    assert score(facts(payments=payments[::2]), Thresholds()) == []


def test_a_refund_days_after_an_incentive_and_a_fast_spend_is_a_citizen_case():
    charges = [ChargeFact(1, 300, 500_000, 50_000, at(5, 9))]
    payments = [PaymentFact(1, 300, 2, 320_000, at(5, 9, 4))]
    refunds = [RefundFact(7, 300, 180_000, at(7, 11))]
    found = by_subject(
        score(facts(charges=charges, payments=payments, refunds=refunds), Thresholds())
    )
    case = found[("citizen", 300)]
    assert sorted(s.kind for s in case.signals) == ["fast_after_charge", "refund_after_charge"]
    refund = next(s for s in case.signals if s.kind == "refund_after_charge")
    assert refund.text == (
        "Asked for 180,000 won back 2 days after a charge that earned 50,000 won of incentive."
    )
    # The refund alone (spending spread out) is one signal: no case.
    later = [PaymentFact(1, 300, 2, 320_000, at(6, 9))]
    assert score(facts(charges=charges, payments=later, refunds=refunds), Thresholds()) == []


def test_thresholds_are_the_citys():
    assert Thresholds.of({"case_score": "3", "unknown": 9}).case_score == 3
    assert Thresholds.of(None) == Thresholds()
