"""``ledger_apply_postings()`` reads the statement's new postings before it updates accounts.

The statement trigger used to update ``ledger_account`` joined to the transition table
``new_postings`` in one statement. Under Citus a city's tables are shards on a worker, and a
statement on them is deparsed there: a transition table cannot be (``unrecognized RTE kind:
7``). Now the trigger first sums the new postings per account from the transition table alone
(a query on no table of the city, planned by PostgreSQL itself), then updates the accounts from
those two arrays. Same effect, same one UPDATE per statement, in account id order, on a single
PostgreSQL and on a worker.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_entry_kind_provider_payout")]

    operations = [sql_file_operation("ledger", name) for name in ("ledger_apply_postings",)]
