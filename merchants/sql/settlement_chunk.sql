-- settlement_chunk(p_after, p_upto, p_day): one chunk of shops (ids in (p_after, p_upto])
-- settled for business date p_day in one database call; called only by
-- merchants.settlement._settle_chunk (merchants/settlement.py's docstring says what a shop is
-- paid). In the caller's transaction:
--
--  1. nothing is done (and nothing locked) when every shop of the chunk has a statement dated
--     on or after p_day (a repeat run);
--  2. the chunk's missing shop_payouts accounts are created;
--  3. its shop_payable accounts are locked FOR UPDATE in id order; a payment at one of these
--     shops waits for the chunk to commit, payments elsewhere go on;
--  4. one SELECT figures every shop's day from its payable postings and its balance at the end
--     of the day (the stored balance less what was posted after the day). It starts after the
--     locks were granted, so it sees every posting that will ever be dated on or before the
--     payout;
--  5. each positive closing balance is paid with ledger_post() (key
--     settlement:<shop>:<YYYY-MM-DD>), one call per payout from the function's own loop, never
--     from inside a statement (Citus refuses a distributed query nested in a query on a shard);
--  6. the statements are written in one INSERT.
--
-- A shop whose settlement the city holds (merchants_shop.settlement_held, a fraud case under
-- investigation) is skipped: no statement, no payout; its balance waits for the first
-- settlement after the hold is lifted. A shop's payments to other shops (entry kind
-- shop_payment) are counted apart as spent_onward: the payout is what was not spent onward.
--
-- Returns one row: statements written, payouts made, gross, cancellations, paid, and payouts
-- found already posted (replays). now() is read once into a variable (Citus refuses it where
-- it cannot evaluate it before sending a statement to the worker). The ledger is read through
-- its views (ledger_accounts, ledger_postings).
CREATE OR REPLACE FUNCTION settlement_chunk(p_after bigint, p_upto bigint, p_day date)
RETURNS TABLE (statements integer, payouts integer, gross bigint, cancellations bigint,
               paid bigint, replayed integer)
LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
    v_day_text text := to_char(p_day, 'YYYY-MM-DD');
    v_day_compact text := to_char(p_day, 'YYYYMMDD');
    v_now timestamptz := now();
    v_shops bigint[];
    v_accounts bigint[];
    v_payouts_accounts bigint[];
    v_gross bigint[];
    v_cancellations bigint[];
    v_onward bigint[];
    v_postings integer[];
    v_closing bigint[];
    v_entries bigint[] := '{}';
    v_entry bigint;
    i integer;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM ledger_accounts a
         WHERE a.kind = 'shop_payable' AND a.owner_shop_id > p_after AND a.owner_shop_id <= p_upto
           AND NOT EXISTS (SELECT 1 FROM merchants_statement s
                            WHERE s.shop_id = a.owner_shop_id AND s.business_date >= p_day)
    ) THEN
        RETURN QUERY SELECT 0, 0, 0::bigint, 0::bigint, 0::bigint, 0;
        RETURN;
    END IF;

    -- The payouts accounts the chunk's shops still lack (only new shops, after the first night).
    SELECT array_agg(a.owner_shop_id ORDER BY a.owner_shop_id) INTO v_shops
      FROM ledger_accounts a
     WHERE a.kind = 'shop_payable' AND a.owner_shop_id > p_after AND a.owner_shop_id <= p_upto
       AND NOT EXISTS (SELECT 1 FROM ledger_accounts o
                        WHERE o.owner_shop_id = a.owner_shop_id AND o.kind = 'shop_payouts'
                          AND o.owner_user_id IS NULL AND o.shard = 0);
    IF v_shops IS NOT NULL THEN
        PERFORM ledger_accounts_create('shop_payouts', array_fill(NULL::bigint, ARRAY[cardinality(v_shops)]),
                                       v_shops, array_fill(0, ARRAY[cardinality(v_shops)]));
    END IF;

    PERFORM count(*) FROM (
        SELECT id FROM ledger_accounts
         WHERE kind = 'shop_payable' AND owner_shop_id > p_after AND owner_shop_id <= p_upto
         ORDER BY id
           FOR UPDATE
    ) locked;

    WITH payable AS (
        SELECT a.id AS account_id, a.owner_shop_id AS shop_id, a.balance
          FROM ledger_accounts a
         WHERE a.kind = 'shop_payable' AND a.owner_user_id IS NULL AND a.shard = 0
           AND a.owner_shop_id > p_after AND a.owner_shop_id <= p_upto
           AND NOT EXISTS (SELECT 1 FROM merchants_statement s
                            WHERE s.shop_id = a.owner_shop_id AND s.business_date >= p_day)
           AND NOT EXISTS (SELECT 1 FROM merchants_shop h
                            WHERE h.id = a.owner_shop_id AND h.settlement_held)
    ), signed AS (
        -- Only a debit may be a payment to another shop; the entry's kind is read for those.
        SELECT p.account_id, p.amount,
               (p.amount < 0 AND EXISTS (SELECT 1 FROM ledger_entries e
                                          WHERE e.id = p.entry_id AND e.kind = 'shop_payment'))
                   AS onward
          FROM ledger_postings p
         WHERE p.account_id IN (SELECT account_id FROM payable) AND p.business_date = p_day
    ), day AS (
        SELECT s.account_id,
               COALESCE(SUM(s.amount) FILTER (WHERE s.amount > 0), 0)::bigint AS gross,
               COALESCE(-SUM(s.amount) FILTER (WHERE s.amount < 0 AND NOT s.onward), 0)::bigint
                   AS cancellations,
               COALESCE(-SUM(s.amount) FILTER (WHERE s.onward), 0)::bigint AS onward,
               COUNT(*)::integer AS postings
          FROM signed s
         GROUP BY s.account_id
    ), later AS (
        SELECT p.account_id, SUM(p.amount)::bigint AS amount
          FROM ledger_postings p
         WHERE p.account_id IN (SELECT account_id FROM payable) AND p.business_date > p_day
         GROUP BY p.account_id
    ), figures AS (
        SELECT pa.shop_id, pa.account_id, o.id AS payouts_id,
               COALESCE(d.gross, 0) AS gross,
               COALESCE(d.cancellations, 0) AS cancellations,
               COALESCE(d.onward, 0) AS onward,
               COALESCE(d.postings, 0) AS postings,
               (pa.balance - COALESCE(l.amount, 0))::bigint AS closing
          FROM payable pa
          JOIN ledger_accounts o ON o.owner_shop_id = pa.shop_id AND o.kind = 'shop_payouts'
                               AND o.owner_user_id IS NULL AND o.shard = 0
          LEFT JOIN day d ON d.account_id = pa.account_id
          LEFT JOIN later l ON l.account_id = pa.account_id
         WHERE d.account_id IS NOT NULL OR pa.balance - COALESCE(l.amount, 0) > 0
    )
    SELECT array_agg(shop_id ORDER BY shop_id), array_agg(account_id ORDER BY shop_id),
           array_agg(payouts_id ORDER BY shop_id), array_agg(gross ORDER BY shop_id),
           array_agg(cancellations ORDER BY shop_id), array_agg(onward ORDER BY shop_id),
           array_agg(postings ORDER BY shop_id), array_agg(closing ORDER BY shop_id)
      INTO v_shops, v_accounts, v_payouts_accounts, v_gross, v_cancellations, v_onward,
           v_postings, v_closing
      FROM figures;

    -- One ledger_post() per payout, each a statement of its own (see the docstring).
    FOR i IN 1 .. coalesce(cardinality(v_shops), 0) LOOP
        v_entry := NULL;
        IF v_closing[i] > 0 THEN
            v_entry := ledger_post('settlement', 'settlement:' || v_shops[i] || ':' || v_day_text,
                p_day, NULL, NULL, 'settlement ' || v_day_text, NULL,
                ARRAY[v_accounts[i], v_payouts_accounts[i]], ARRAY[-v_closing[i], v_closing[i]]);
        END IF;
        v_entries := v_entries || v_entry;
    END LOOP;

    INSERT INTO merchants_statement (shop_id, business_date, gross, cancellations, net,
                                     spent_onward, carried_in, payout_amount, carried_out,
                                     postings, payout_entry_id, reference, created_at)
    SELECT f.shop_id, p_day, f.gross, f.cancellations, f.gross - f.cancellations, f.onward,
           f.closing - (f.gross - f.cancellations - f.onward), GREATEST(f.closing, 0),
           f.closing - GREATEST(f.closing, 0), f.postings, abs(f.entry_id),
           'JP' || v_day_compact || '-' || f.shop_id, v_now
      FROM unnest(v_shops, v_gross, v_cancellations, v_onward, v_postings, v_closing, v_entries)
           AS f(shop_id, gross, cancellations, onward, postings, closing, entry_id);

    RETURN QUERY
    SELECT count(*)::integer, (count(*) FILTER (WHERE f.closing > 0))::integer,
           COALESCE(SUM(f.gross), 0)::bigint, COALESCE(SUM(f.cancellations), 0)::bigint,
           COALESCE(SUM(GREATEST(f.closing, 0)), 0)::bigint,
           (count(*) FILTER (WHERE f.entry_id < 0))::integer
      FROM unnest(v_gross, v_cancellations, v_closing, v_entries)
           AS f(gross, cancellations, closing, entry_id);
END
$$;
