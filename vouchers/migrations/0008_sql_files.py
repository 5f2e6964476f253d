"""``wallet_pay()`` and ``usage_charge_headroom()`` from their files (vouchers/sql/), built on
the shared pieces: the idempotency claim, the code spend, the ledger's account lock, split, rate
and budget draw."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0007_provider_payout_fee"),
        ("merchants", "0006_sql_files"),
        ("ledger", "0009_sql_interface"),
    ]

    operations = [
        sql_file_operation("vouchers", "wallet_pay"),
        sql_file_operation("vouchers", "usage_charge_headroom"),
    ]
