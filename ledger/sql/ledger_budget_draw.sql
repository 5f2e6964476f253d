-- Draw up to p_want won from the incentive budget for a grant (cashback, a charging
-- incentive): first the citizen's own shard (p_primary, already locked by the caller, holding
-- p_primary_balance), then, if it runs short, other shards that have money and that nobody
-- holds right now (SKIP LOCKED: the caller already holds account locks, so waiting here could
-- deadlock), starting from a place that depends on the citizen. Returns the legs to post:
-- accounts and (negative) amounts. Near the end of a budget a grant may come out smaller than
-- what the other shards hold in all; never larger than what they hold. The one home of this
-- rule: wallet_pay() and vouchers.services.budget_draw both call it.
CREATE OR REPLACE FUNCTION ledger_budget_draw(
    p_user bigint, p_primary bigint, p_primary_balance bigint, p_want bigint,
    OUT accounts bigint[], OUT amounts bigint[]
) LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_take bigint;
    v_missing bigint;
    v_other record;
    v_balance bigint;
BEGIN
    accounts := '{}';
    amounts := '{}';
    IF p_want <= 0 THEN
        RETURN;
    END IF;
    v_take := LEAST(p_want, GREATEST(p_primary_balance, 0));
    IF v_take > 0 THEN
        accounts := accounts || p_primary;
        amounts := amounts || (-v_take);
    END IF;
    v_missing := p_want - GREATEST(v_take, 0);
    IF v_missing <= 0 THEN
        RETURN;
    END IF;
    FOR v_other IN
        SELECT id FROM ledger_account
         WHERE owner_user_id IS NULL AND owner_shop_id IS NULL
           AND kind = 'incentive_budget' AND id <> p_primary AND balance > 0
         ORDER BY (shard + p_user) % 1000
    LOOP
        SELECT balance INTO v_balance FROM ledger_account
         WHERE id = v_other.id FOR UPDATE SKIP LOCKED;
        IF FOUND AND v_balance > 0 THEN
            v_take := LEAST(v_missing, v_balance);
            accounts := accounts || v_other.id;
            amounts := amounts || (-v_take);
            v_missing := v_missing - v_take;
        END IF;
        EXIT WHEN v_missing <= 0;
    END LOOP;
END
$$;
