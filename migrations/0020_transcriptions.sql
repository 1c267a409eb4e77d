-- Historical evidence transcribed from paper (issue 17): observations say who transcribed them and where the paper is; paper sign-offs get their own table, apart from electronic signatures.

-- Every evidence row already keeps both kinds of time: the day it happened
-- (observations and self_logs performed_on, test_results taken_on,
-- hours_entries worked_on, sign_offs signed_on) and when it was recorded
-- (recorded_at; self_logs and hours_entries logged_at, and reviewed_at
-- when they became evidence; sign_offs signed_at). Nothing to backfill.

-- An observation transcribed from a paper checklist: transcribed_by is the
-- director or HR person who typed it in (observer_id is them too, the
-- account that recorded it; observer_name and observer_credential are who
-- attested it on paper); source_note says where the paper is. NULL and
-- empty for observations recorded at the point of care.
ALTER TABLE observations ADD COLUMN transcribed_by TEXT REFERENCES users (id);
ALTER TABLE observations ADD COLUMN source_note TEXT NOT NULL DEFAULT '';

-- A sign-off signed on paper, transcribed: the signer's printed name and
-- credential and the date on the form, never an electronic signature (no
-- hash, no signing account). It counts only for competencies whose program
-- allows paper sign-offs. Rows are never updated or deleted.
CREATE TABLE paper_sign_offs (
    id              TEXT PRIMARY KEY,
    enrollment_id   TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id   TEXT NOT NULL REFERENCES users (id),
    competency      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    signed_on       TEXT NOT NULL,
    printed_name    TEXT NOT NULL,
    credential      TEXT NOT NULL,
    source_note     TEXT NOT NULL DEFAULT '',
    transcribed_by  TEXT NOT NULL REFERENCES users (id),
    recorded_at     TIMESTAMPTZ NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT
);
CREATE INDEX paper_sign_offs_enrollment_idx ON paper_sign_offs (enrollment_id, competency);
CREATE UNIQUE INDEX paper_sign_offs_idempotency_key ON paper_sign_offs (transcribed_by, idempotency_key);

-- only postgres
-- A paper sign-off can change decisions.
CREATE TRIGGER paper_sign_offs_stamp_insert AFTER INSERT ON paper_sign_offs REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER paper_sign_offs_stamp_update AFTER UPDATE ON paper_sign_offs REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER paper_sign_offs_stamp_delete AFTER DELETE ON paper_sign_offs REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
-- only sqlite
CREATE TRIGGER paper_sign_offs_stamp_insert AFTER INSERT ON paper_sign_offs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER paper_sign_offs_stamp_update AFTER UPDATE ON paper_sign_offs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER paper_sign_offs_stamp_delete AFTER DELETE ON paper_sign_offs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
