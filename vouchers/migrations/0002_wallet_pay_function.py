"""``wallet_pay(...)``: a wallet payment in one database call.

At the counter a payment must be as cheap as possible (DESIGN: fast at the counter; the target
is half the throughput of a bare lock-update-insert view). So the locked part of a payment runs
here, in one round trip, called only by ``vouchers.services.wallet_pay``:

 1. the idempotency key is claimed (or its stored answer replayed, or a conflict raised);
 2. the shop must be approved; the customer's code, if any, is spent (once);
 3. the citizen's usage row for the month and the accounts are locked (usage row first, then
    accounts in id order: the same order every money path in the app uses);
 4. the amount is split between principal and incentive in proportion to their balances, every
    part but the first rounded down (the project's one rounding rule, ``ledger.money.split``);
 5. cashback (rate and monthly cap decided by Python from the city's policy) comes from the
    citizen's budget shard, then from other shards nobody holds (SKIP LOCKED: never waits, so
    never deadlocks), never more than they hold;
 6. the payment and cashback entries go through ``ledger_post`` (the ledger's own checks);
 7. the payment row and the stored answer are written.

Error codes (SQLSTATE): JP001 insufficient balance, JP002 idempotency conflict, JP101 shop not
approved, JP102 code used, JP103 code expired, JP198 an account is missing, JP199 the usage row
is missing (the caller creates what is missing and calls again).
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0001_initial"),
        ("ledger", "0003_account_owner_index"),
        ("merchants", "0001_initial"),
    ]

    operations = [sql_file_operation("vouchers", name) for name in ("wallet_pay",)]
