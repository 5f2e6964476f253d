-- The accounts a wallet payment moves when a grant may pay part of it, locked FOR UPDATE in id
-- order in one statement: ledger_wallet_accounts_lock()'s four (principal, incentive, the
-- shop's payable, the citizen's budget shard) and, when p_grant is not NULL, the citizen's
-- grant account of that programme (kind wallet_grant, shard = the programme's id).
-- located < 4 (or < 5 with a grant) when one does not exist yet (the caller creates it and
-- calls again).
CREATE OR REPLACE FUNCTION ledger_wallet_grant_accounts_lock(
    p_user bigint, p_shop bigint, p_shard integer, p_grant integer,
    OUT located integer,
    OUT principal_id bigint, OUT principal bigint,
    OUT incentive_id bigint, OUT incentive bigint,
    OUT payable_id bigint,
    OUT shard_id bigint, OUT shard_balance bigint,
    OUT grant_id bigint, OUT grant_balance bigint
) LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT count(*),
           max(id) FILTER (WHERE kind = 'wallet_principal'),
           max(balance) FILTER (WHERE kind = 'wallet_principal'),
           max(id) FILTER (WHERE kind = 'wallet_incentive'),
           max(balance) FILTER (WHERE kind = 'wallet_incentive'),
           max(id) FILTER (WHERE kind = 'shop_payable'),
           max(id) FILTER (WHERE kind = 'incentive_budget'),
           max(balance) FILTER (WHERE kind = 'incentive_budget'),
           max(id) FILTER (WHERE kind = 'wallet_grant'),
           COALESCE(max(balance) FILTER (WHERE kind = 'wallet_grant'), 0)
      INTO located, principal_id, principal, incentive_id, incentive, payable_id, shard_id,
           shard_balance, grant_id, grant_balance
      FROM (SELECT id, kind, balance FROM ledger_account
             WHERE (owner_user_id = p_user AND owner_shop_id IS NULL
                    AND kind IN ('wallet_principal', 'wallet_incentive') AND shard = 0)
                OR (owner_user_id IS NULL AND owner_shop_id = p_shop
                    AND kind = 'shop_payable' AND shard = 0)
                OR (owner_user_id IS NULL AND owner_shop_id IS NULL
                    AND kind = 'incentive_budget' AND shard = p_shard)
                OR (p_grant IS NOT NULL AND owner_user_id = p_user AND owner_shop_id IS NULL
                    AND kind = 'wallet_grant' AND shard = p_grant)
             ORDER BY id FOR UPDATE) AS locked;
END
$$;
