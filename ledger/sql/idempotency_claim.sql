-- Claim an idempotency key for a request (scope, key, fingerprint of the request). Returns the
-- new record's id and a null answer, or, for a key already used by the same request, a null id
-- and the stored answer to replay ({"status", "replayed": true, "body"}). A concurrent claim of
-- the same key waits on the unique index until the first transaction ends. The same key with
-- another request: JP002. The answer is stored by idempotency_answer() in the same
-- transaction as the request's postings, so either both exist or neither does.
CREATE OR REPLACE FUNCTION idempotency_claim(
    p_scope text, p_key text, p_fingerprint text, OUT record_id bigint, OUT replay jsonb
) LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_existing record;
BEGIN
    INSERT INTO ledger_idempotencyrecord (scope, key, fingerprint, status_code, response, created_at)
    VALUES (p_scope, p_key, p_fingerprint, 0, '{}'::jsonb, now())
    ON CONFLICT (scope, key) DO NOTHING RETURNING id INTO record_id;
    IF record_id IS NULL THEN
        SELECT fingerprint, status_code, response INTO v_existing
          FROM ledger_idempotencyrecord WHERE scope = p_scope AND key = p_key;
        IF v_existing.fingerprint IS DISTINCT FROM p_fingerprint THEN
            RAISE EXCEPTION 'idempotency key % reused with a different request', p_key
                USING ERRCODE = 'JP002';
        END IF;
        replay := jsonb_build_object('status', v_existing.status_code, 'replayed', true,
                                     'body', v_existing.response);
    END IF;
END
$$;
