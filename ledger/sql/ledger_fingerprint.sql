-- What a retry of an entry must repeat exactly: its kind, the entry it reverses, and its legs
-- (account and amount, in account id order), hashed. The one recipe: ledger_post() computes
-- it, callers never do.
CREATE OR REPLACE FUNCTION ledger_fingerprint(
    p_kind text, p_reverses bigint, p_accounts bigint[], p_amounts bigint[]
) RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path FROM CURRENT AS $$
BEGIN
    RETURN encode(sha256(convert_to(
        p_kind || '|' || COALESCE(p_reverses::text, '') || '|' ||
        (SELECT string_agg(d.id::text || '=' || d.amount::text, ',' ORDER BY d.id)
           FROM unnest(p_accounts, p_amounts) AS d(id, amount)),
        'UTF8')), 'hex');
END
$$;
