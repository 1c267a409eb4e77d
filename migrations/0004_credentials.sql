-- Credential records (BLS cards, MA certifications) with their history and verification, and the evidence files HR uploads for them.

-- Evidence files (a scan of a BLS card, a certificate PDF). The content type
-- is what the bytes are (checked from their magic numbers), not what the
-- uploader claimed; sha256 lets anyone check a file later. BYTEA is a valid
-- type name on both engines (SQLite stores the blob as given).
CREATE TABLE credential_files (
    id            TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    original_name TEXT NOT NULL,
    data          BYTEA NOT NULL,
    uploaded_at   TIMESTAMPTZ NOT NULL,
    uploaded_by   TEXT REFERENCES users (id)
);
CREATE INDEX credential_files_sha256_idx ON credential_files (sha256);

-- One row per card or certificate as entered. Rows are never updated except
-- to verify them once (verified_at, verified_by, verification_method); a
-- renewal is a new row, so "was she certified on 15 March?" keeps its answer.
-- Dates are calendar days as TEXT 'YYYY-MM-DD' in the organisation's zone.
-- For a card "valid through 10/2026" expires_on holds 2026-10-31 and
-- valid_through_month is true, so the card can be shown as it was printed.
CREATE TABLE credentials (
    id                  TEXT PRIMARY KEY,
    person_id           TEXT NOT NULL REFERENCES users (id),
    type_code           TEXT NOT NULL,
    issuing_body        TEXT NOT NULL DEFAULT '',
    number              TEXT NOT NULL DEFAULT '',
    issued_on           TEXT NOT NULL,
    expires_on          TEXT,
    valid_through_month BOOLEAN NOT NULL DEFAULT FALSE,
    recorded_at         TIMESTAMPTZ NOT NULL,
    recorded_by         TEXT REFERENCES users (id),
    verified_at         TIMESTAMPTZ,
    verified_by         TEXT REFERENCES users (id),
    verification_method TEXT NOT NULL DEFAULT '',
    file_id             TEXT REFERENCES credential_files (id),
    notes               TEXT NOT NULL DEFAULT ''
);
-- A person's history, newest first (profile pages, ForPeople, import matching).
CREATE INDEX credentials_person_idx ON credentials (person_id, recorded_at);
-- Expiry scans: reminders and HR's "expiring in 30/60/90 days" pages.
CREATE INDEX credentials_expires_idx ON credentials (expires_on) WHERE expires_on IS NOT NULL;
