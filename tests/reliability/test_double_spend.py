"""Double spend: many payments at once, each of 60% of one balance; exactly one may win.

Each round posts 100 payments (or 10 redemptions from 10 counter devices) that start at the
same instant from threads on their own PostgreSQL connections; 200 rounds. The web tier would
reach the database through a pool; here 64 connections carry the 100 payments (PostgreSQL's
default limit is 100 connections), so 64 are in flight at once.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from campaigns.exceptions import InsufficientPrepaidError
from campaigns.models import Campaign, CampaignShop, Phase, Pledge
from ledger.exceptions import InsufficientBalanceError
from ledger.models import Account, Entry
from ledger.selectors import ledger_check
from ledger.services import Idem, Leg, account_get_or_create, business_date_today, entry_post
from tests.accounts.factories import CitizenFactory, StaffFactory
from tests.merchants.factories import ShopFactory, device_for
from vouchers.services import policy_set, wallet_pay

pytestmark = pytest.mark.slow

ROUNDS = 200
BALANCE = 10_000
SPEND = 6_000  # 60% of the balance


class Pool:
    """Worker threads, each with its own connection in the city's schema, that run a batch of
    calls released at one instant."""

    def __init__(self, city, workers: int):
        self.city = city
        self.workers = workers
        self.batch: list = []
        self.results: list = []
        self.start = threading.Barrier(workers + 1)
        self.done = threading.Barrier(workers + 1)
        self.lock = threading.Lock()
        self.stop = False
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]
        for t in self.threads:
            t.start()

    def _run(self):
        connection.set_tenant(self.city)
        try:
            while True:
                self.start.wait(timeout=120)
                if self.stop:
                    return
                while True:
                    with self.lock:
                        if not self.batch:
                            break
                        i, fn = self.batch.pop()
                    try:
                        result = fn()
                    except BaseException as exc:  # collected for the test
                        result = exc
                    with self.lock:
                        self.results.append((i, result))
                self.done.wait(timeout=120)
        finally:
            connections.close_all()

    def run(self, calls):
        self.batch = list(enumerate(calls))
        self.results = []
        self.start.wait(timeout=120)
        self.done.wait(timeout=300)
        return [r for _i, r in sorted(self.results, key=lambda x: x[0])]

    def close(self):
        self.stop = True
        self.start.wait(timeout=120)
        for t in self.threads:
            t.join(30)


def _fund(account_id: int, amount: int, key: str):
    world = account_get_or_create(kind=Account.Kind.FLOAT, shard=99)
    entry_post(
        kind=Entry.Kind.CHARGE,
        legs=[Leg(world.pk, -amount), Leg(account_id, amount)],
        idempotency_key=key,
    )


def test_100_concurrent_payments_of_60_percent_exactly_one_wins_200_times(live_city):
    policy_set(
        by=StaffFactory(),
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=0,
        monthly_charge_limit=10**9,
        monthly_cashback_cap=0,
    )
    citizen = CitizenFactory()
    shop = ShopFactory()
    principal = account_get_or_create(kind=Account.Kind.WALLET_PRINCIPAL, user=citizen)
    pool = Pool(live_city, 64)
    try:
        for round_ in range(ROUNDS):
            # Top the wallet up to exactly BALANCE for this round.
            left = Account.objects.get(pk=principal.pk).balance
            _fund(principal.pk, BALANCE - left, f"fund-{round_}")

            def attempt(n, round_=round_):
                try:
                    return wallet_pay(
                        user=citizen,
                        shop=shop,
                        amount=SPEND,
                        method="shop_qr",
                        idem=Idem.of(f"user:{citizen.pk}", f"r{round_}-{n}", "pay", n),
                    ).status_code
                except InsufficientBalanceError:
                    return "refused"

            results = pool.run([lambda n=n: attempt(n) for n in range(100)])
            errors = [r for r in results if isinstance(r, BaseException)]
            assert not errors, errors[:3]
            assert results.count(201) == 1, (round_, results.count(201))
            assert results.count("refused") == 99
            assert Account.objects.get(pk=principal.pk).balance == BALANCE - SPEND
    finally:
        pool.close()
    assert Entry.objects.filter(kind="payment").count() == ROUNDS
    assert ledger_check().ok


def test_one_prepaid_balance_redeemed_from_10_devices_at_once_exactly_one_wins_200_times(live_city):
    from campaigns.services import prepaid_redeem

    policy_set(
        by=StaffFactory(),
        effective_from=dt.date(2020, 1, 1),
        cashback_bp=0,
        monthly_charge_limit=10**9,
        monthly_cashback_cap=0,
    )
    citizen = CitizenFactory()
    shop = ShopFactory()
    devices = [device_for(shop, name=f"counter {i}")[0] for i in range(10)]
    today = business_date_today()
    campaign = Campaign.objects.create(name="race", starts_on=today, ends_on=today)
    phase = Phase.objects.create(
        campaign=campaign, number=1, name="1", starts_on=today, ends_on=today
    )
    CampaignShop.objects.create(campaign=campaign, shop=shop)
    prepaid = account_get_or_create(kind=Account.Kind.PREPAID, user=citizen, shop=shop)
    issued = account_get_or_create(kind=Account.Kind.PREPAID_ISSUED, shop=shop)
    pool = Pool(live_city, 10)
    try:
        for round_ in range(ROUNDS):
            # A fresh pledge worth BALANCE: the whole prepaid balance for this round.
            pledge = Pledge.objects.create(
                campaign=campaign,
                phase=phase,
                user=citizen,
                shop=shop,
                amount=BALANCE,
                value=BALANCE,
                remaining=BALANCE,
                paid_with="card",
                status="active",
                business_date=today,
                valid_until=today + dt.timedelta(days=30),
            )
            entry_post(
                kind=Entry.Kind.PLEDGE,
                legs=[Leg(prepaid.pk, BALANCE), Leg(issued.pk, -BALANCE)],
                idempotency_key=f"pledge-{pledge.pk}",
            )

            def attempt(n, round_=round_):
                device = devices[n]
                try:
                    return prepaid_redeem(
                        user=citizen,
                        shop=shop,
                        amount=SPEND,
                        device=device,
                        idem=Idem.of(f"device:{device.pk}", f"r{round_}", "redeem", SPEND),
                    ).status_code
                except InsufficientPrepaidError:
                    return "refused"

            results = pool.run([lambda n=n: attempt(n) for n in range(10)])
            errors = [r for r in results if isinstance(r, BaseException)]
            assert not errors, errors[:3]
            assert results.count(201) == 1, (round_, results)
            assert results.count("refused") == 9
            # Empty the rest so the next round starts from exactly one pledge of BALANCE.
            rest = Account.objects.get(pk=prepaid.pk).balance
            assert rest == BALANCE - SPEND
            Pledge.objects.filter(pk=pledge.pk).update(status="used", remaining=0)
            entry_post(
                kind=Entry.Kind.EXPIRY,
                legs=[Leg(prepaid.pk, -rest), Leg(issued.pk, rest)],
                idempotency_key=f"drain-{round_}",
            )
    finally:
        pool.close()
    assert Entry.objects.filter(kind="redemption").count() == ROUNDS
    assert ledger_check().ok
