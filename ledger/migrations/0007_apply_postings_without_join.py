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

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_accounts bigint[];
    v_totals bigint[];
BEGIN
    -- The transition table is read on its own: joined to a city table it cannot be sent to a
    -- Citus worker.
    SELECT array_agg(account_id ORDER BY account_id), array_agg(total ORDER BY account_id)
      INTO v_accounts, v_totals
      FROM (SELECT account_id, SUM(amount)::bigint AS total
              FROM new_postings GROUP BY account_id) s;
    UPDATE ledger_account a
       SET balance = a.balance + d.total
      FROM unnest(v_accounts, v_totals) AS d(id, total)
     WHERE a.id = d.id;
    RETURN NULL;
END
$$
"""

BACKWARD = r"""
CREATE OR REPLACE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE ledger_account a
       SET balance = a.balance + s.total
      FROM (SELECT account_id, SUM(amount) AS total FROM new_postings GROUP BY account_id) s
     WHERE a.id = s.account_id;
    RETURN NULL;
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_entry_kind_provider_payout")]

    operations = [migrations.RunSQL([FORWARD], [BACKWARD])]
