"""``ledger_post()`` planned once per connection, never with a sequential scan: PostgreSQL
made a custom plan of each statement for every call (the reasons and figures are in the SQL
file)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0015_entry_kind_shop_payment"),
    ]

    operations = [
        sql_file_operation("ledger", "ledger_post"),
    ]
