"""The nightly run: steps in order, a repeat changes nothing and says so, expiry through the run,
reconciliation catches a corrupted balance, the command, the dispatcher and the schedule."""

import datetime as dt
import io
import threading

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django_tenants.utils import schema_context

from campaigns.models import Pledge
from ledger.models import Account, Entry
from merchants.models import Statement
from operations.models import JobRun, PrepaidSnapshot
from operations.nightly import NightlyError, RunInProgressError, job_summary, nightly_run, run_lock
from operations.tasks import nightly_dispatch, nightly_run_city
from tests.campaigns.conftest import pledge, redeem
from tests.campaigns.factories import CampaignFactory, CampaignShopFactory, PhaseFactory
from tests.dashboard.scenario import at, paid_out
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, pay

pytestmark = pytest.mark.usefixtures("jeonju_policy")

D = dt.date(2026, 3, 10)
NEXT = D + dt.timedelta(days=1)
STEPS = ["settlement", "prepaid", "caps", "solidarity", "grants", "reconcile", "rollups", "fraud"]


@pytest.fixture
def day_of_sales(citizen, budget, city):
    budget(1_000_000)
    shops = [ShopFactory(), ShopFactory()]
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        pay(citizen, shops[0], 12_000)
        pay(citizen, shops[1], 7_000)
    return shops


def statuses(jobs):
    return [(job.step, job.status) for job in jobs]


def test_a_run_does_every_step_and_a_repeat_changes_nothing_and_says_so(day_of_sales):
    with time_machine.travel(at(NEXT, 2)):
        first = nightly_run(business_date=D, trigger="test")
        entries = Entry.objects.count()
        again = nightly_run(business_date=D, trigger="test")
    assert statuses(first.jobs) == [
        ("settlement", "succeeded"),
        ("prepaid", "nothing_to_do"),
        ("caps", "succeeded"),
        ("solidarity", "nothing_to_do"),
        ("grants", "nothing_to_do"),
        ("reconcile", "succeeded"),
        ("rollups", "succeeded"),
        ("fraud", "nothing_to_do"),
    ]
    assert (first.changed, first.failed) == (True, False)
    assert statuses(again.jobs) == [
        ("settlement", "nothing_to_do"),
        ("prepaid", "nothing_to_do"),
        ("caps", "nothing_to_do"),
        ("solidarity", "nothing_to_do"),
        ("grants", "nothing_to_do"),
        ("reconcile", "succeeded"),
        ("rollups", "succeeded"),  # rewrites the date whole: the same rows
        ("fraud", "nothing_to_do"),
    ]
    assert not again.changed
    assert Entry.objects.count() == entries
    assert [job.attempt for job in again.jobs] == [2] * len(STEPS)
    settled = again.jobs[0]
    assert settled.counts["already"] == 2
    assert "Already settled: 2 statements" in job_summary(settled)
    assert "2 shops settled" in job_summary(first.jobs[0])
    assert first.jobs[0].sums["paid"] == 19_000
    assert [paid_out(s) for s in day_of_sales] == [12_000, 7_000]
    assert all(job.duration is not None and job.finished_at for job in first.jobs + again.jobs)


def test_one_step_can_be_run_alone(day_of_sales):
    with time_machine.travel(at(NEXT, 2)):
        summary = nightly_run(business_date=D, steps=["reconcile"])
    # The dashboard's figures of the date always follow whatever step ran.
    assert statuses(summary.jobs) == [("reconcile", "succeeded"), ("rollups", "succeeded")]
    assert not Statement.objects.exists()


def test_a_day_not_over_and_unknown_steps_are_refused(city):
    with time_machine.travel(at(D, 23, 59)):
        with pytest.raises(NightlyError, match="not over yet"):
            nightly_run(business_date=D)
        with pytest.raises(NightlyError, match="Unknown step"):
            nightly_run(business_date=D - dt.timedelta(days=1), steps=["payroll"])
    assert not JobRun.objects.exists()


