-- wallet_grant_source(user, shop, day): the grant programme whose balance pays first when the
-- citizen pays at the shop on that day (its id is the shard of the citizen's wallet_grant
-- account), and whether cashback is given on grant money; no row when none may be used.
--
-- A hook that wallet_pay() calls: the wallet knows that a grant balance exists, not which
-- programme allows which shop. This version names none. The grants app, above the wallet in
-- the layers, replaces it with its rules (grants/sql/wallet_grant_source.sql, loaded by a
-- grants migration that runs after the one loading this file). Do not load this file again
-- in a later vouchers migration: that would take the grants' rules away.
CREATE OR REPLACE FUNCTION wallet_grant_source(
    p_user bigint, p_shop bigint, p_day date,
    OUT programme integer, OUT cashback boolean
) RETURNS SETOF record LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
BEGIN
    RETURN;
END
$$;
