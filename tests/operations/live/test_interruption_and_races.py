"""A run killed half-way and started again pays every shop once; runs racing on the same date
pay once. Committed data in a city of its own (``live_city``) and real threads."""

import datetime as dt

import pytest
import time_machine

from ledger.models import Entry
from ledger.selectors import ledger_check
from merchants import settlement
from merchants.models import Statement
from merchants.settlement import SettlementReport, settlement_run
from operations.models import JobRun
from operations.nightly import RunInProgressError, RunSummary, nightly_run
from tests.accounts.factories import CitizenFactory
from tests.dashboard.scenario import at, paid_out, payable
from tests.helpers import race
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, jeonju_rules_and_budget, pay

pytestmark = pytest.mark.slow

D = dt.date(2026, 3, 10)
NEXT = D + dt.timedelta(days=1)
SHOPS = 5


class Killed(BaseException):
    """What a killed worker looks like from inside: nothing after it runs, no except catches it."""


@pytest.fixture
def five_shops_sold(live_city):
    jeonju_rules_and_budget()
    citizen = CitizenFactory()
    shops = [ShopFactory() for _ in range(SHOPS)]
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        for n, shop in enumerate(shops, start=1):
            pay(citizen, shop, 10_000 * n)
    return shops


def settlement_entries() -> int:
    return Entry.objects.filter(kind="settlement").count()


def test_a_run_killed_after_the_first_chunk_is_finished_by_the_next_one(
    five_shops_sold, monkeypatch
):
    shops = five_shops_sold
    monkeypatch.setattr(settlement, "CHUNK_SHOPS", 2)

    def kill_after_first_chunk(step, done, total):
        if step == "settlement" and done == 2:
            raise Killed

    with time_machine.travel(at(NEXT, 2)):
        with pytest.raises(Killed):
            nightly_run(business_date=D, progress=kill_after_first_chunk)
        # The first chunk is committed; the rest is untouched.
        assert [paid_out(s) for s in shops] == [10_000, 20_000, 0, 0, 0]
        assert Statement.objects.count() == 2
        killed = JobRun.objects.get(business_date=D, step="settlement")
        assert killed.status == "running"  # nobody was left to record the end

        summary = nightly_run(business_date=D)

    assert [job.status for job in summary.jobs] == [
        "succeeded",
        "nothing_to_do",
        "succeeded",
        "nothing_to_do",  # solidarity: no gifts or donations
        "nothing_to_do",  # grants: none in this city
        "succeeded",
        "succeeded",
        "nothing_to_do",  # no cash-out signals
    ]
    restarted = summary.jobs[0]
    assert (restarted.attempt, restarted.counts["statements"], restarted.counts["already"]) == (
        2,
        3,
        2,
    )
    killed.refresh_from_db()
    assert (killed.status, killed.note) == ("failed", "interrupted")
    assert [paid_out(s) for s in shops] == [10_000, 20_000, 30_000, 40_000, 50_000]
    assert [payable(s) for s in shops] == [0] * SHOPS
    assert settlement_entries() == SHOPS
    assert Statement.objects.count() == SHOPS
    assert ledger_check().ok


def test_a_failing_chunk_keeps_what_was_committed_and_a_rerun_completes(
    five_shops_sold, monkeypatch
):
    shops = five_shops_sold
    monkeypatch.setattr(settlement, "CHUNK_SHOPS", 2)
    calls = {"n": 0}
    real = settlement._settle_chunk

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("connection reset in the middle of chunk 2")
        return real(**kwargs)

    monkeypatch.setattr(settlement, "_settle_chunk", flaky)
    with time_machine.travel(at(NEXT, 2)):
        failed = nightly_run(business_date=D, steps=["settlement"])
        assert failed.jobs[0].status == "failed"
        assert "chunk 2" in failed.jobs[0].error
        assert [paid_out(s) for s in shops] == [10_000, 20_000, 0, 0, 0]
        done = nightly_run(business_date=D, steps=["settlement"])
    assert done.jobs[0].counts["statements"] == 3
    assert [paid_out(s) for s in shops] == [10_000, 20_000, 30_000, 40_000, 50_000]
    assert settlement_entries() == SHOPS


def test_two_runs_of_the_same_date_at_once_pay_once(live_city, five_shops_sold):
    shops = five_shops_sold
    with time_machine.travel(at(NEXT, 2)):
        results = race(live_city, 2, lambda i: nightly_run(business_date=D, trigger=f"racer {i}"))
    assert all(isinstance(r, RunSummary | RunInProgressError) for r in results), results
    assert [paid_out(s) for s in shops] == [10_000, 20_000, 30_000, 40_000, 50_000]
    assert settlement_entries() == SHOPS
    assert Statement.objects.count() == SHOPS
    assert ledger_check().ok


def test_settlements_racing_past_the_run_lock_still_pay_once(live_city, five_shops_sold):
    """Four settlements of the same date at once, without the run's lock (a redelivered task
    in another process would hold its own): the payable locks, the unique (shop, date) and the
    ledger key leave one payout per shop."""
    shops = five_shops_sold
    with time_machine.travel(at(NEXT, 2)):
        results = race(live_city, 4, lambda i: settlement_run(business_date=D, chunk_size=2))
    assert all(isinstance(r, SettlementReport) for r in results), results
    assert sum(r.statements for r in results) == SHOPS
    assert sum(r.paid for r in results) == 150_000
    assert [paid_out(s) for s in shops] == [10_000, 20_000, 30_000, 40_000, 50_000]
    assert settlement_entries() == SHOPS
    assert ledger_check().ok
