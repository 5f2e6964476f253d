-- A citizen's prepaid balance at a shop and the shop's issued-prepaid account, locked FOR
-- UPDATE in id order in one statement. located < 2 when one does not exist yet.
CREATE OR REPLACE FUNCTION ledger_prepaid_accounts_lock(
    p_user bigint, p_shop bigint,
    OUT located integer, OUT prepaid_id bigint, OUT prepaid bigint, OUT issued_id bigint
) LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT count(*),
           max(id) FILTER (WHERE kind = 'prepaid'),
           max(balance) FILTER (WHERE kind = 'prepaid'),
           max(id) FILTER (WHERE kind = 'prepaid_issued')
      INTO located, prepaid_id, prepaid, issued_id
      FROM (SELECT id, kind, balance FROM ledger_account
             WHERE (owner_user_id = p_user AND owner_shop_id = p_shop
                    AND kind = 'prepaid' AND shard = 0)
                OR (owner_user_id IS NULL AND owner_shop_id = p_shop
                    AND kind = 'prepaid_issued' AND shard = 0)
             ORDER BY id FOR UPDATE) AS locked;
END
$$;
