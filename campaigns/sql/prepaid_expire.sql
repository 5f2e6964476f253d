-- prepaid_expire(p_as_of, p_business_date): the rest of every active pledge whose validity
-- ended before p_as_of expires. Called only by campaigns.services.prepaid_expire_due. The due
-- pledges are locked (id order), then one ledger_post() per shop (key expiry:<shop>:<as_of>,
-- so a second run posts nothing) from the function's own loop (Citus refuses a ledger_post()
-- inside a statement), then the pledges are marked expired and an event is written per pledge.
-- Returns each expired pledge and the amount that expired. now() is read once.
CREATE OR REPLACE FUNCTION prepaid_expire(p_as_of date, p_business_date date)
RETURNS TABLE (pledge_id bigint, amount bigint)
LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := now();
    v_as_of text := to_char(p_as_of, 'YYYY-MM-DD');
    v_ids bigint[];
    v_users bigint[];
    v_shops bigint[];
    v_remaining bigint[];
    v_posted_shops bigint[] := '{}';
    v_posted_entries bigint[] := '{}';
    v_done bigint[];
    v_done_remaining bigint[];
    v_done_entries bigint[];
    r record;
    v_entry bigint;
BEGIN
    SELECT array_agg(d.id ORDER BY d.id), array_agg(d.user_id ORDER BY d.id),
           array_agg(d.shop_id ORDER BY d.id), array_agg(d.remaining ORDER BY d.id)
      INTO v_ids, v_users, v_shops, v_remaining
      FROM (SELECT p.id, p.user_id, p.shop_id, p.remaining
              FROM campaigns_pledge p
             WHERE p.status = 'active' AND p.remaining > 0 AND p.valid_until < p_as_of
             ORDER BY p.id
               FOR UPDATE) d;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;

    -- One ledger_post() per shop, each a statement of its own (see the docstring).
    FOR r IN
        WITH due AS (
            SELECT * FROM unnest(v_ids, v_users, v_shops, v_remaining)
                       AS d(id, user_id, shop_id, remaining)
        ), per_account AS (
            SELECT d.shop_id, a.id AS account_id, (-SUM(d.remaining))::bigint AS amount
              FROM due d
              JOIN ledger_accounts a ON a.owner_user_id = d.user_id AND a.owner_shop_id = d.shop_id
                                   AND a.kind = 'prepaid' AND a.shard = 0
             GROUP BY d.shop_id, a.id
        )
        SELECT pa.shop_id,
               array_agg(pa.account_id ORDER BY pa.account_id) || i.id AS accounts,
               array_agg(pa.amount ORDER BY pa.account_id) || (-SUM(pa.amount))::bigint AS amounts
          FROM per_account pa
          JOIN ledger_accounts i ON i.owner_user_id IS NULL AND i.owner_shop_id = pa.shop_id
                               AND i.kind = 'prepaid_issued' AND i.shard = 0
         GROUP BY pa.shop_id, i.id
         ORDER BY pa.shop_id
    LOOP
        v_entry := ledger_post('expiry', 'expiry:' || r.shop_id || ':' || v_as_of,
            p_business_date, NULL, NULL, 'prepaid balances expired', NULL,
            r.accounts, r.amounts);
        v_posted_shops := v_posted_shops || r.shop_id;
        v_posted_entries := v_posted_entries || v_entry;
    END LOOP;

    SELECT array_agg(d.id ORDER BY d.id), array_agg(d.remaining ORDER BY d.id),
           array_agg(abs(ps.entry_id) ORDER BY d.id)
      INTO v_done, v_done_remaining, v_done_entries
      FROM unnest(v_ids, v_shops, v_remaining) AS d(id, shop_id, remaining)
      JOIN unnest(v_posted_shops, v_posted_entries) AS ps(shop_id, entry_id)
        ON ps.shop_id = d.shop_id;
    IF v_done IS NULL THEN
        RETURN;
    END IF;

    UPDATE campaigns_pledge p
       SET status = 'expired', closed_at = v_now, remaining = 0
      FROM unnest(v_done) AS d(id)
     WHERE p.id = d.id;
    INSERT INTO campaigns_pledgeevent (pledge_id, action, amount, entry_id, note, created_at)
    SELECT d.id, 'expired', d.remaining, d.entry_id, 'valid until passed', v_now
      FROM unnest(v_done, v_done_remaining, v_done_entries) AS d(id, remaining, entry_id);

    RETURN QUERY
    SELECT d.id, d.remaining FROM unnest(v_done, v_done_remaining) AS d(id, remaining);
END
$$;
