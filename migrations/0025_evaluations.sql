-- Periodic evaluations (owned by app/evaluations): the mentor's signed evaluation of an apprentice's progress and the apprentice's signed acknowledgement of it.

-- seq is the evaluation's number in the enrollment's schedule (1 = the
-- first, due start + every_months); due_on its due date then. ratings is
-- the JSON list of {item, value} on the program's scale. The signer
-- columns are the mentor's e-signature (as on sign_offs), hash the SHA-256
-- of its canonical form (assessments.EvaluationHash). Rows are never
-- updated: an acknowledgement is its own row.
CREATE TABLE evaluations (
    id            TEXT PRIMARY KEY,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    apprentice_id TEXT NOT NULL REFERENCES users (id),
    version_id    TEXT NOT NULL REFERENCES program_versions (id),
    seq           INTEGER NOT NULL,
    due_on        TEXT NOT NULL,
    ratings       TEXT NOT NULL DEFAULT '[]',
    comments      TEXT NOT NULL DEFAULT '',
    signer_id     TEXT NOT NULL REFERENCES users (id),
    printed_name  TEXT NOT NULL,
    credential    TEXT NOT NULL DEFAULT '',
    signed_at     TIMESTAMPTZ NOT NULL,
    signed_on     TEXT NOT NULL,
    time_zone     TEXT NOT NULL,
    meaning       TEXT NOT NULL,
    hash          TEXT NOT NULL,
    auth_method   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX evaluations_seq_key ON evaluations (enrollment_id, seq);
CREATE INDEX evaluations_apprentice_idx ON evaluations (apprentice_id);

-- The apprentice's acknowledgement: one per evaluation, signed by the
-- apprentice; hash covers the evaluation's hash, so it cannot be moved.
CREATE TABLE evaluation_acknowledgements (
    id            TEXT PRIMARY KEY,
    evaluation_id TEXT NOT NULL REFERENCES evaluations (id),
    signer_id     TEXT NOT NULL REFERENCES users (id),
    printed_name  TEXT NOT NULL,
    credential    TEXT NOT NULL DEFAULT '',
    signed_at     TIMESTAMPTZ NOT NULL,
    signed_on     TEXT NOT NULL,
    time_zone     TEXT NOT NULL,
    meaning       TEXT NOT NULL,
    hash          TEXT NOT NULL,
    auth_method   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX evaluation_acknowledgements_key ON evaluation_acknowledgements (evaluation_id);
