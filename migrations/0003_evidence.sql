-- Enrollments and the evidence recorded against them: observed performances, self-logs, knowledge tests, sign-offs (electronic signatures), revocations and hours.

-- An apprentice in one published program version. Evidence rows are never
-- updated or deleted; corrections and revocations are new rows. Every write
-- carries the submitter's idempotency key, unique per submitter, so a
-- retried or double-clicked form records once, across restarts and
-- instances.
CREATE TABLE enrollments (
    id              TEXT PRIMARY KEY,
    apprentice_id   TEXT NOT NULL REFERENCES users (id),
    version_id      TEXT NOT NULL REFERENCES program_versions (id),
    site_id         TEXT NOT NULL REFERENCES sites (id),
    hire_date       TEXT NOT NULL,
    start_date      TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT REFERENCES users (id),
    idempotency_key TEXT NOT NULL
);
CREATE INDEX enrollments_apprentice_idx ON enrollments (apprentice_id);
CREATE INDEX enrollments_site_idx ON enrollments (site_id);
CREATE UNIQUE INDEX enrollments_idempotency_key ON enrollments (created_by, idempotency_key);

CREATE TABLE enrollment_preceptors (
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    preceptor_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (enrollment_id, preceptor_id)
);
CREATE INDEX enrollment_preceptors_preceptor_idx ON enrollment_preceptors (preceptor_id);

