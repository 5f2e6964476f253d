"""Old idempotency records are purged after their retention period; nothing else is touched and
a late retry still moves no money twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from ledger.exceptions import IdempotencyConflictError, LedgerError
from ledger.models import Entry, IdempotencyRecord
from ledger.selectors import ledger_check
from ledger.services import Idem, idempotency_records_purge, idempotent
from ledger.tasks import idempotency_purge_city
from tests.vouchers.conftest import balances, charge
from vouchers.services import wallet_pay

NOW = timezone.make_aware(dt.datetime(2026, 3, 31, 12, 0))


def record(key: str, *, age_days: float) -> IdempotencyRecord:
    answer = idempotent(
        scope="test", key=key, request_fingerprint="f", operation=lambda: (201, {"key": key})
    )
    assert not answer.replayed
    created = NOW - dt.timedelta(days=age_days)
    IdempotencyRecord.objects.filter(scope="test", key=key).update(created_at=created)
    return IdempotencyRecord.objects.get(scope="test", key=key)


def keys() -> set[str]:
    return set(IdempotencyRecord.objects.filter(scope="test").values_list("key", flat=True))


def test_records_older_than_the_retention_are_purged_and_newer_ones_kept(city):
    record("old-1", age_days=45)
    record("old-2", age_days=30.01)
    record("edge", age_days=29.99)  # 14 minutes short of 30 days: kept
    record("new", age_days=1)
    deleted = idempotency_records_purge(older_than=dt.timedelta(days=30), now=NOW)
    assert deleted == 2
    assert keys() == {"edge", "new"}
    # A kept record still answers its retry.
    replay = idempotent(scope="test", key="new", request_fingerprint="f", operation=lambda: 1 / 0)
    assert replay.replayed
    assert replay.body == {"key": "new"}


def test_the_purge_goes_in_batches_until_nothing_old_is_left(city):
    for n in range(7):
        record(f"old-{n}", age_days=40)
    record("new", age_days=2)
    assert idempotency_records_purge(older_than=dt.timedelta(days=30), batch_size=3, now=NOW) == 7
    assert keys() == {"new"}
    # Again: nothing more to delete.
    assert idempotency_records_purge(older_than=dt.timedelta(days=30), batch_size=3, now=NOW) == 0


def test_a_retention_shorter_than_seven_days_is_refused(city):
    record("recent", age_days=6.5)
    with pytest.raises(LedgerError):
        idempotency_records_purge(older_than=dt.timedelta(days=6), now=NOW)
    assert keys() == {"recent"}


@pytest.mark.usefixtures("jeonju_policy")
def test_a_retry_after_the_purge_moves_no_money_twice(city, citizen, shop, budget):
    budget(1_000_000)
    charge(citizen, 50_000)
    idem = Idem.of(f"user:{citizen.pk}", "late-retry", "qr_pay", shop.pk, 10_000)
    first = wallet_pay(user=citizen, shop=shop, amount=10_000, method="shop_qr", idem=idem)
    assert balances(citizen) == (40_000, 1_000)  # 10,000 paid, 1,000 of cashback
    IdempotencyRecord.objects.all().update(created_at=NOW - dt.timedelta(days=31))
    assert idempotency_records_purge(older_than=dt.timedelta(days=30), now=NOW) >= 1
    entries = Entry.objects.count()
    # The record is gone, the ledger entry's own key is not: the retry is refused.
    with pytest.raises(IdempotencyConflictError):
        wallet_pay(user=citizen, shop=shop, amount=10_000, method="shop_qr", idem=idem)
    assert Entry.objects.count() == entries
    assert balances(citizen) == (40_000, 1_000)
    assert first.body["amount"] == 10_000
    assert ledger_check().ok


def test_the_city_task_purges_with_the_configured_retention(city, settings):
    settings.IDEMPOTENCY_RETENTION_DAYS = 10
    real_now = timezone.now()
    idempotent(scope="test", key="old", request_fingerprint="f", operation=lambda: (201, {}))
    idempotent(scope="test", key="new", request_fingerprint="f", operation=lambda: (201, {}))
    IdempotencyRecord.objects.filter(key="old").update(created_at=real_now - dt.timedelta(days=11))
    IdempotencyRecord.objects.filter(key="new").update(created_at=real_now - dt.timedelta(days=9))
    result = idempotency_purge_city.apply().get()
    assert result == {"status": "done", "deleted": 1, "retention_days": 10}
    assert keys() == {"new"}


def test_the_city_task_does_nothing_in_the_public_schema(db):
    connection.set_schema_to_public()
    assert idempotency_purge_city.apply().get() == {"status": "no_city"}
