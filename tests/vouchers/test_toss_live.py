"""Toss's webhooks delivered over HTTP to the app served on a real port: a webhook our server
could not verify (Toss's API did not answer) is answered 503 and Toss sends it again; a
duplicate is answered 200 and changes nothing; a refund from the console arrives on its own."""

from __future__ import annotations

import pytest

from ledger.selectors import ledger_check
from tests.accounts.factories import CitizenFactory
from tests.vouchers.conftest import balances, jeonju_rules_and_budget
from tests.vouchers.fake_toss import FakeToss
from vouchers.models import Charge
from vouchers.services import charge_create
from vouchers.toss import toss_charge_confirm

SECRET = "test_sk_fake_live_0123456789"


@pytest.mark.slow
def test_webhooks_over_http_are_retried_after_a_503_and_duplicates_change_nothing(
    live_city, live_server_url, settings
):
    fake = FakeToss(secret_key=SECRET).start()
    settings.PAYMENT_PROVIDER_BY_CITY = {live_city.schema_name: "toss"}
    settings.TOSS_SECRET_KEY = SECRET
    settings.TOSS_CLIENT_KEY = "test_ck_fake_live_0123456789"
    settings.TOSS_API_BASE = fake.url
    settings.TOSS_READ_TIMEOUT = 1.0
    port = live_server_url.rsplit(":", 1)[1]
    fake.webhook_url = f"http://127.0.0.1:{port}/payments/toss/webhook"
    fake.webhook_headers = {"Host": live_city.host}  # *.localhost need not resolve here
    fake.webhook_copies = 2  # Toss sometimes sends the same event twice
    try:
        jeonju_rules_and_budget()
        citizen = CitizenFactory()
        charge, _url = charge_create(user=citizen, amount=40_000)
        key = fake.checkout(charge.order_id, 40_000)
        # Our server's read-back of the payment (for the first webhook) will time out once.
        fake.stall(f"/v1/payments/{key}", 2.5)
        outcome = toss_charge_confirm(
            user=citizen, order_id=charge.order_id, payment_key=key, amount=40_000
        )
        assert outcome.status == "credited"
        fake.wait_for_webhooks()
        # First delivery 503 (not verified), resent: 200; the second copy: 200 at once.
        assert fake.deliveries == [("DONE", 503), ("DONE", 200), ("DONE", 200)]

        fake.deliveries.clear()
        fake.webhook_copies = 1
        fake.console_cancel(key)  # a refund from Toss's console; we learn of it by webhook
        fake.wait_for_webhooks()
        assert fake.deliveries == [("CANCELED", 200)]
        charge.refresh_from_db()
        assert charge.status == Charge.Status.CANCELLED
        assert balances(citizen) == (0, 0)
        assert ledger_check().ok
    finally:
        fake.stop()
