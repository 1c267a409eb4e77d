-- More historical evidence transcribed from paper (issue 17): self-logs, test results and hours say who transcribed them and where the paper is; a scanned page may be attached to any transcription; a paper sign-off can be revoked.

-- A self-log, test result or hours entry transcribed from paper:
-- transcribed_by is the director or HR person who typed it in (NULL for
-- records entered in Skillgate), source_note where the paper is. Who
-- attested it on paper is the self-log's reviewer_name and
-- reviewer_credential, the hours entry's reviewer_name, and the test
-- result's attested_by.
ALTER TABLE self_logs ADD COLUMN transcribed_by TEXT REFERENCES users (id);
ALTER TABLE self_logs ADD COLUMN source_note TEXT NOT NULL DEFAULT '';
ALTER TABLE test_results ADD COLUMN transcribed_by TEXT REFERENCES users (id);
ALTER TABLE test_results ADD COLUMN attested_by TEXT NOT NULL DEFAULT '';
ALTER TABLE test_results ADD COLUMN source_note TEXT NOT NULL DEFAULT '';
ALTER TABLE hours_entries ADD COLUMN transcribed_by TEXT REFERENCES users (id);
ALTER TABLE hours_entries ADD COLUMN source_note TEXT NOT NULL DEFAULT '';

-- The scanned paper page of one transcribed record (observation, self-log,
-- test result, hours entry or paper sign-off; record_id is its id), kept
-- in the database as credential_files keeps evidence files: the content
-- type is what the bytes are (PDF, PNG or JPEG), sha256 lets anyone check
-- the file later. Written with the record, never changed.
CREATE TABLE transcription_scans (
    id            TEXT PRIMARY KEY,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    record_kind   TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    original_name TEXT NOT NULL,
    data          BYTEA NOT NULL,
    uploaded_at   TIMESTAMPTZ NOT NULL,
    uploaded_by   TEXT NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX transcription_scans_record_key ON transcription_scans (record_id);
CREATE INDEX transcription_scans_enrollment_idx ON transcription_scans (enrollment_id);

-- The revocation of a paper sign-off by a program director, as revocations
-- are of electronic ones: from effective_on the paper sign-off no longer
-- counts. At most one per paper sign-off; rows are never updated.
CREATE TABLE paper_revocations (
    id                TEXT PRIMARY KEY,
    paper_sign_off_id TEXT NOT NULL REFERENCES paper_sign_offs (id),
    enrollment_id     TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id     TEXT NOT NULL REFERENCES users (id),
    competency        TEXT NOT NULL,
    effective_on      TEXT NOT NULL,
    reason            TEXT NOT NULL,
    revoked_by        TEXT NOT NULL REFERENCES users (id),
    revoker_name      TEXT NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL,
    idempotency_key   TEXT NOT NULL,
    request_hash      TEXT
);
CREATE UNIQUE INDEX paper_revocations_sign_off_key ON paper_revocations (paper_sign_off_id);
CREATE INDEX paper_revocations_enrollment_idx ON paper_revocations (enrollment_id);
CREATE UNIQUE INDEX paper_revocations_idempotency_key ON paper_revocations (revoked_by, idempotency_key);

-- only postgres
-- A revocation of a paper sign-off can change decisions.
CREATE TRIGGER paper_revocations_stamp_insert AFTER INSERT ON paper_revocations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER paper_revocations_stamp_update AFTER UPDATE ON paper_revocations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER paper_revocations_stamp_delete AFTER DELETE ON paper_revocations REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
-- only sqlite
CREATE TRIGGER paper_revocations_stamp_insert AFTER INSERT ON paper_revocations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER paper_revocations_stamp_update AFTER UPDATE ON paper_revocations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER paper_revocations_stamp_delete AFTER DELETE ON paper_revocations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
