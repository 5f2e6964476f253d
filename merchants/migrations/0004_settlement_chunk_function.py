"""``settlement_chunk(...)``: one chunk of shops settled in one database call.

Until this migration the chunk's payouts were posted by a single statement that called
``ledger_post()`` once per row. Under Citus that statement runs on the worker holding the
city, and ``ledger_post()`` inside it is a distributed query nested in a query on a shard,
which Citus refuses ("cannot execute a distributed query from a query on a shard"). Now each
statement of the chunk stands on its own: ``ledger_post()`` is called from the function's own
loop, never from inside a statement. Called only by ``merchants.settlement._settle_chunk``; the
docstring of ``merchants/settlement.py`` says what a shop is paid. In one transaction:

 1. nothing is done (and nothing locked) when every shop of the chunk has a statement dated on
    or after ``p_day`` (a repeat run);
 2. the chunk's missing ``shop_payouts`` accounts are created;
 3. its ``shop_payable`` accounts are locked ``FOR UPDATE`` in id order; a payment at one of
    these shops waits for the chunk to commit, payments elsewhere go on;
 4. one SELECT figures every shop's day from its payable postings and its balance at the end
    of the day (the stored balance less what was posted after the day). It starts after the
    locks were granted, so it sees every posting that will ever be dated on or before the
    payout;
 5. each positive closing balance is paid with ``ledger_post`` (key
    ``settlement:<shop>:<YYYY-MM-DD>``, the same fingerprint as before, so a run interrupted
    before this migration replays after it);
 6. the statements are written in one INSERT.

Returns one row: statements written, payouts made, gross, cancellations, paid, and payouts
found already posted (replays). ``now()`` is read once into a variable: Citus refuses it where
it cannot evaluate it before sending a statement to the worker.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0003_counter_lookup_functions"),
        ("ledger", "0008_check_balanced_by_argument"),
    ]

    operations = [sql_file_operation("merchants", name) for name in ("settlement_chunk",)]