def test_a_second_run_of_the_same_date_is_refused_while_one_holds_the_lock(day_of_sales):
    holding, release = threading.Event(), threading.Event()

    def other_run():  # another process's session holds the date's lock
        try:
            connection.set_schema("jeonju")
            with run_lock(D):
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert holding.wait(30)
        with time_machine.travel(at(NEXT, 2)), pytest.raises(RunInProgressError):
            nightly_run(business_date=D)
        with time_machine.travel(at(NEXT, 2)):
            nightly_run(business_date=D - dt.timedelta(days=1))  # another date is free
    finally:
        release.set()
        thread.join()
    assert not JobRun.objects.filter(business_date=D).exists()


def test_expiry_and_prepaid_figures_through_the_run(citizen, budget, city):
    budget(1_000_000)
    campaign = CampaignFactory(validity_days=30)
    PhaseFactory(campaign=campaign)
    expiring, lasting = ShopFactory(), ShopFactory()
    for shop in (expiring, lasting):
        CampaignShopFactory(campaign=campaign, shop=shop, bonus_bp=500)
    start = dt.date(2026, 2, 8)
    with time_machine.travel(at(start, 10)):
        charge(citizen, 500_000)
        expiring_pledge = pledge(citizen, campaign, expiring, 100_000)  # value 105,000
    last_day = Pledge.objects.get(pk=expiring_pledge["pledge_id"]).valid_until
    assert last_day == D
    with time_machine.travel(at(D - dt.timedelta(days=1), 10)):
        pledge(citizen, campaign, lasting, 200_000)  # value 210,000, valid long after
    with time_machine.travel(at(D, 18)):
        redeem(citizen, expiring, 40_000)  # on its last valid day
        redeem(citizen, lasting, 10_000)
    with time_machine.travel(at(NEXT, 2)):
        summary = nightly_run(business_date=D, steps=["prepaid"])
        again = nightly_run(business_date=D, steps=["prepaid"])
    job = summary.jobs[0]
    assert job.status == "succeeded"
    assert (job.counts["pledges_expired"], job.sums["expired"]) == (1, 65_000)
    assert Pledge.objects.get(pk=expiring_pledge["pledge_id"]).status == "expired"
    rows = {
        s.shop_id: (s.redeemed, s.expired, s.outstanding)
        for s in PrepaidSnapshot.objects.filter(business_date=D)
    }
    assert rows == {expiring.pk: (40_000, 65_000, 0), lasting.pk: (10_000, 0, 200_000)}
    assert again.jobs[0].status == "nothing_to_do"
    assert again.jobs[0].counts["pledges_expired"] == 0
    assert PrepaidSnapshot.objects.count() == 2


def test_outstanding_is_as_of_the_end_of_the_day(citizen, budget, city):
    budget(1_000_000)
    campaign = CampaignFactory()
    PhaseFactory(campaign=campaign)
    shop = ShopFactory()
    CampaignShopFactory(campaign=campaign, shop=shop)
    with time_machine.travel(at(D, 10)):
        charge(citizen, 500_000)
        pledge(citizen, campaign, shop, 100_000)
    with time_machine.travel(at(NEXT, 1)):
        redeem(citizen, shop, 30_000)  # the next day, before the run
    with time_machine.travel(at(NEXT, 2)):
        nightly_run(business_date=D, steps=["prepaid"])
    snap = PrepaidSnapshot.objects.get(shop=shop, business_date=D)
    assert (snap.redeemed, snap.outstanding) == (0, 100_000)


def test_reconciliation_fails_the_run_when_a_balance_is_corrupted(day_of_sales, client_for):
    payable = Account.objects.get(kind="shop_payable", owner_shop_id=day_of_sales[0].pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET balance = balance + 500 WHERE id = %s", [payable.pk]
        )
    with time_machine.travel(at(NEXT, 2)):
        summary = nightly_run(business_date=D)
    job = next(j for j in summary.jobs if j.step == "reconcile")
    assert (job.step, job.status, job.note) == ("reconcile", "failed", "ledger_mismatch")
    assert summary.failed
    assert job.counts["balance_mismatches"] == 1
    assert f"Account {payable.pk} (shop_payable)" in job.error
    assert "postings sum to" in job.error
    assert job.counts["details"]["balance_mismatches"][0]["account_id"] == payable.pk
    from tests.accounts.factories import StaffFactory

    page = client_for(StaffFactory()).get("/dashboard/operations/").content.decode()
    assert f"Account {payable.pk} (shop_payable)" in page


