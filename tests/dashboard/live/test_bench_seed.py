"""bench_seed makes a balanced city whose day the nightly run settles to the won."""

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from jeonju_prepay.db import snapshot
from ledger.models import Account
from ledger.selectors import ledger_check
from merchants.models import Statement
from operations.nightly import nightly_run
from vouchers.models import Payment

pytestmark = pytest.mark.slow

D = dt.date(2026, 3, 10)


def test_bench_seed_makes_balanced_data_that_settles_exactly(committed_db):
    schema = f"bench_t_{uuid.uuid4().hex[:6]}"
    out = io.StringIO()
    options = {"citizens": 60, "shops": 7, "date": "2026-03-10", "stdout": out}
    call_command("bench_seed", schema=schema, payments=900, chunk=250, **options)
    call_command("bench_seed", schema=schema, payments=100, **options)  # extends the same day
    assert "ledger balanced" in out.getvalue()
    with schema_context(schema):
        assert Payment.objects.filter(business_date=D).count() == 1_000
        assert Account.objects.filter(kind="wallet_principal").count() == 60
        assert Account.objects.filter(kind="shop_payable").count() == 7
        with snapshot():
            assert ledger_check().ok
        summary = nightly_run(business_date=D)
        assert not summary.failed
        completed = sum(
            Payment.objects.filter(business_date=D, status="completed").values_list(
                "amount", flat=True
            )
        )
        cancelled = sum(
            Payment.objects.filter(business_date=D, status="cancelled").values_list(
                "amount", flat=True
            )
        )
        statements = Statement.objects.filter(business_date=D)
        assert sum(s.payout_amount for s in statements) == completed
        assert sum(s.cancellations for s in statements) == cancelled
        assert sum(s.gross for s in statements) == completed + cancelled
    connection.set_schema_to_public()
