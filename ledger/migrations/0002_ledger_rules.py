"""What PostgreSQL itself enforces on the ledger, in every city schema.

1. Append-only: UPDATE, DELETE and TRUNCATE of entries and postings are refused by triggers.
2. Balanced: a deferred constraint trigger checks at COMMIT that the postings of every entry
   touched by the transaction sum to zero and that there are at least two. Raw SQL cannot leave
   an unbalanced entry behind either.
3. Materialised balances: a statement trigger on posting inserts adds them to their accounts'
   ``balance`` in the same statement, so the stored balance is the sum of the postings whatever
   wrote them; the CHECK ``ledger_account_no_overdraft`` (migration 0001) refuses a balance below
   zero on accounts that may not go negative.
4. ``ledger_post(...)``: the one database call that posts an entry: claims the idempotency key,
   locks the accounts in id order, refuses an overdraft with a clear error, writes the postings.

Every function pins the search_path it was created with (its city's schema), so a deferred
check that fires at COMMIT reads its own city's tables whatever the session's path is by then.

Error codes raised here (SQLSTATE class JP): JP001 insufficient balance (DETAIL: account id),
JP002 idempotency key reused with different parameters, JP003 unknown account, JP004 unbalanced
entry, JP005 append-only violation.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_statements

FORWARD = r"""
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'JP005', HINT = 'correct a mistake with a reversing entry';
END
$$;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    v_entry bigint;
    v_sum numeric;
    v_count integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entry' THEN
        v_entry := NEW.id;
    ELSE
        v_entry := NEW.entry_id;
    END IF;
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO v_sum, v_count
      FROM ledger_posting WHERE entry_id = v_entry;
    IF v_sum <> 0 OR v_count < 2 THEN
        RAISE EXCEPTION 'ledger entry % is unbalanced: % postings summing to %',
            v_entry, v_count, v_sum USING ERRCODE = 'JP004';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

CREATE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE ledger_account a
       SET balance = a.balance + s.total
      FROM (SELECT account_id, SUM(amount) AS total FROM new_postings GROUP BY account_id) s
     WHERE a.id = s.account_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_posting_apply AFTER INSERT ON ledger_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_postings();

CREATE FUNCTION ledger_post(
    p_kind text, p_key text, p_fingerprint text, p_business_date date,
    p_actor bigint, p_device bigint, p_memo text, p_reverses bigint,
    p_accounts bigint[], p_amounts bigint[]
) RETURNS bigint LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
-- Returns the new entry's id, or minus the id of the entry already posted with this key and
-- the same fingerprint (a replay: nothing moves).
DECLARE
    v_entry bigint;
    v_fingerprint text;
    v_found integer;
    v_short bigint;
BEGIN
    -- Claim the key first. A concurrent claim of the same key waits here until the first
    -- transaction ends, then either sees its entry (replay) or takes over (if it rolled back).
    INSERT INTO ledger_entry (kind, business_date, actor_id, device_id, memo, reverses_id,
                              idempotency_key, fingerprint, created_at)
    VALUES (p_kind, p_business_date, p_actor, p_device, p_memo, p_reverses,
            p_key, p_fingerprint, now())
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_entry;

    IF v_entry IS NULL THEN
        SELECT id, fingerprint INTO v_entry, v_fingerprint
          FROM ledger_entry WHERE idempotency_key = p_key;
        IF v_fingerprint IS DISTINCT FROM p_fingerprint THEN
            RAISE EXCEPTION 'idempotency key % was used for a different entry', p_key
                USING ERRCODE = 'JP002';
        END IF;
        RETURN -v_entry;
    END IF;

    -- Lock the accounts in one fixed order (by id) and look for one the entry would overdraw.
    SELECT COUNT(*), MIN(t.id) FILTER (WHERE NOT t.ok) INTO v_found, v_short
      FROM (SELECT a.id, (a.may_go_negative OR a.balance + d.amount >= 0) AS ok
              FROM ledger_account a
              JOIN unnest(p_accounts, p_amounts) AS d(id, amount) ON d.id = a.id
             ORDER BY a.id
               FOR UPDATE OF a) t;
    IF v_found <> cardinality(p_accounts) THEN
        RAISE EXCEPTION 'unknown ledger account in %', p_accounts USING ERRCODE = 'JP003';
    END IF;
    IF v_short IS NOT NULL THEN
        RAISE EXCEPTION 'insufficient balance' USING ERRCODE = 'JP001', DETAIL = v_short::text;
    END IF;

    INSERT INTO ledger_posting (entry_id, account_id, amount, business_date)
    SELECT v_entry, d.id, d.amount, p_business_date
      FROM unnest(p_accounts, p_amounts) AS d(id, amount)
     ORDER BY d.id;
    RETURN v_entry;
END
$$;
"""

BACKWARD = r"""
DROP FUNCTION IF EXISTS ledger_post(text, text, text, date, bigint, bigint, text, bigint,
                                    bigint[], bigint[]);
DROP TRIGGER IF EXISTS ledger_posting_apply ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_apply_postings();
DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_check_balanced();
DROP TRIGGER IF EXISTS ledger_posting_no_truncate ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunSQL(sql_statements(FORWARD), sql_statements(BACKWARD))]