def test_a_failing_step_is_recorded_and_the_others_still_run(day_of_sales, monkeypatch):
    from operations import nightly

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(nightly.STEPS, "prepaid", broken)
    with time_machine.travel(at(NEXT, 2)):
        summary = nightly_run(business_date=D)
    assert statuses(summary.jobs) == [
        ("settlement", "succeeded"),
        ("prepaid", "failed"),
        ("caps", "succeeded"),
        ("solidarity", "nothing_to_do"),
        ("grants", "nothing_to_do"),
        ("reconcile", "succeeded"),
        ("rollups", "succeeded"),
        ("fraud", "nothing_to_do"),
    ]
    assert "disk on fire" in summary.jobs[1].error


# --- The command ---------------------------------------------------------------------------------


def test_the_command_runs_a_date_and_says_when_there_was_nothing_to_do(day_of_sales):
    out = io.StringIO()
    with time_machine.travel(at(NEXT, 2)):
        call_command(
            "run_nightly", schema="jeonju", date="2026-03-10", no_progress=True, stdout=out
        )
        call_command(
            "run_nightly", schema="jeonju", date="2026-03-10", no_progress=True, stdout=out
        )
    text = out.getvalue()
    assert "2 shops settled" in text
    assert "Already settled" in text
    assert "nothing changed" in text
    assert Statement.objects.count() == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"schema": "nowhere"}, "No city with schema"),
        ({"schema": "public"}, "No city with schema"),
        ({"schema": "jeonju", "date": "10/03/2026"}, "YYYY-MM-DD"),
        ({"schema": "jeonju", "date": "2999-01-01"}, "not over yet"),
    ],
)
def test_the_command_refuses_clearly(city, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("run_nightly", no_progress=True, stdout=io.StringIO(), **options)


def test_the_command_fails_with_exit_status_when_reconciliation_fails(day_of_sales):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET balance = balance + 1 WHERE kind = 'wallet_principal'"
        )
    with time_machine.travel(at(NEXT, 2)), pytest.raises(CommandError) as failed:
        call_command(
            "run_nightly",
            schema="jeonju",
            date="2026-03-10",
            step=["reconcile"],
            no_progress=True,
            stdout=io.StringIO(),
        )
    assert failed.value.returncode == 1


# --- Tasks and the schedule (eager here; tests/dashboard/test_celery_worker.py runs a worker) ----


def test_the_dispatcher_runs_each_city_in_its_own_schema(day_of_sales, other_city):
    with time_machine.travel(at(NEXT, 2)), schema_context("public"):
        result = nightly_dispatch.apply(kwargs={"schemas": ["jeonju"]}).get()
    assert result == {"business_date": "2026-03-10", "cities": ["jeonju"]}
    connection.set_schema("jeonju")
    assert JobRun.objects.filter(business_date=D, trigger="schedule").count() == len(STEPS)
    assert Statement.objects.filter(business_date=D).count() == 2


def test_a_city_task_without_a_city_does_nothing(city):
    with schema_context("public"):
        assert nightly_run_city.apply(kwargs={"business_date": "2026-03-10"}).get() == {
            "status": "no_city"
        }


def test_the_nightly_schedule_is_created_once_at_two_in_seoul(city):
    from django_celery_beat.models import PeriodicTask

    from jeonju_prepay.celery import app
    from operations.schedule import NIGHTLY_TASK_NAME, nightly_schedule_ensure
    from operations.scheduler import PublicDatabaseScheduler

    task, created = nightly_schedule_ensure()
    _again, created_again = nightly_schedule_ensure()
    assert (created, created_again) == (True, False)
    with schema_context("public"):
        assert PeriodicTask.objects.filter(name=NIGHTLY_TASK_NAME).count() == 1
        assert task.task == "operations.tasks.nightly_dispatch"
        assert (task.crontab.minute, task.crontab.hour) == ("0", "2")
        assert str(task.crontab.timezone) == "Asia/Seoul"
        assert '"_schema_name": "public"' in task.headers
        with time_machine.travel(at(D, 1, 30)):
            scheduler = PublicDatabaseScheduler(app=app, lazy=True)
            names = [m.name for m in scheduler.enabled_models()]
    assert names.count(NIGHTLY_TASK_NAME) == 1
