"""``sales_ticket_issue()`` again, never with a sequential scan (a plan made on an empty
tickets table read every ticket for each arrival)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0003_ticket_issue_function"),
    ]

    operations = [
        sql_file_operation("sales", "sales_ticket_issue"),
    ]
