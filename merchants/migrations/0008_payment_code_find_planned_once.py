"""``payment_code_find()`` planned once per connection, never with a sequential scan: PostgreSQL made a
custom plan for each call (the reasons and figures are in the SQL file)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("merchants", "0007_shop_payments"),
    ]

    operations = [
        sql_file_operation("merchants", "payment_code_find"),
    ]
