-- wallet_pay(...): a wallet payment and its cashback in one database call, one ledger entry.
--
-- At the counter a payment must be as cheap as possible, so its locked part runs here in one
-- round trip, called only by vouchers.services.wallet_pay (and by prepaid_redeem() for a
-- bill's wallet part). Python decides what comes from the policy (the cashback rate and the
-- month's cap); everything that must hold under the locks is here, each rule in its one home:
--
--  1. the idempotency key is claimed (idempotency_claim: or its answer replayed, or JP002);
--  2. the shop must be approved and the customer's code, if any, is spent once
--     (payment_code_spend: JP101, JP102, JP103);
--  3. the citizen's usage row for the month is locked; when the citizen holds a grant account,
--     wallet_grant_source() names the grant programme whose balance may pay at this shop today
--     (a hook: vouchers' own version names none, the grants app replaces it; see
--     vouchers/sql/wallet_grant_source.sql; most citizens hold no grant, and their payment
--     skips the programme rules: one index probe instead); then the
--     accounts in id order, the grant account with them (ledger_wallet_grant_accounts_lock):
--     the lock order of every money path;
--  4. the grant pays first, as much of the amount as it holds; the rest is split between
--     principal and incentive in proportion to their balances, the incentive part rounded
--     down, principal takes the rest (money_split_second: the rule of ledger/money.py);
--  5. cashback is the rate of the amount not paid by the grant (of the whole amount when the
--     programme allows cashback on grant money) (money_apply_rate), within the month's cap,
--     drawn from the budget (ledger_budget_draw: the citizen's shard, then others nobody holds);
--  6. one entry through ledger_post(): the shop's payable +amount, the grant -its part,
--     principal -its part, the incentive account the cashback less its part (one posting per
--     account; none when they are equal), the budget shard(s) -cashback;
--  7. the payment row and the stored answer (idempotency_answer).
--
-- p_claim = false when the caller holds the idempotency key in its own transaction (a pledge,
-- a redemption's wallet part). Errors: JP001 insufficient balance (DETAIL the principal
-- account, HINT what the wallet holds for this shop: principal, incentive and the usable
-- grant), JP002, JP101-JP103, JP198 an account is missing,
-- JP199 the usage row is missing (the caller creates what is missing and calls again).
--
-- Planned once per connection (plan_cache_mode = force_generic_plan, for every statement it
-- runs, nested functions and triggers included): PostgreSQL's own choice kept making a custom
-- plan for each call, because a generic plan must keep branches a custom plan drops (the
-- grant account's in the accounts' lock, for a citizen with no grant) and so looked costlier.
-- Measured on the counter bench city, backend CPU of one call: 2.29-2.39 ms with custom
-- plans, 1.94-2.02 ms generic (the account lock alone: 150 µs a call, 63 µs generic). Every statement here finds its rows by a
-- key, and a plan made once must stay right as the tables grow from empty, so no sequential
-- scan (enable_seqscan = off: a plan made on an empty table kept reading the whole table,
-- as sales_ticket_issue() did).
CREATE OR REPLACE FUNCTION wallet_pay(
    p_user bigint, p_shop bigint, p_amount bigint, p_method text,
    p_device bigint, p_actor bigint, p_code bigint,
    p_scope text, p_key text, p_fingerprint text, p_claim boolean,
    p_business_date date, p_month date,
    p_rate_bp integer, p_cashback_cap bigint, p_shard integer, p_memo text
) RETURNS jsonb LANGUAGE plpgsql
SET search_path FROM CURRENT
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
DECLARE
    v_claim record;
    v_usage record;
    v_programme integer;
    v_grant_cashback boolean := false;
    v_from_grant bigint;
    v_rest bigint;
    v_acc record;
    v_draw record;
    v_from_principal bigint;
    v_from_incentive bigint;
    v_want bigint;
    v_cashback bigint := 0;
    v_accounts bigint[];
    v_amounts bigint[];
    v_entry bigint;
    v_payment bigint;
    v_body jsonb;
BEGIN
    IF p_claim THEN
        SELECT * INTO v_claim FROM idempotency_claim(p_scope, p_key, p_fingerprint);
        IF v_claim.replay IS NOT NULL THEN
            RETURN v_claim.replay;
        END IF;
    END IF;

    PERFORM payment_code_spend(p_shop, p_code, p_device);

    SELECT id, cashback INTO v_usage FROM vouchers_monthlyusage
     WHERE user_id = p_user AND month = p_month FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'usage row missing' USING ERRCODE = 'JP199';
    END IF;

    IF EXISTS (SELECT 1 FROM ledger_accounts
                WHERE owner_user_id = p_user AND owner_shop_id IS NULL
                  AND kind = 'wallet_grant') THEN
        SELECT s.programme, s.cashback INTO v_programme, v_grant_cashback
          FROM wallet_grant_source(p_user, p_shop, p_business_date) AS s;
    END IF;
    SELECT * INTO v_acc
      FROM ledger_wallet_grant_accounts_lock(p_user, p_shop, p_shard, v_programme);
    IF v_acc.located <> 4 + (v_programme IS NOT NULL)::integer THEN
        RAISE EXCEPTION 'accounts missing' USING ERRCODE = 'JP198';
    END IF;
    v_from_grant := LEAST(p_amount, v_acc.grant_balance);
    v_rest := p_amount - v_from_grant;
    IF v_acc.principal + v_acc.incentive < v_rest THEN
        RAISE EXCEPTION 'insufficient balance' USING ERRCODE = 'JP001',
            DETAIL = v_acc.principal_id::text,
            HINT = (v_acc.principal + v_acc.incentive + v_acc.grant_balance)::text;
    END IF;

    v_from_incentive := money_split_second(v_rest, v_acc.principal, v_acc.incentive);
    v_from_principal := v_rest - v_from_incentive;

    v_want := LEAST(money_apply_rate(CASE WHEN v_grant_cashback THEN p_amount ELSE v_rest END,
                                     p_rate_bp),
                    GREATEST(0, p_cashback_cap - v_usage.cashback));
    SELECT * INTO v_draw
      FROM ledger_budget_draw(p_user, v_acc.shard_id, v_acc.shard_balance, v_want);
    SELECT COALESCE(-SUM(a), 0) INTO v_cashback FROM unnest(v_draw.amounts) AS a;

    v_accounts := ARRAY[v_acc.payable_id];
    v_amounts := ARRAY[p_amount];
    IF v_from_grant > 0 THEN
        v_accounts := v_accounts || v_acc.grant_id;
        v_amounts := v_amounts || (-v_from_grant);
    END IF;
    IF v_from_principal > 0 THEN
        v_accounts := v_accounts || v_acc.principal_id;
        v_amounts := v_amounts || (-v_from_principal);
    END IF;
    IF v_cashback - v_from_incentive <> 0 THEN
        v_accounts := v_accounts || v_acc.incentive_id;
        v_amounts := v_amounts || (v_cashback - v_from_incentive);
    END IF;
    IF v_cashback > 0 THEN
        v_accounts := v_accounts || v_draw.accounts;
        v_amounts := v_amounts || v_draw.amounts;
        UPDATE vouchers_monthlyusage SET cashback = cashback + v_cashback WHERE id = v_usage.id;
    END IF;
    v_entry := ledger_post('payment', p_scope || ':' || p_key, p_business_date, p_actor,
                           p_device, p_memo, NULL, v_accounts, v_amounts);

    INSERT INTO vouchers_payment (user_id, shop_id, amount, from_principal, from_incentive,
        from_grant, cashback, method, status, device_id, actor_id, business_date, created_at, entry_id,
        cashback_entry_id)
    VALUES (p_user, p_shop, p_amount, v_from_principal, v_from_incentive, v_from_grant,
        v_cashback, p_method,
        'completed', p_device, p_actor, p_business_date, now(), v_entry, NULL)
    RETURNING id INTO v_payment;

    v_body := jsonb_build_object(
        'payment_id', v_payment,
        'amount', p_amount,
        'cashback', v_cashback,
        'from_principal', v_from_principal,
        'from_incentive', v_from_incentive,
        'from_grant', v_from_grant,
        'shop', jsonb_build_object('id', p_shop),
        'method', p_method,
        'business_date', to_char(p_business_date, 'YYYY-MM-DD'),
        'wallet_balance', jsonb_build_object(
            'principal', v_acc.principal - v_from_principal,
            'incentive', v_acc.incentive - v_from_incentive + v_cashback,
            'grant', v_acc.grant_balance - v_from_grant));
    IF p_claim THEN
        RETURN idempotency_answer(v_claim.record_id, 201, v_body);
    END IF;
    RETURN jsonb_build_object('status', 201, 'replayed', false, 'body', v_body);
END
$$;
