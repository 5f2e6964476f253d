-- Balanced entries, checked at COMMIT (deferred constraint triggers on ledger_entry and
-- ledger_posting): the postings of every entry the transaction touched sum to zero and there
-- are at least two (JP004). The trigger's argument names the table: on a Citus worker
-- TG_TABLE_NAME is a shard's name (ledger_entry_102082).
--
-- Once per entry, not once per posting: the check remembers, for the rest of the transaction
-- (set_config(..., true)), the entry it checked and the highest posting id it summed; the
-- trigger of a posting of that entry with an id no higher was part of that sum and returns at
-- once. A posting added to the entry later has a higher id (one sequence) and is checked
-- again. Without this an entry of n postings cost n sums of n rows (a grant batch of 50,000
-- citizens: 2.5 billion rows at COMMIT).
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_entry bigint;
    v_sum numeric;
    v_count integer;
    v_max bigint;
    v_seen text;
BEGIN
    IF TG_ARGV[0] = 'entry' THEN
        v_entry := NEW.id;
    ELSE
        v_entry := NEW.entry_id;
        v_seen := current_setting('ledger.balanced_checked', true);
        IF v_seen IS NOT NULL AND v_seen <> ''
           AND split_part(v_seen, ':', 1)::bigint = v_entry
           AND NEW.id <= split_part(v_seen, ':', 2)::bigint THEN
            RETURN NULL;
        END IF;
    END IF;
    SELECT COALESCE(SUM(amount), 0), COUNT(*), COALESCE(MAX(id), 0) INTO v_sum, v_count, v_max
      FROM ledger_posting WHERE entry_id = v_entry;
    IF v_sum <> 0 OR v_count < 2 THEN
        RAISE EXCEPTION 'ledger entry % is unbalanced: % postings summing to %',
            v_entry, v_count, v_sum USING ERRCODE = 'JP004';
    END IF;
    PERFORM set_config('ledger.balanced_checked', v_entry::text || ':' || v_max::text, true);
    RETURN NULL;
END
$$;