-- Status changes are kept as history, not overwritten.
CREATE TABLE enrollment_status_changes (
    id            TEXT PRIMARY KEY,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    status        TEXT NOT NULL,
    changed_at    TIMESTAMPTZ NOT NULL,
    changed_by    TEXT REFERENCES users (id),
    reason        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX enrollment_status_changes_enrollment_idx ON enrollment_status_changes (enrollment_id, changed_at);

-- steps holds the checklist answers as JSON ([{"index":0,"met":true},...]).
CREATE TABLE observations (
    id                  TEXT PRIMARY KEY,
    enrollment_id       TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id       TEXT NOT NULL REFERENCES users (id),
    competency          TEXT NOT NULL,
    variant             TEXT NOT NULL DEFAULT '',
    checklist_version   INTEGER NOT NULL,
    performed_on        TEXT NOT NULL,
    site_id             TEXT NOT NULL REFERENCES sites (id),
    observer_id         TEXT NOT NULL REFERENCES users (id),
    observer_name       TEXT NOT NULL,
    observer_credential TEXT NOT NULL,
    steps               TEXT NOT NULL,
    successful          BOOLEAN NOT NULL,
    comments            TEXT NOT NULL DEFAULT '',
    supersedes          TEXT REFERENCES observations (id),
    correction_reason   TEXT NOT NULL DEFAULT '',
    recorded_at         TIMESTAMPTZ NOT NULL,
    idempotency_key     TEXT NOT NULL
);
CREATE INDEX observations_enrollment_idx ON observations (enrollment_id, competency);
CREATE UNIQUE INDEX observations_idempotency_key ON observations (observer_id, idempotency_key);
-- A record is corrected at most once; a second correction corrects the correction.
CREATE UNIQUE INDEX observations_supersedes_key ON observations (supersedes) WHERE supersedes IS NOT NULL;

CREATE TABLE self_logs (
    id                  TEXT PRIMARY KEY,
    enrollment_id       TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id       TEXT NOT NULL REFERENCES users (id),
    competency          TEXT NOT NULL,
    variant             TEXT NOT NULL DEFAULT '',
    performed_on        TEXT NOT NULL,
    site_id             TEXT NOT NULL REFERENCES sites (id),
    supervisor_id       TEXT NOT NULL REFERENCES users (id),
    comments            TEXT NOT NULL DEFAULT '',
    logged_at           TIMESTAMPTZ NOT NULL,
    status              TEXT NOT NULL,
    reviewed_by         TEXT REFERENCES users (id),
    reviewer_name       TEXT NOT NULL DEFAULT '',
    reviewer_credential TEXT NOT NULL DEFAULT '',
    reviewed_at         TIMESTAMPTZ,
    rejection_reason    TEXT NOT NULL DEFAULT '',
    idempotency_key     TEXT NOT NULL
);
CREATE INDEX self_logs_enrollment_idx ON self_logs (enrollment_id);
CREATE INDEX self_logs_pending_idx ON self_logs (supervisor_id) WHERE status = 'pending';
CREATE UNIQUE INDEX self_logs_idempotency_key ON self_logs (apprentice_id, idempotency_key);

CREATE TABLE test_results (
    id              TEXT PRIMARY KEY,
    enrollment_id   TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id   TEXT NOT NULL REFERENCES users (id),
    competency      TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    pass_mark       INTEGER NOT NULL,
    taken_on        TEXT NOT NULL,
    recorded_by     TEXT NOT NULL REFERENCES users (id),
    recorded_at     TIMESTAMPTZ NOT NULL,
    idempotency_key TEXT NOT NULL
);
CREATE INDEX test_results_enrollment_idx ON test_results (enrollment_id);
CREATE UNIQUE INDEX test_results_idempotency_key ON test_results (recorded_by, idempotency_key);

-- A sign-off is an electronic signature (21 CFR Part 11 pattern): printed
-- name, credential, instant and zone, meaning, the evidence ids it rests on
-- and a SHA-256 over all of that (assessments.SignatureHash), checked
-- whenever it is shown. seq numbers the sign-offs of one competency in one
-- enrollment: two preceptors signing at the same moment compute the same
-- seq and the unique index lets exactly one of them commit.
CREATE TABLE sign_offs (
    id                TEXT PRIMARY KEY,
    enrollment_id     TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id     TEXT NOT NULL REFERENCES users (id),
    version_id        TEXT NOT NULL REFERENCES program_versions (id),
    competency        TEXT NOT NULL,
    kind              TEXT NOT NULL,
    seq               INTEGER NOT NULL,
    signed_on         TEXT NOT NULL,
    covered           TEXT NOT NULL DEFAULT '[]',
    signer_id         TEXT NOT NULL REFERENCES users (id),
    printed_name      TEXT NOT NULL,
    credential        TEXT NOT NULL,
    signed_at         TIMESTAMPTZ NOT NULL,
    time_zone         TEXT NOT NULL,
    meaning           TEXT NOT NULL,
    performance_ids   TEXT NOT NULL DEFAULT '[]',
    test_result_id    TEXT NOT NULL DEFAULT '',
    checklist_version INTEGER NOT NULL,
    hash              TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL
);
CREATE INDEX sign_offs_enrollment_idx ON sign_offs (enrollment_id, competency);
CREATE UNIQUE INDEX sign_offs_seq_key ON sign_offs (enrollment_id, competency, seq);
CREATE UNIQUE INDEX sign_offs_idempotency_key ON sign_offs (signer_id, idempotency_key);

CREATE TABLE revocations (
    id              TEXT PRIMARY KEY,
    sign_off_id     TEXT NOT NULL REFERENCES sign_offs (id),
    enrollment_id   TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id   TEXT NOT NULL REFERENCES users (id),
    competency      TEXT NOT NULL,
    effective_on    TEXT NOT NULL,
    reason          TEXT NOT NULL,
    revoked_by      TEXT NOT NULL REFERENCES users (id),
    revoker_name    TEXT NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    idempotency_key TEXT NOT NULL
);
CREATE UNIQUE INDEX revocations_sign_off_key ON revocations (sign_off_id);
CREATE INDEX revocations_enrollment_idx ON revocations (enrollment_id);
CREATE UNIQUE INDEX revocations_idempotency_key ON revocations (revoked_by, idempotency_key);

CREATE TABLE hours_entries (
    id               TEXT PRIMARY KEY,
    enrollment_id    TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id    TEXT NOT NULL REFERENCES users (id),
    kind             TEXT NOT NULL,
    code             TEXT NOT NULL,
    worked_on        TEXT NOT NULL,
    minutes          INTEGER NOT NULL,
    supervisor_id    TEXT REFERENCES users (id),
    note             TEXT NOT NULL DEFAULT '',
    logged_at        TIMESTAMPTZ NOT NULL,
    status           TEXT NOT NULL,
    reviewed_by      TEXT REFERENCES users (id),
    reviewer_name    TEXT NOT NULL DEFAULT '',
    reviewed_at      TIMESTAMPTZ,
    rejection_reason TEXT NOT NULL DEFAULT '',
    idempotency_key  TEXT NOT NULL
);
CREATE INDEX hours_entries_enrollment_idx ON hours_entries (enrollment_id, worked_on);
CREATE UNIQUE INDEX hours_entries_idempotency_key ON hours_entries (apprentice_id, idempotency_key);
