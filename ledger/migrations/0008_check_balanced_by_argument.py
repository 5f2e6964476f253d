"""``ledger_check_balanced()`` learns which table fired it from its trigger's argument.

It used to branch on ``TG_TABLE_NAME``; under Citus the trigger fires on a shard of the table on
a worker, whose name is ``ledger_entry_102082``, and the branch took the wrong column. Each
constraint trigger now passes ``'entry'`` or ``'posting'``; the function reads the entry's id
from ``NEW.id`` or ``NEW.entry_id`` accordingly. Same checks at COMMIT as before.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_apply_postings_without_join")]

    operations = [sql_file_operation("ledger", name) for name in ("ledger_check_balanced", "ledger_entry_balanced", "ledger_posting_balanced",)]
