-- The ledger's tables as other apps may read them (set-based reports: the nightly run, the
-- dashboard's rollups, caps): ledger_accounts, ledger_entries, ledger_postings. Code outside
-- ledger/ never names the tables themselves (tests/ledger/test_interface.py), so the ledger can
-- change what stands behind these. They are simple views: PostgreSQL plans through them as
-- through the tables. Writes go through ledger_post() only.
CREATE OR REPLACE VIEW ledger_accounts AS
    SELECT id, kind, owner_user_id, owner_shop_id, shard, provider, balance, may_go_negative,
           created_at
      FROM ledger_account;
CREATE OR REPLACE VIEW ledger_entries AS
    SELECT id, kind, business_date, created_at, actor_id, device_id, memo, reverses_id,
           idempotency_key
      FROM ledger_entry;
CREATE OR REPLACE VIEW ledger_postings AS
    SELECT id, entry_id, account_id, amount, business_date FROM ledger_posting;
