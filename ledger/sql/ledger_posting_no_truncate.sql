-- ledger_posting_no_truncate: ledger_refuse_change() BEFORE TRUNCATE ON ledger_posting.
DROP TRIGGER IF EXISTS ledger_posting_no_truncate ON ledger_posting;
CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
