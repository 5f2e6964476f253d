-- Bulk loading for synthetic history and benchmarks only (dashboard/synthetic.py, bench_seed):
-- a caller stages entries and postings in two temporary tables of this session
-- (ledger_bulk_stage() makes them), then ledger_bulk_load() writes them to the ledger in two
-- statements and empties the stage. The database's own rules still hold: balances are updated
-- by the statement trigger, no protected account may go negative, every entry must balance
-- at COMMIT. Entry ids come from ledger_entry_id_next(), so staged postings can name them.
CREATE OR REPLACE FUNCTION ledger_entry_id_next() RETURNS bigint LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    RETURN nextval(pg_get_serial_sequence('ledger_entry', 'id'));
END
$$;

CREATE OR REPLACE FUNCTION ledger_bulk_stage() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS ledger_bulk_entries (
        id bigint PRIMARY KEY, kind text NOT NULL, business_date date NOT NULL,
        created_at timestamptz NOT NULL, actor_id bigint, memo text NOT NULL DEFAULT '',
        reverses_id bigint, idempotency_key text NOT NULL
    );
    CREATE TEMP TABLE IF NOT EXISTS ledger_bulk_postings (
        entry_id bigint NOT NULL, account_id bigint NOT NULL, amount bigint NOT NULL,
        business_date date NOT NULL
    );
END
$$;

CREATE OR REPLACE FUNCTION ledger_bulk_load() RETURNS integer LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_entries integer;
BEGIN
    INSERT INTO ledger_entry (id, kind, business_date, created_at, actor_id, device_id, memo,
                              reverses_id, idempotency_key, fingerprint)
    SELECT e.id, e.kind, e.business_date, e.created_at, e.actor_id, NULL, e.memo,
           e.reverses_id, e.idempotency_key,
           ledger_fingerprint(e.kind, e.reverses_id, f.accounts, f.amounts)
      FROM pg_temp.ledger_bulk_entries e
      JOIN (SELECT entry_id, array_agg(account_id ORDER BY account_id) AS accounts,
                   array_agg(amount ORDER BY account_id) AS amounts
              FROM pg_temp.ledger_bulk_postings GROUP BY entry_id) f ON f.entry_id = e.id;
    GET DIAGNOSTICS v_entries = ROW_COUNT;
    INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)
    SELECT entry_id, account_id, amount, business_date FROM pg_temp.ledger_bulk_postings;
    TRUNCATE pg_temp.ledger_bulk_entries, pg_temp.ledger_bulk_postings;
    RETURN v_entries;
END
$$;

-- After a bulk load: the planner's statistics of the ledger's tables, as autovacuum would
-- refresh them later (without them the payment's account look-up can scan every account).
CREATE OR REPLACE FUNCTION ledger_analyze() RETURNS void LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    ANALYZE ledger_account;
    ANALYZE ledger_entry;
    ANALYZE ledger_posting;
END
$$;
