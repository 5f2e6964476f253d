-- The active device of a token hash and its shop, for every counter request (merchants.authentication).
-- A PL/pgSQL function keeps its plan per connection: sent as plain SQL the look-up spent
-- longer being planned than being run.
CREATE OR REPLACE FUNCTION counter_device(p_token_hash text)
RETURNS TABLE (device_id bigint, shop_id bigint, device_name text,
               last_used_at timestamptz, shop_name text, shop_status text,
               sales_bracket text, public_code text)
LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
BEGIN
    RETURN QUERY
    SELECT d.id, d.shop_id, d.name::text, d.last_used_at, s.name::text, s.status::text,
           s.sales_bracket::text, s.public_code::text
      FROM merchants_device d JOIN merchants_shop s ON s.id = d.shop_id
     WHERE d.token_hash = p_token_hash AND d.revoked_at IS NULL;
END
$$;
