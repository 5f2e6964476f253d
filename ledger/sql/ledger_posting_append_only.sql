-- ledger_posting_append_only: ledger_refuse_change() BEFORE UPDATE OR DELETE ON ledger_posting.
DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
