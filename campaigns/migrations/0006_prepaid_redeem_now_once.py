"""``prepaid_redeem()`` reads ``now()`` once, outside the CASE that closes a used-up pledge.

Citus evaluates ``now()`` on the coordinator before it sends a statement to the worker that
holds the city, and refuses it where it cannot (inside CASE or COALESCE: "non-IMMUTABLE
functions are not allowed in CASE or COALESCE statements"), so no redemption could be made.
The function is that of campaigns migration 0002 with one change: ``closed_at`` takes
``v_now``, read at the start of the call (the same value: ``now()`` is the transaction's start
either way).
"""


from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_prepaid_expire_function")]

    operations = [sql_file_operation("campaigns", name) for name in ("prepaid_redeem",)]
