-- accounts_consentrecord_append_only() before every UPDATE or DELETE of a consent record.
DROP TRIGGER IF EXISTS accounts_consentrecord_append_only ON accounts_consentrecord;
CREATE TRIGGER accounts_consentrecord_append_only
BEFORE UPDATE OR DELETE ON accounts_consentrecord
FOR EACH ROW EXECUTE FUNCTION accounts_consentrecord_append_only();
