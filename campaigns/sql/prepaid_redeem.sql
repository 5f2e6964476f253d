-- prepaid_redeem(...): a counter redemption in one database call, optionally with the rest
-- of the bill from the wallet. Called only by campaigns.services.prepaid_redeem (through the
-- counter's bill_pay and counter_redeem):
--
--  1. the idempotency key is claimed (idempotency_claim);
--  2. the shop must be approved and the code, if any, is spent (payment_code_spend);
--  3. the citizen's active pledges at the shop are locked and the amount is taken from them,
--     earliest expiry first (a pledge past its validity is not spendable);
--  4. the prepaid accounts are locked (ledger_prepaid_accounts_lock, after the pledge rows: the
--     lock order of campaigns.services) and the redemption entry goes through ledger_post();
--  5. with p_wallet_amount, the rest is a wallet_pay() in the same transaction;
--  6. the redemption, its parts, the pledges and the stored answer (idempotency_answer).
--
-- Errors: JP201 the prepaid balance is too small (HINT what is available), JP198 a prepaid
-- account is missing, and those of wallet_pay(). now() is read once (Citus refuses it inside
-- CASE).
-- Planned once per connection, never with a sequential scan, as wallet_pay() (which says why).
CREATE OR REPLACE FUNCTION prepaid_redeem(
    p_user bigint, p_shop bigint, p_amount bigint, p_wallet_amount bigint,
    p_device bigint, p_actor bigint, p_code bigint,
    p_scope text, p_key text, p_fingerprint text,
    p_business_date date, p_month date,
    p_rate_bp integer, p_cashback_cap bigint, p_shard integer, p_memo text
) RETURNS jsonb LANGUAGE plpgsql
SET search_path FROM CURRENT
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
DECLARE
    v_claim record;
    v_acc record;
    v_pledge record;
    v_left bigint := p_amount;
    v_take bigint;
    v_available bigint := 0;
    v_pledge_ids bigint[] := '{}';
    v_takes bigint[] := '{}';
    v_entry bigint;
    v_wallet jsonb;
    v_payment bigint;
    v_redemption bigint;
    v_body jsonb;
    v_now timestamptz := now();
BEGIN
    SELECT * INTO v_claim FROM idempotency_claim(p_scope, p_key, p_fingerprint);
    IF v_claim.replay IS NOT NULL THEN
        RETURN v_claim.replay;
    END IF;

    PERFORM payment_code_spend(p_shop, p_code, p_device);

    FOR v_pledge IN
        SELECT id, remaining FROM campaigns_pledge
         WHERE user_id = p_user AND shop_id = p_shop AND status = 'active'
           AND remaining > 0 AND valid_until >= p_business_date
         ORDER BY valid_until, id
           FOR UPDATE
    LOOP
        v_available := v_available + v_pledge.remaining;
        IF v_left > 0 THEN
            v_take := LEAST(v_left, v_pledge.remaining);
            v_pledge_ids := v_pledge_ids || v_pledge.id;
            v_takes := v_takes || v_take;
            v_left := v_left - v_take;
        END IF;
    END LOOP;
    IF v_left > 0 THEN
        RAISE EXCEPTION 'insufficient prepaid balance' USING ERRCODE = 'JP201',
            HINT = v_available::text;
    END IF;

    SELECT * INTO v_acc FROM ledger_prepaid_accounts_lock(p_user, p_shop);
    IF v_acc.located <> 2 THEN
        RAISE EXCEPTION 'prepaid accounts missing' USING ERRCODE = 'JP198';
    END IF;

    v_entry := ledger_post('redemption', p_scope || ':' || p_key,
        p_business_date, p_actor, p_device, 'redeemed at ' || p_memo, NULL,
        ARRAY[v_acc.prepaid_id, v_acc.issued_id], ARRAY[-p_amount, p_amount]);

    IF p_wallet_amount IS NOT NULL AND p_wallet_amount > 0 THEN
        v_wallet := wallet_pay(p_user, p_shop, p_wallet_amount, 'customer_code', p_device,
            p_actor, NULL, p_scope, p_key || ':wallet', p_fingerprint, false, p_business_date,
            p_month, p_rate_bp, p_cashback_cap, p_shard, p_memo);
        v_payment := (v_wallet -> 'body' ->> 'payment_id')::bigint;
    END IF;

    INSERT INTO campaigns_redemption (user_id, shop_id, amount, device_id, actor_id,
        business_date, created_at, entry_id, payment_id)
    VALUES (p_user, p_shop, p_amount, p_device, p_actor, p_business_date, v_now, v_entry, v_payment)
    RETURNING id INTO v_redemption;

    INSERT INTO campaigns_redemptionpart (redemption_id, pledge_id, amount)
    SELECT v_redemption, t.pledge_id, t.amount FROM unnest(v_pledge_ids, v_takes) AS t(pledge_id, amount);

    UPDATE campaigns_pledge p
       SET remaining = p.remaining - t.amount,
           status = CASE WHEN p.remaining = t.amount THEN 'used' ELSE p.status END,
           -- now() read once into v_now: Citus refuses now() inside CASE (it evaluates it
           -- before sending the statement to the worker, and cannot inside a condition).
           closed_at = CASE WHEN p.remaining = t.amount THEN v_now ELSE p.closed_at END
      FROM unnest(v_pledge_ids, v_takes) AS t(pledge_id, amount)
     WHERE p.id = t.pledge_id;

    v_body := jsonb_build_object(
        'redemption_id', v_redemption,
        'amount', p_amount,
        'prepaid_balance', v_acc.prepaid - p_amount,
        'shop', jsonb_build_object('id', p_shop),
        'business_date', to_char(p_business_date, 'YYYY-MM-DD'));
    IF v_wallet IS NOT NULL THEN
        v_body := v_body || jsonb_build_object('wallet_payment', v_wallet -> 'body');
    END IF;
    RETURN idempotency_answer(v_claim.record_id, 201, v_body);
END
$$;
