"""The wallet's grant hook with the grants' rules (grants/sql/wallet_grant_source.sql): after
vouchers 0009, which loads the wallet's own version (none)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file, sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0001_initial"),
        ("vouchers", "0010_payment_from_grant"),
        ("merchants", "0006_sql_files"),
    ]

    operations = [
        # Backwards: the wallet's own version again (no grant is spent).
        sql_file_operation(
            "grants", "wallet_grant_source", reverse=sql_file("vouchers", "wallet_grant_source")
        ),
    ]
