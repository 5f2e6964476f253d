"""``sales_ticket_issue()``: a ticket's INSERT as a function, planned once per connection."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0002_ticket_lean_indexes"),
    ]

    operations = [
        sql_file_operation(
            "sales",
            "sales_ticket_issue",
            reverse="DROP FUNCTION IF EXISTS sales_ticket_issue("
            "bigint, text, bigint, boolean, bigint, bigint, text, smallint, text)",
        ),
    ]
