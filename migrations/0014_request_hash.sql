-- Each write made under an idempotency key keeps the fingerprint of its request, so the same key with another target or content is refused instead of answered with the first record.

-- assessments.Fingerprint: the hex SHA-256 of the operation, its target
-- and the request's content. NULL for records kept before this migration
-- (a reuse of their keys is judged by target alone).
ALTER TABLE enrollments ADD COLUMN request_hash TEXT;
ALTER TABLE enrollment_moves ADD COLUMN request_hash TEXT;
ALTER TABLE observations ADD COLUMN request_hash TEXT;
ALTER TABLE test_results ADD COLUMN request_hash TEXT;
ALTER TABLE sign_offs ADD COLUMN request_hash TEXT;
ALTER TABLE revocations ADD COLUMN request_hash TEXT;
ALTER TABLE self_logs ADD COLUMN request_hash TEXT;
ALTER TABLE hours_entries ADD COLUMN request_hash TEXT;
