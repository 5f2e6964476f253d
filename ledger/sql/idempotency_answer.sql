-- Store the answer of the request that claimed record p_record (idempotency_claim), for every
-- retry to replay. Returns the answer as the money functions give it back.
CREATE OR REPLACE FUNCTION idempotency_answer(p_record bigint, p_status integer, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF p_record IS NOT NULL THEN
        UPDATE ledger_idempotencyrecord SET status_code = p_status, response = p_body
         WHERE id = p_record;
    END IF;
    RETURN jsonb_build_object('status', p_status, 'replayed', false, 'body', p_body);
END
$$;
