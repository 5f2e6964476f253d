-- ledger_entry_no_truncate: ledger_refuse_change() BEFORE TRUNCATE ON ledger_entry.
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry;
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
