-- The one rounding rule of ledger/money.py in SQL, for the money functions that must split
-- under their locks: split p_amount in proportion to (p_first, p_second), every part but the
-- first rounded down, the first takes the rest. Returns the second part (the first is
-- p_amount minus it); with both weights 0 everything goes to the first part.
-- money.split(1001, [2, 1]) == [668, 333]  <=>  money_split_second(1001, 2, 1) == 333.
-- tests/ledger/test_money_sql.py runs one table of cases through both and through the API.
CREATE OR REPLACE FUNCTION money_split_second(p_amount bigint, p_first bigint, p_second bigint)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE
SET search_path FROM CURRENT AS $$
BEGIN
    IF p_amount < 0 OR p_first < 0 OR p_second < 0 THEN
        RAISE EXCEPTION 'money_split_second takes non-negative amounts and weights';
    END IF;
    IF p_first + p_second = 0 THEN
        RETURN 0;
    END IF;
    RETURN div(p_amount::numeric * p_second, p_first + p_second)::bigint;
END
$$;
