"""The dashboard's figures equal what the ledger says, computed here independently (straight
from postings, pledges and redemptions), whether a day is read from its rollup or live."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Count, Q, Sum

from campaigns.models import Pledge, PledgeEvent, Redemption
from campaigns.services import pledge_cancel, pledge_with_card
from dashboard.figures import Filters, report_build, report_totals
from dashboard.models import KindDay, RollupDate, ShopDay
from dashboard.rollups import dates_missing, rollups_refresh
from ledger.models import Posting
from operations.nightly import nightly_run
from tests.accounts.factories import CitizenFactory
from tests.campaigns.conftest import pledge, redeem
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.dashboard.scenario import at
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay
from vouchers.models import Payment
from vouchers.sandbox_views import sandbox_approve
from vouchers.services import payment_cancel, pin_set

pytestmark = pytest.mark.usefixtures("jeonju_policy")

D1 = dt.date(2026, 3, 9)
D2, D3, TODAY = (D1 + dt.timedelta(days=n) for n in (1, 2, 3))


def _sum(queryset) -> int:
    return int(queryset.aggregate(total=Sum("amount"))["total"] or 0)


def ledger_figures(start: dt.date, end: dt.date) -> dict[str, int]:
    """The headline figures from the ledger itself, by a route of their own: postings filtered
    by account and entry kind (a reversal by the kind of what it reverses), pledge and
    redemption rows, and account postings summed from the beginning of time."""
    p = Posting.objects.filter(business_date__range=(start, end))

    def of_kind(kind):
        return Q(entry__kind=kind) | Q(entry__kind="reversal", entry__reverses__kind=kind)

    wallet = Q(account__kind__in=["wallet_principal", "wallet_incentive"])
    budget = Q(account__kind="incentive_budget")
    budget_all = Posting.objects.filter(account__kind="incentive_budget", business_date__lte=end)
    # A reversal counts as the kind it reverses (as of_kind() does): releasing a fraud case's
    # incentive hold reverses the hold's adjustment and takes the budget's funding back.
    funding = Q(entry__kind__in=["funding", "adjustment"]) | Q(
        entry__kind="reversal", entry__reverses__kind__in=["funding", "adjustment"]
    )
    pledges = Pledge.objects.filter(entry__isnull=False, business_date__range=(start, end))
    return {
        "charges": _sum(p.filter(account__kind="wallet_principal", entry__kind="charge")),
        # What left the wallets in payments. A payment's entry also credits its cashback to the
        # incentive balance (vouchers migration 0004), out of the budget: the amount paid is
        # minus the wallet's and the budget's postings together.
        "wallet_payments": -_sum(p.filter((wallet | budget) & of_kind("payment"))),
        # Cashback leaves the budget in the payment's entry (in entries of its own before).
        "cashback": -_sum(p.filter(budget & (of_kind("cashback") | of_kind("payment")))),
        "released": _sum(p.filter(account__kind="shop_payable").exclude(entry__kind="settlement")),
        "redeemed": int(
            Redemption.objects.filter(business_date__range=(start, end)).aggregate(t=Sum("amount"))[
                "t"
            ]
            or 0
        ),
        "pledged": int(pledges.aggregate(t=Sum("amount"))["t"] or 0),
        "pledge_count": pledges.count(),
        "participants": pledges.aggregate(n=Count("user", distinct=True))["n"],
        "expired": int(
            PledgeEvent.objects.filter(
                action="expired", entry__business_date__range=(start, end)
            ).aggregate(t=Sum("amount"))["t"]
            or 0
        ),
        "outstanding_prepaid": -_sum(Posting.objects.filter(account__kind="prepaid_issued")),
        "budget_funded": _sum(budget_all.filter(funding)),
        "budget_remaining": _sum(budget_all),
    }


def totals_of(start, end, **filters) -> dict[str, int]:
    totals, _live = report_totals(Filters(start, end, **filters))
    return totals.as_dict()


def assert_matches_ledger(start, end):
    totals = totals_of(start, end)
    expected = ledger_figures(start, end)
    assert {k: totals[k] for k in expected} == expected
    return totals


@pytest.fixture
def generated_city(budget, staff):
    """Four days of a small city: charges, payments and a cancelled one, pledges by wallet and
    by card, redemptions, a cancelled pledge, an expiry; the nightly run each morning."""
    campaign = CampaignFactory(validity_days=2)
    PhaseFactory(campaign=campaign, number=1)
    shops = [ShopFactory(district=d) for d in ("풍남동", "풍남동", "효자동")]
    for shop in shops[:2]:
        CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    people = [CitizenFactory() for _ in range(4)]
    for person in people:
        pin_set(user=person, pin="123456", password="test-pass-1234")
    a, b, c, d = people
    with time_machine.travel(at(D1, 9)):
        budget(10_000_000)
        charge(a, 300_000)
        charge(b, 250_000)
        pay(a, shops[2], 30_000)
        pay(b, shops[1], 12_345)
        pledge(a, campaign, shops[0], 100_000)
    with time_machine.travel(at(D2, 6)):
        nightly_run(business_date=D1)
    with time_machine.travel(at(D2, 11)):
        redeem(a, shops[0], 40_000)
        card_pledge, _url = pledge_with_card(
            user=d, campaign=campaign, shop=shops[1], amount=150_000
        )
        assert sandbox_approve(card_pledge.charge.order_id)["status"] == "credited"
        body = pay(b, shops[2], 8_000)
        payment = Payment.objects.get(pk=body["payment_id"])
        payment_cancel(payment=payment, by=shops[2].owner, reason="wrong amount")
        charge(c, 200_000)
        pay(c, shops[0], 61_000)
    with time_machine.travel(at(D3, 6)):
        nightly_run(business_date=D2)
    with time_machine.travel(at(D3, 12)):
        cancelled = Pledge.objects.get(pk=pledge(c, campaign, shops[1], 100_000)["pledge_id"])
        pledge_cancel(pledge=cancelled, by=c)
        redeem(d, shops[1], 20_000)
    with time_machine.travel(at(TODAY, 6)):
        nightly_run(business_date=D3)  # a's pledge (valid until D3) expires
    with time_machine.travel(at(TODAY, 15)):
        pay(a, shops[1], 5_000)
        redeem(d, shops[1], 10_000)
    return {"campaign": campaign, "shops": shops, "people": people}


def test_totals_equal_the_ledger_for_a_generated_city(generated_city):
    with time_machine.travel(at(TODAY, 16)):
        assert sorted(RollupDate.objects.values_list("business_date", flat=True)) == [D1, D2, D3]
        totals = assert_matches_ledger(D1, TODAY)
        # And some figures by hand, so that the comparison above cannot pass on two zeros.
        assert totals["charges"] == 750_000
        assert totals["wallet_payments"] == 30_000 + 12_345 + 61_000 + 5_000 + 100_000
        assert totals["pledged"] == 100_000 + 150_000 + 100_000
        assert totals["participants"] == 3
        assert totals["redeemed"] == 70_000
        assert totals["expired"] == 105_000 - 40_000
        assert totals["outstanding_prepaid"] == 157_500 - 30_000
        assert totals["budget_funded"] == 10_000_000
        assert totals["budget_used"] == totals["cashback"] > 0
        # Every sub-range too: a day alone, closed days only, today alone.
        for start, end in [(D1, D1), (D2, D3), (D3, D3), (TODAY, TODAY), (D2, TODAY)]:
            assert_matches_ledger(start, end)


def test_a_day_counts_the_same_from_its_rollup_and_live(generated_city):
    with time_machine.travel(at(TODAY, 16)):
        rolled = report_build(Filters(D1, TODAY))
        RollupDate.objects.all().delete()
        KindDay.objects.all().delete()
        ShopDay.objects.all().delete()
        assert dates_missing() == [D1, D2, D3]
        live = report_build(Filters(D1, TODAY))
        assert live.live_days == [D1, D2, D3, TODAY]
        assert rolled.live_days == [TODAY]
        assert live.totals == rolled.totals
        for name, table in rolled.tables.items():
            assert live.tables[name].rows == table.rows, name
        rollups_refresh([D1, D2, D3])
        rollups_refresh([D2])  # again: the same rows, not twice the figures
        assert report_build(Filters(D1, TODAY)).totals == rolled.totals


def test_campaign_and_phase_filters(generated_city):
    campaign = generated_city["campaign"]
    phase = campaign.phases.get()
    with time_machine.travel(at(TODAY, 16)):
        everything = totals_of(D1, TODAY)
        by_campaign = totals_of(D1, TODAY, campaign=campaign)
        by_phase = totals_of(D1, TODAY, campaign=campaign, phase=phase)
        other = totals_of(D1, TODAY, campaign=CampaignFactory())
    assert by_campaign["pledged"] == by_phase["pledged"] == everything["pledged"] == 350_000
    assert by_campaign["redeemed"] == 70_000
    assert by_campaign["outstanding_prepaid"] == everything["outstanding_prepaid"]
    assert other["pledged"] == other["participants"] == other["redeemed"] == 0


def test_the_report_tables_add_up(generated_city):
    with time_machine.travel(at(TODAY, 16)):
        report = report_build(Filters(D1, TODAY))
    totals, tables = report.totals, report.tables
    days = tables["days"].rows
    assert [row[0] for row in days] == [D1, D2, D3, TODAY]
    assert sum(row[1] for row in days) == totals.charges
    assert sum(row[2] for row in days) == totals.wallet_payments
    assert sum(row[4] for row in days) == totals.redeemed
    assert sum(row[7] for row in days) == totals.released
    districts = {row[0]: row for row in tables["districts"].rows}
    assert set(districts) == {"풍남동", "효자동"}
    assert sum(row[2] for row in districts.values()) == totals.released
    assert sum(row[5] for row in districts.values()) == totals.outstanding_prepaid
    assert sum(row[2] for row in tables["categories"].rows) == totals.released
    top = tables["top_shops"].rows
    assert [row[3] for row in top] == sorted((row[3] for row in top), reverse=True)
    assert tables["budget"].rows[-1][3] == totals.budget_remaining
    (phase_row,) = tables["phases"].rows
    assert phase_row[2] == totals.participants
    assert phase_row[4] == totals.pledged
    assert phase_row[7] == totals.outstanding_prepaid


@pytest.mark.django_db(transaction=False)
def test_totals_equal_the_ledger_for_the_demo_city(city):
    """The demo's own data (every app's demo.py, with three weeks of history and last night's
    run) against the ledger: the last 30 days, each week of them, and today."""
    import importlib

    from jeonju_prepay.demo import DemoContext
    from ledger.services import business_date_today
    from operations.management.commands.seed_demo import DEMO_MODULES

    ctx = DemoContext(city=city)
    for name in DEMO_MODULES:
        importlib.import_module(name).seed(ctx)
    today = business_date_today()
    start = today - dt.timedelta(days=29)
    totals = assert_matches_ledger(start, today)
    assert totals["charges"] > 0
    assert totals["pledged"] > 0
    assert totals["redeemed"] > 0
    # The history pays 10% cashback from the year's budget, which is booked before the history:
    # the burn-down starts full instead of at 0 (5,000,000,000 won less the first days' cashback).
    assert totals["cashback"] > 0
    budget_rows = report_build(Filters(start, today)).tables["budget"].rows
    assert 4_990_000_000 < budget_rows[0][3] <= 5_000_000_000
    assert RollupDate.objects.count() >= 21  # the history is rolled up, today is live
    for week in range(4):
        first = start + dt.timedelta(days=7 * week)
        assert_matches_ledger(first, first + dt.timedelta(days=6))
    assert_matches_ledger(today, today)
