"""The operations of docs/scale-out.md, tried on the cluster: a city moved to another worker
while payments run, and a city created before Citus distributed, without losing or changing a
won."""

from __future__ import annotations

import itertools
import threading
import time
import uuid

import pytest
from django.db import DatabaseError, connection, connections

from accounts.models import User
from cities import scaleout
from cities.models import City
from cities.services import city_create
from jeonju_prepay.exceptions import ApplicationError
from ledger.models import Account
from ledger.selectors import citizen_balances, ledger_check
from ledger.services import Idem
from tests.accounts.factories import CitizenFactory
from tests.merchants.factories import ShopFactory
from tests.vouchers.conftest import charge, jeonju_rules_and_budget
from vouchers.models import Payment
from vouchers.services import wallet_pay

pytestmark = [pytest.mark.citus, pytest.mark.slow]


AMOUNT = 100  # won a payment; 10% cashback: 10 won back


class Payers:
    """One thread per citizen paying ``AMOUNT`` again and again until stopped. A call that
    fails in the database is sent again with the same key until it succeeds (what a counter
    does), so every key ends acknowledged once; the failures and when they happened are kept.
    A refusal (a domain error) stops the thread and is kept too."""

    def __init__(self, city, citizens, shops):
        self.city, self.citizens, self.shops = city, citizens, shops
        self.stop = threading.Event()
        self.acked: dict[str, dict] = {}
        self.failures: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(len(citizens))]

    def _run(self, i):
        connection.set_tenant(self.city)
        citizen, shop = self.citizens[i], self.shops[i % len(self.shops)]
        try:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                key = f"payer-{i}-{n}"
                while True:
                    try:
                        body = wallet_pay(
                            user=citizen,
                            shop=shop,
                            amount=AMOUNT,
                            method="shop_qr",
                            idem=Idem.of(f"user:{citizen.pk}", key, AMOUNT),
                        ).body
                        break
                    except ApplicationError as exc:
                        with self.lock:
                            self.failures.append((time.monotonic(), f"refused: {exc}"))
                        return
                    except DatabaseError as exc:
                        with self.lock:
                            self.failures.append((time.monotonic(), f"{type(exc).__name__}: {exc}"))
                        connection.close()  # as a web worker would after an error
                        connection.set_tenant(self.city)
                        time.sleep(0.05)
                with self.lock:
                    self.acked[key] = body
        finally:
            connections.close_all()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(120)


def _citizens_with_money(n):
    citizens = [CitizenFactory() for _ in range(n)]
    for citizen in citizens:
        charge(citizen, 300_000)
    return citizens


def _assert_every_payment_once_and_wallets_add_up(payers, citizens):
    ids = [body["payment_id"] for body in payers.acked.values()]
    assert len(set(ids)) == len(ids) == len(payers.acked)
    # Every acknowledged payment is stored, and nothing else was paid.
    assert Payment.objects.filter(pk__in=ids).count() == len(ids)
    assert Payment.objects.filter(user__in=citizens).count() == len(ids)
    for citizen in citizens:
        mine = [
            b for k, b in payers.acked.items() if k.startswith(f"payer-{citizens.index(citizen)}-")
        ]
        # 300,000 charged, AMOUNT paid each time, the cashback (10%) credited back.
        expected = 300_000 - AMOUNT * len(mine) + sum(b["cashback"] for b in mine)
        balances = citizen_balances(user_id=citizen.pk)
        assert balances.principal + balances.incentive == expected
    assert ledger_check().ok


def _balances():
    return dict(Account.objects.values_list("id", "balance"))


def test_a_city_moves_to_another_worker_while_payments_run(citus, live_city):
    jeonju_rules_and_budget()
    citizens = _citizens_with_money(6)
    shops = [ShopFactory() for _ in range(3)]
    source = scaleout.city_node(live_city.schema_name)
    target = next(w for w in citus if w != source)

    with Payers(live_city, citizens, shops) as payers:
        time.sleep(2)
        before_move = len(payers.acked)
        started = time.monotonic()
        scaleout.city_move(schema_name=live_city.schema_name, to=target)
        finished = time.monotonic()
        time.sleep(2)
    connection.set_tenant(live_city)

    assert scaleout.city_node(live_city.schema_name) == target
    assert before_move > 0, "payments ran before the move"
    assert len(payers.acked) > before_move, "and after it"
    _assert_every_payment_once_and_wallets_add_up(payers, citizens)
    # A payment may only fail while the city switches over (and was then sent again).
    late = [f for f in payers.failures if not started <= f[0] <= finished + 1]
    assert late == [], late
    print(
        f"moved {source} -> {target} in {finished - started:.1f} s with {len(payers.acked)}"
        f" payments acknowledged; {len(payers.failures)} failed once and were sent again"
    )

    # With nothing running, a move back changes no balance.
    balances = _balances()
    scaleout.city_move(schema_name=live_city.schema_name, to=source, mode="block_writes")
    assert scaleout.city_node(live_city.schema_name) == source
    assert _balances() == balances
    assert ledger_check().ok


@pytest.fixture
def local_city(citus, django_db_blocker):
    """A city created as before Citus: its schema local to the coordinator."""
    with django_db_blocker.unblock():
        schema = f"local_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute("SET citus.enable_schema_based_sharding TO off")
        try:
            city = city_create(
                schema_name=schema, name="지역시", domain=f"{schema.replace('_', '-')}.localhost"
            )
        finally:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute("RESET citus.enable_schema_based_sharding")
        connection.set_tenant(city)
        try:
            yield city
        finally:
            connection.set_schema_to_public()


def test_a_local_city_is_distributed_while_it_serves_without_changing_a_won(local_city):
    assert scaleout.city_node(local_city.schema_name) is None
    jeonju_rules_and_budget()
    citizens = _citizens_with_money(4)
    shops = [ShopFactory() for _ in range(2)]

    with Payers(local_city, citizens, shops) as payers:
        time.sleep(1.5)
        before = len(payers.acked)
        report = scaleout.city_distribute(schema_name=local_city.schema_name)
        time.sleep(1.5)
    connection.set_tenant(local_city)

    assert report.node is not None
    assert scaleout.city_node(local_city.schema_name) == report.node
    assert report.functions >= 4  # ledger_post, wallet_pay, prepaid_redeem, settlement_chunk...
    assert before > 0, "payments ran before the city was distributed"
    assert len(payers.acked) > before, "and after"
    # The city's requests waited for the copy; none failed.
    assert payers.failures == []
    _assert_every_payment_once_and_wallets_add_up(payers, citizens)
    assert User.objects.filter(pk__in=[c.pk for c in citizens]).count() == 4


def test_distributing_a_city_twice_is_refused(citus, live_city):
    from django.utils import translation

    from cities.exceptions import CityError

    with translation.override("en"), pytest.raises(CityError, match="on a worker already"):
        scaleout.city_distribute(schema_name=live_city.schema_name)
    assert City.objects.filter(schema_name=live_city.schema_name).exists()
