"""``ledger_check_balanced()`` sums an entry once per transaction rather than once per posting
(ledger/sql/ledger_check_balanced.sql): the same check at COMMIT, linear in the postings of an
entry instead of quadratic (a grant batch posts one entry to tens of thousands of citizens)."""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [("ledger", "0012_wallet_grant")]

    operations = [sql_file_operation("ledger", "ledger_check_balanced")]
