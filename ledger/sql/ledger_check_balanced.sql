-- Balanced entries, checked at COMMIT (deferred constraint triggers on ledger_entry and
-- ledger_posting): the postings of every entry the transaction touched sum to zero and there
-- are at least two (JP004). The trigger's argument names the table: on a Citus worker
-- TG_TABLE_NAME is a shard's name (ledger_entry_102082).
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_entry bigint;
    v_sum numeric;
    v_count integer;
BEGIN
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
