-- ledger_posting_apply: ledger_apply_postings() once per INSERT statement on ledger_posting.
DROP TRIGGER IF EXISTS ledger_posting_apply ON ledger_posting;
CREATE TRIGGER ledger_posting_apply AFTER INSERT ON ledger_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_postings();
