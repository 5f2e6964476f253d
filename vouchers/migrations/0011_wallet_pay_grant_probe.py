"""``wallet_pay()`` asks the grants' rules (``wallet_grant_source()``) only when the citizen
holds a grant account: the counter's payment no longer runs the programme query for every
citizen without a grant."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("vouchers", "0010_payment_from_grant"),
    ]

    operations = [
        sql_file_operation("vouchers", "wallet_pay"),
    ]
