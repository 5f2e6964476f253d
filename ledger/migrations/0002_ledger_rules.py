"""What PostgreSQL itself enforces on the ledger, in every city schema.

1. Append-only: UPDATE, DELETE and TRUNCATE of entries and postings are refused by triggers.
2. Balanced: a deferred constraint trigger checks at COMMIT that the postings of every entry
   touched by the transaction sum to zero and that there are at least two. Raw SQL cannot leave
   an unbalanced entry behind either.
3. Materialised balances: a statement trigger on posting inserts adds them to their accounts'
   ``balance`` in the same statement, so the stored balance is the sum of the postings whatever
   wrote them; the CHECK ``ledger_account_no_overdraft`` (migration 0001) refuses a balance below
   zero on accounts that may not go negative.
4. ``ledger_post(...)``: the one database call that posts an entry: claims the idempotency key,
   locks the accounts in id order, refuses an overdraft with a clear error, writes the postings.

Every function pins the search_path it was created with (its city's schema), so a deferred
check that fires at COMMIT reads its own city's tables whatever the session's path is by then.

Each function and trigger is one file under ledger/sql/ (loaded here and by every later
migration that changes it), so its text is written once.

Error codes raised here (SQLSTATE class JP): JP001 insufficient balance (DETAIL: account id),
JP002 idempotency key reused with different parameters, JP003 unknown account, JP004 unbalanced
entry, JP005 append-only violation.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation

RULES = [
    "ledger_refuse_change",
    "ledger_entry_append_only",
    "ledger_entry_no_truncate",
    "ledger_posting_append_only",
    "ledger_posting_no_truncate",
    "ledger_check_balanced",
    "ledger_entry_balanced",
    "ledger_posting_balanced",
    "ledger_apply_postings",
    "ledger_posting_apply",
    "ledger_fingerprint",
    "ledger_post",
]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [sql_file_operation("ledger", name) for name in RULES]
