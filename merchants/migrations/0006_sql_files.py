"""The merchants' SQL from its files (merchants/sql/): the counter's look-ups, the code spend
every money function shares (payment_code_spend), and the settlement chunk, which now reads
the ledger through its views and lets ledger_post() compute the entry's fingerprint."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation

FILES = ["counter_device", "payment_code_find", "payment_code_spend", "settlement_chunk"]


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0005_shop_policy_latest_by_time"),
        ("ledger", "0009_sql_interface"),
    ]

    operations = [sql_file_operation("merchants", name) for name in FILES]
