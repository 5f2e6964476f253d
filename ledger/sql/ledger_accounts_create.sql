-- Create, in one statement, the accounts of p_kind for owners that lack one: p_users, p_shops
-- and p_shards are arrays of the same length (an element may be NULL: no such owner; a NULL
-- shard is 0). may_go_negative follows the kind (the counterpart kinds of ledger/models.py).
-- Returns how many were created (on Citus the count can be wrong, Citus issue 3377; nothing
-- relies on it). The settlement creates a chunk's payouts accounts this way; synthetic history
-- (bench_seed) its wallets, shops and shards.
-- Existing accounts are left by ON CONFLICT on the one-per-owner unique index (NULLS NOT
-- DISTINCT), not by a NOT EXISTS: Citus refuses a correlated subquery beside unnest().
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
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_made = ROW_COUNT;
    RETURN v_made;
END
$$;
