-- wallet_grant_source(user, shop, day): the grants app's version of the wallet's hook (see
-- vouchers/sql/wallet_grant_source.sql). The grant programme whose balance pays first when
-- the citizen pays at the shop on that day: a programme that paid the citizen, whose spending
-- deadline has not passed and whose rules allow the shop (categories, excluded categories,
-- districts, the largest sales bracket); the one whose deadline comes first when several do.
-- No row: nothing of a grant is spent at this shop (the wallet pays all of it, or refuses).
-- Reads only; wallet_pay() locks the grant account after it, with the wallet's accounts.
CREATE OR REPLACE FUNCTION wallet_grant_source(
    p_user bigint, p_shop bigint, p_day date,
    OUT programme integer, OUT cashback boolean
) RETURNS SETOF record LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
BEGIN
    RETURN QUERY
    SELECT p.id::integer, p.cashback_on_grant
      FROM grants_application a
      JOIN grants_programme p ON p.id = a.programme_id
      JOIN merchants_shop s ON s.id = p_shop
     WHERE a.applicant_id = p_user AND a.status = 'paid'
       AND p.spend_until >= p_day AND p.status <> 'ended'
       AND NOT (s.category = ANY (p.excluded_categories))
       AND (cardinality(p.categories) = 0 OR s.category = ANY (p.categories))
       AND (cardinality(p.districts) = 0 OR s.district = ANY (p.districts))
       AND (p.max_sales_bracket = ''
            OR array_position(ARRAY['under_300m', 'under_500m', 'under_1b', 'under_3b',
                                    'over_3b'], s.sales_bracket::text)
               <= array_position(ARRAY['under_300m', 'under_500m', 'under_1b', 'under_3b',
                                       'over_3b'], p.max_sales_bracket::text))
     ORDER BY p.spend_until, p.id
     LIMIT 1;
END
$$;
