-- The shop may take a payment, and the customer's code (if the payment came with one) is spent,
-- once: the one home of these checks for every money function (wallet_pay(),
-- prepaid_redeem()). Errors: JP101 the shop is not approved, JP102 the code was used, JP103
-- it expired. now() is read once.
CREATE OR REPLACE FUNCTION payment_code_spend(p_shop bigint, p_code bigint, p_device bigint)
RETURNS void LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_status text;
    v_spent integer;
    v_now timestamptz := now();
BEGIN
    SELECT status INTO v_status FROM merchants_shop WHERE id = p_shop;
    IF v_status IS DISTINCT FROM 'approved' THEN
        RAISE EXCEPTION 'shop % is not approved', p_shop USING ERRCODE = 'JP101';
    END IF;
    IF p_code IS NULL THEN
        RETURN;
    END IF;
    UPDATE merchants_paymentcode
       SET used_at = v_now, used_at_shop_id = p_shop, used_by_device_id = p_device
     WHERE id = p_code AND used_at IS NULL AND expires_at > v_now;
    GET DIAGNOSTICS v_spent = ROW_COUNT;
    IF v_spent = 0 THEN
        IF EXISTS (SELECT 1 FROM merchants_paymentcode WHERE id = p_code AND used_at IS NOT NULL) THEN
            RAISE EXCEPTION 'code used' USING ERRCODE = 'JP102';
        END IF;
        RAISE EXCEPTION 'code expired' USING ERRCODE = 'JP103';
    END IF;
END
$$;
