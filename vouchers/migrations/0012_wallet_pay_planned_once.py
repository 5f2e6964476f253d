"""``wallet_pay()`` planned once per connection, never with a sequential scan: PostgreSQL made a
custom plan for each call (the reasons and figures are in the SQL file)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("vouchers", "0011_wallet_pay_grant_probe"),
    ]

    operations = [
        sql_file_operation("vouchers", "wallet_pay"),
    ]
