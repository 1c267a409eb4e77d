-- Completions of apprenticeships (owned by app/evidence): the program director's electronic signature that an apprentice met every requirement, written with the enrollment's status change to completed.

-- One per enrollment (completed is final, so a completion is never
-- undone). status_change_id is the enrollment_status_changes row of the
-- change to completed, whose changed_at is the completion instant (the
-- completion date stays readable from enrollment_status_changes, as for
-- any status). completed_on is the organisation's day of signed_at; hash
-- is the SHA-256 of assessments.CanonicalCompletion; auth_method how the
-- director re-authenticated (outside the hash, as on sign-offs).
CREATE TABLE enrollment_completions (
    id               TEXT PRIMARY KEY,
    enrollment_id    TEXT NOT NULL UNIQUE REFERENCES enrollments (id),
    status_change_id TEXT NOT NULL REFERENCES enrollment_status_changes (id),
    apprentice_id    TEXT NOT NULL REFERENCES users (id),
    version_id       TEXT NOT NULL REFERENCES program_versions (id),
    completed_on     TEXT NOT NULL,
    signer_id        TEXT NOT NULL REFERENCES users (id),
    printed_name     TEXT NOT NULL,
    credential       TEXT NOT NULL,
    signed_at        TIMESTAMPTZ NOT NULL,
    time_zone        TEXT NOT NULL,
    meaning          TEXT NOT NULL,
    hash             TEXT NOT NULL,
    auth_method      TEXT NOT NULL DEFAULT ''
);
