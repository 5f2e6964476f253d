"""``prepaid_redeem()`` and ``prepaid_expire()`` from their files (campaigns/sql/), on the shared
pieces (idempotency claim, code spend, the ledger's account lock and views)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0006_prepaid_redeem_now_once"),
        ("vouchers", "0008_sql_files"),
    ]

    operations = [sql_file_operation("campaigns", name) for name in ("prepaid_redeem", "prepaid_expire")]
