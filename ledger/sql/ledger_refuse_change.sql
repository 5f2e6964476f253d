-- Append-only: UPDATE, DELETE and TRUNCATE of entries and postings are refused (JP005).
-- A mistake is corrected by a reversing entry.
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'JP005', HINT = 'correct a mistake with a reversing entry';
END
$$;
