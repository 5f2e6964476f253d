-- Consent records are evidence (Personal Information Protection Act): the database refuses to
-- change or remove one (JPC01). A withdrawal is a new row.
CREATE OR REPLACE FUNCTION accounts_consentrecord_append_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only (% refused)', TG_OP
        USING ERRCODE = 'JPC01';
END;
$$;
