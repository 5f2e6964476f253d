"""``counter_device()`` and ``payment_code_find()``: the two look-ups every counter request makes.

Sent as plain SQL, each of these statements spent about five times longer being planned than
being run (0.15-0.2 ms of planning for 0.02-0.03 ms of execution, at every request). PL/pgSQL
keeps a statement's plan for the life of the connection, so the same SELECTs live here and are
planned once per connection. Called only by ``merchants.authentication._active_device`` and
``merchants.services.payment_code_resolve``, which keep every decision; these only read.

Like every function of a city schema, each pins the search_path it was created with.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0002_transferfile_statement"),
        ("vouchers", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [sql_file_operation("merchants", name) for name in ("counter_device", "payment_code_find",)]
