-- Create, in one statement, the accounts of p_kind for owners that lack one: p_users, p_shops
-- and p_shards are arrays of the same length (an element may be NULL: no such owner; a NULL
-- shard is 0). may_go_negative follows the kind (the counterpart kinds of ledger/models.py).
-- Returns how many were created. The settlement creates a chunk's payouts accounts this way;
-- synthetic history (dashboard/synthetic.py, bench_seed) its wallets, shops and shards.
CREATE OR REPLACE FUNCTION ledger_accounts_create(
    p_kind text, p_users bigint[], p_shops bigint[], p_shards integer[]
) RETURNS integer LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_now timestamptz := now();
    v_made integer;
BEGIN
    INSERT INTO ledger_account (kind, owner_user_id, owner_shop_id, shard, provider, balance,
                                may_go_negative, created_at)
    SELECT p_kind, o.user_id, o.shop_id, COALESCE(o.shard, 0), '', 0,
           p_kind IN ('float', 'prepaid_issued', 'outside_world', 'shop_payable',
                      'provider_clearing'),
           v_now
      FROM unnest(p_users, p_shops, p_shards) AS o(user_id, shop_id, shard)
     WHERE NOT EXISTS (SELECT 1 FROM ledger_account a
                        WHERE a.kind = p_kind AND a.shard = COALESCE(o.shard, 0)
                          AND a.owner_user_id IS NOT DISTINCT FROM o.user_id
                          AND a.owner_shop_id IS NOT DISTINCT FROM o.shop_id
                          AND a.provider = '')
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_made = ROW_COUNT;
    RETURN v_made;
END
$$;
