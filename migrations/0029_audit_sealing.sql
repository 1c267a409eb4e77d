-- Audit trail scales with concurrent writers: an entry may be written unchained (chain_seq NULL) and chained after commit by the sealer; chain_seq is its place in the chain.

-- chain_seq is the entry's place in the one hash chain (gapless, 1, 2,
-- ...); NULL while the entry waits for the sealer (app/audit). seq stays
-- the entry's id: on PostgreSQL it comes from a sequence, so concurrent
-- writers need no lock to number their entries.
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT;

-- only postgres
CREATE SEQUENCE audit_log_seq;
SELECT setval('audit_log_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log), false);
-- The one change the table allows: chaining an entry that waits for it
-- (setting chain_seq, and prev_hash and hash if they were empty), every
-- other column as it was.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
           AND (NEW.seq, NEW.at, NEW.actor, NEW.via, NEW.action, NEW.entity_type, NEW.entity_id,
                NEW.before_json, NEW.after_json, NEW.ip, NEW.request_id)
               IS NOT DISTINCT FROM
               (OLD.seq, OLD.at, OLD.actor, OLD.via, OLD.action, OLD.entity_type, OLD.entity_id,
                OLD.before_json, OLD.after_json, OLD.ip, OLD.request_id)
           AND (OLD.hash = '' OR (NEW.hash = OLD.hash AND NEW.prev_hash = OLD.prev_hash)) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
UPDATE audit_log SET chain_seq = seq;

-- only sqlite
DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET chain_seq = seq;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
    AND NEW.seq = OLD.seq AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.via IS OLD.via
    AND NEW.action IS OLD.action AND NEW.entity_type IS OLD.entity_type AND NEW.entity_id IS OLD.entity_id
    AND NEW.before_json IS OLD.before_json AND NEW.after_json IS OLD.after_json AND NEW.ip IS OLD.ip
    AND NEW.request_id IS OLD.request_id
    AND (OLD.hash = '' OR (NEW.hash = OLD.hash AND NEW.prev_hash = OLD.prev_hash)))
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

-- both
-- The primary key of the chain: two entries in one place would be a fork.
CREATE UNIQUE INDEX audit_log_chain_seq_idx ON audit_log (chain_seq);
-- What the sealer looks for.
CREATE INDEX audit_log_unchained_idx ON audit_log (seq) WHERE chain_seq IS NULL;
