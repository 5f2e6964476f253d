-- The one database call that posts an entry (ledger.services.entry_post, and every money
-- function in SQL): claims the idempotency key, locks the accounts in id order, refuses an
-- overdraft naming the account, writes the postings (the statement trigger updates the
-- balances). Returns the new entry's id, or minus the id of the entry already posted with this
-- key and the same fingerprint (a replay: nothing moves).
-- Errors: JP001 insufficient balance (DETAIL: the account), JP002 the key was used for a
-- different entry, JP003 an unknown account.
-- Planned once per connection, never with a sequential scan (every statement finds its rows
-- by key; vouchers/sql/wallet_pay.sql says why): the settlement's 10,000 payouts re-planned
-- each statement for every call, 3.34-3.44 s on the settlement bench, 2.56 s planned once.
CREATE OR REPLACE FUNCTION ledger_post(
    p_kind text, p_key text, p_business_date date,
    p_actor bigint, p_device bigint, p_memo text, p_reverses bigint,
    p_accounts bigint[], p_amounts bigint[]
) RETURNS bigint LANGUAGE plpgsql
SET search_path FROM CURRENT
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
DECLARE
    v_fingerprint text := ledger_fingerprint(p_kind, p_reverses, p_accounts, p_amounts);
    v_entry bigint;
    v_existing text;
    v_found integer;
    v_short bigint;
BEGIN
    -- Claim the key first. A concurrent claim of the same key waits here until the first
    -- transaction ends, then either sees its entry (replay) or takes over (if it rolled back).
    INSERT INTO ledger_entry (kind, business_date, actor_id, device_id, memo, reverses_id,
                              idempotency_key, fingerprint, created_at)
    VALUES (p_kind, p_business_date, p_actor, p_device, p_memo, p_reverses,
            p_key, v_fingerprint, now())
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_entry;

    IF v_entry IS NULL THEN
        SELECT id, fingerprint INTO v_entry, v_existing
          FROM ledger_entry WHERE idempotency_key = p_key;
        IF v_existing IS DISTINCT FROM v_fingerprint THEN
            RAISE EXCEPTION 'idempotency key % was used for a different entry', p_key
                USING ERRCODE = 'JP002';
        END IF;
        RETURN -v_entry;
    END IF;

    -- Lock the accounts in one fixed order (by id) and look for one the entry would overdraw.
    SELECT COUNT(*), MIN(t.id) FILTER (WHERE NOT t.ok) INTO v_found, v_short
      FROM (SELECT a.id, (a.may_go_negative OR a.balance + d.amount >= 0) AS ok
              FROM ledger_account a
              JOIN unnest(p_accounts, p_amounts) AS d(id, amount) ON d.id = a.id
             ORDER BY a.id
               FOR UPDATE OF a) t;
    IF v_found <> cardinality(p_accounts) THEN
        RAISE EXCEPTION 'unknown ledger account in %', p_accounts USING ERRCODE = 'JP003';
    END IF;
    IF v_short IS NOT NULL THEN
        RAISE EXCEPTION 'insufficient balance' USING ERRCODE = 'JP001', DETAIL = v_short::text;
    END IF;

    INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)
    SELECT v_entry, d.id, d.amount, p_business_date
      FROM unnest(p_accounts, p_amounts) AS d(id, amount)
     ORDER BY d.id;
    RETURN v_entry;
END
$$;
