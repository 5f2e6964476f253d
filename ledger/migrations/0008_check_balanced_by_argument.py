"""``ledger_check_balanced()`` learns which table fired it from its trigger's argument.

It used to branch on ``TG_TABLE_NAME``; under Citus the trigger fires on a shard of the table on
a worker, whose name is ``ledger_entry_102082``, and the branch took the wrong column. Each
constraint trigger now passes ``'entry'`` or ``'posting'``; the function reads the entry's id
from ``NEW.id`` or ``NEW.entry_id`` accordingly. Same checks at COMMIT as before.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_statements

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_entry bigint;
    v_sum numeric;
    v_count integer;
BEGIN
    -- TG_ARGV[0] names the table (on a Citus worker TG_TABLE_NAME is a shard's name).
    IF TG_ARGV[0] = 'entry' THEN
        v_entry := NEW.id;
    ELSE
        v_entry := NEW.entry_id;
    END IF;
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO v_sum, v_count
      FROM ledger_posting WHERE entry_id = v_entry;
    IF v_sum <> 0 OR v_count < 2 THEN
        RAISE EXCEPTION 'ledger entry % is unbalanced: % postings summing to %',
            v_entry, v_count, v_sum USING ERRCODE = 'JP004';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER ledger_entry_balanced ON ledger_entry;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced('entry');
DROP TRIGGER ledger_posting_balanced ON ledger_posting;
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced('posting');
"""

BACKWARD = r"""
DROP TRIGGER ledger_posting_balanced ON ledger_posting;
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
DROP TRIGGER ledger_entry_balanced ON ledger_entry;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_entry bigint;
    v_sum numeric;
    v_count integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entry' THEN
        v_entry := NEW.id;
    ELSE
        v_entry := NEW.entry_id;
    END IF;
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO v_sum, v_count
      FROM ledger_posting WHERE entry_id = v_entry;
    IF v_sum <> 0 OR v_count < 2 THEN
        RAISE EXCEPTION 'ledger entry % is unbalanced: % postings summing to %',
            v_entry, v_count, v_sum USING ERRCODE = 'JP004';
    END IF;
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_apply_postings_without_join")]

    operations = [migrations.RunSQL(sql_statements(FORWARD), sql_statements(BACKWARD))]
