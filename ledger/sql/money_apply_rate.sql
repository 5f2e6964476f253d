-- ledger/money.py's apply_rate in SQL: p_amount × p_rate_bp / 10,000, rounded down to the won.
-- money.apply_rate(12345, 1000) == 1234  <=>  money_apply_rate(12345, 1000) == 1234.
CREATE OR REPLACE FUNCTION money_apply_rate(p_amount bigint, p_rate_bp bigint)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE
SET search_path FROM CURRENT AS $$
BEGIN
    IF p_amount < 0 OR p_rate_bp < 0 THEN
        RAISE EXCEPTION 'money_apply_rate takes a non-negative amount and rate';
    END IF;
    RETURN div(p_amount::numeric * p_rate_bp, 10000)::bigint;
END
$$;
