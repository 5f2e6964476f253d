-- Stored balances equal postings: a statement trigger adds each statement's new postings to
-- their accounts' balance, whatever wrote them, in account id order; the CHECK
-- ledger_account_no_overdraft refuses a protected balance below zero. The transition table is
-- read on its own (joined to a city table it cannot be deparsed on a Citus worker).
CREATE OR REPLACE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_accounts bigint[];
    v_totals bigint[];
BEGIN
    SELECT array_agg(account_id ORDER BY account_id), array_agg(total ORDER BY account_id)
      INTO v_accounts, v_totals
      FROM (SELECT account_id, SUM(amount)::bigint AS total
              FROM new_postings GROUP BY account_id) s;
    UPDATE ledger_account a
       SET balance = a.balance + d.total
      FROM unnest(v_accounts, v_totals) AS d(id, total)
     WHERE a.id = d.id;
    RETURN NULL;
END
$$;
