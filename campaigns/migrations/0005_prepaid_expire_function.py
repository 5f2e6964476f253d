"""``prepaid_expire(...)``: the pledges whose validity ended, expired in one database call.

Until this migration expiry was a single statement that called ``ledger_post()`` once per shop.
Under Citus that statement runs on the worker holding the city, and ``ledger_post()`` inside it
is a distributed query nested in a query on a shard, which Citus refuses ("cannot execute a
distributed query from a query on a shard"). Now each statement stands on its own:
``ledger_post()`` is called from the function's loop. Called only by
``campaigns.services.prepaid_expire_due``. In the caller's transaction:

 1. the due pledges (active, something left, valid until before ``p_as_of``) are locked in id
    order;
 2. per shop, one entry moves what they had left from the citizens' prepaid accounts to the
    shop's ``prepaid_issued`` account (key ``expiry:<shop>:<YYYY-MM-DD>``, the same key and
    fingerprint as before, so a second run posts nothing);
 3. the pledges are marked expired and an event is written for each.

Returns each expired pledge with the amount that expired. ``now()`` is read once into a
variable: Citus refuses it where it cannot evaluate it before sending a statement to the worker.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_redemption_cancel"),
        ("ledger", "0008_check_balanced_by_argument"),
    ]

    operations = [sql_file_operation("campaigns", name) for name in ("prepaid_expire",)]
