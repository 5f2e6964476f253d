-- usage_charge_headroom(limit, carried_in, charged): what a citizen may still charge in a month,
-- never below 0; the carry-over into the next month is this figure of the month before.
-- The SQL twin of vouchers.rules.charge_headroom, for the nightly statements over every
-- citizen (vouchers.caps); tests/ledger/test_money_sql.py holds the two equal.
CREATE OR REPLACE FUNCTION usage_charge_headroom(p_limit bigint, p_carried_in bigint,
                                                 p_charged bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT GREATEST(0, p_limit + p_carried_in - p_charged)
$$;
