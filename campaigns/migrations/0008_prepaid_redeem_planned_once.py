"""``prepaid_redeem()`` planned once per connection, never with a sequential scan: PostgreSQL made a
custom plan for each call (the reasons and figures are in the SQL file)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0007_sql_files"),
    ]

    operations = [
        sql_file_operation("campaigns", "prepaid_redeem"),
    ]
