-- ledger_entry_append_only: ledger_refuse_change() BEFORE UPDATE OR DELETE ON ledger_entry.
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
