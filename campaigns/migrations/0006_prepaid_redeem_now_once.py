"""``prepaid_redeem()`` reads ``now()`` once, outside the CASE that closes a used-up pledge.

Citus evaluates ``now()`` on the coordinator before it sends a statement to the worker that
holds the city, and refuses it where it cannot (inside CASE or COALESCE: "non-IMMUTABLE
functions are not allowed in CASE or COALESCE statements"), so no redemption could be made.
The function is that of campaigns migration 0002 with one change: ``closed_at`` takes
``v_now``, read at the start of the call (the same value: ``now()`` is the transaction's start
either way).
"""

import importlib

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION prepaid_redeem(
    p_user bigint, p_shop bigint, p_amount bigint, p_wallet_amount bigint,
    p_device bigint, p_actor bigint, p_code bigint,
    p_scope text, p_key text, p_fingerprint text,
    p_business_date date, p_month date,
    p_rate_bp integer, p_cashback_cap bigint, p_shard integer, p_memo text
) RETURNS jsonb LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_record bigint;
    v_existing record;
    v_status text;
    v_spent integer;
    v_pledge record;
    v_left bigint := p_amount;
    v_take bigint;
    v_available bigint := 0;
    v_pledge_ids bigint[] := '{}';
    v_takes bigint[] := '{}';
    v_prepaid_id bigint; v_prepaid bigint;
    v_issued_id bigint;
    v_found integer;
    v_entry bigint;
    v_wallet jsonb;
    v_payment bigint;
    v_redemption bigint;
    v_body jsonb;
    v_now timestamptz := now();
BEGIN
    INSERT INTO ledger_idempotencyrecord (scope, key, fingerprint, status_code, response, created_at)
    VALUES (p_scope, p_key, p_fingerprint, 0, '{}'::jsonb, now())
    ON CONFLICT (scope, key) DO NOTHING RETURNING id INTO v_record;
    IF v_record IS NULL THEN
        SELECT fingerprint, status_code, response INTO v_existing
          FROM ledger_idempotencyrecord WHERE scope = p_scope AND key = p_key;
        IF v_existing.fingerprint IS DISTINCT FROM p_fingerprint THEN
            RAISE EXCEPTION 'idempotency key % reused with a different request', p_key
                USING ERRCODE = 'JP002';
        END IF;
        RETURN jsonb_build_object('status', v_existing.status_code, 'replayed', true,
                                  'body', v_existing.response);
    END IF;

    SELECT status INTO v_status FROM merchants_shop WHERE id = p_shop;
    IF v_status IS DISTINCT FROM 'approved' THEN
        RAISE EXCEPTION 'shop % is not approved', p_shop USING ERRCODE = 'JP101';
    END IF;

    IF p_code IS NOT NULL THEN
        UPDATE merchants_paymentcode
           SET used_at = now(), used_at_shop_id = p_shop, used_by_device_id = p_device
         WHERE id = p_code AND used_at IS NULL AND expires_at > now();
        GET DIAGNOSTICS v_spent = ROW_COUNT;
        IF v_spent = 0 THEN
            IF EXISTS (SELECT 1 FROM merchants_paymentcode WHERE id = p_code AND used_at IS NOT NULL) THEN
                RAISE EXCEPTION 'code used' USING ERRCODE = 'JP102';
            END IF;
            RAISE EXCEPTION 'code expired' USING ERRCODE = 'JP103';
        END IF;
    END IF;

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

    SELECT count(*),
           max(id) FILTER (WHERE kind = 'prepaid'),
           max(balance) FILTER (WHERE kind = 'prepaid'),
           max(id) FILTER (WHERE kind = 'prepaid_issued')
      INTO v_found, v_prepaid_id, v_prepaid, v_issued_id
      FROM (SELECT id, kind, balance FROM ledger_account
             WHERE (owner_user_id = p_user AND owner_shop_id = p_shop AND kind = 'prepaid' AND shard = 0)
                OR (owner_user_id IS NULL AND owner_shop_id = p_shop AND kind = 'prepaid_issued' AND shard = 0)
             ORDER BY id FOR UPDATE) AS locked;
    IF v_found <> 2 THEN
        RAISE EXCEPTION 'prepaid accounts missing' USING ERRCODE = 'JP198';
    END IF;

    v_entry := ledger_post('redemption', p_scope || ':' || p_key,
        encode(sha256(convert_to('redemption:' || v_prepaid_id || ':' || v_issued_id || ':'
                                 || p_amount, 'UTF8')), 'hex'),
        p_business_date, p_actor, p_device, 'redeemed at ' || p_memo, NULL,
        ARRAY[v_prepaid_id, v_issued_id], ARRAY[-p_amount, p_amount]);

    IF p_wallet_amount IS NOT NULL AND p_wallet_amount > 0 THEN
        v_wallet := wallet_pay(p_user, p_shop, p_wallet_amount, 'customer_code', p_device,
            p_actor, NULL, p_scope, p_key || ':wallet', p_fingerprint, false, p_business_date,
            p_month, p_rate_bp, p_cashback_cap, p_shard, p_memo);
        v_payment := (v_wallet -> 'body' ->> 'payment_id')::bigint;
    END IF;

    INSERT INTO campaigns_redemption (user_id, shop_id, amount, device_id, actor_id,
        business_date, created_at, entry_id, payment_id)
    VALUES (p_user, p_shop, p_amount, p_device, p_actor, p_business_date, now(), v_entry, v_payment)
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
        'prepaid_balance', v_prepaid - p_amount,
        'shop', jsonb_build_object('id', p_shop),
        'business_date', to_char(p_business_date, 'YYYY-MM-DD'));
    IF v_wallet IS NOT NULL THEN
        v_body := v_body || jsonb_build_object('wallet_payment', v_wallet -> 'body');
    END IF;
    UPDATE ledger_idempotencyrecord SET status_code = 201, response = v_body WHERE id = v_record;
    RETURN jsonb_build_object('status', 201, 'replayed', false, 'body', v_body);
END
$$;
"""

# Back to the function of migration 0002.
BACKWARD = importlib.import_module("campaigns.migrations.0002_prepaid_redeem_function").FORWARD.replace(
    "CREATE FUNCTION prepaid_redeem(", "CREATE OR REPLACE FUNCTION prepaid_redeem("
)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_prepaid_expire_function")]

    operations = [migrations.RunSQL([FORWARD], [BACKWARD])]
