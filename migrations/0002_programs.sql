-- Apprenticeship programs and their numbered versions; each version's content is one JSON document (curriculum.Version).

CREATE TABLE programs (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX programs_code_key ON programs (code);

-- A published version never changes: the store only updates drafts, and
-- content_sha256 lets anyone check a version's content afterwards.
-- lock_version guards a draft against two editors overwriting each other.
CREATE TABLE program_versions (
    id             TEXT PRIMARY KEY,
    program_id     TEXT NOT NULL REFERENCES programs (id),
    number         INTEGER NOT NULL,
    status         TEXT NOT NULL,
    content        TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    lock_version   INTEGER NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT REFERENCES users (id),
    updated_at     TIMESTAMPTZ NOT NULL,
    published_at   TIMESTAMPTZ,
    published_by   TEXT REFERENCES users (id)
);
CREATE UNIQUE INDEX program_versions_number_key ON program_versions (program_id, number);
-- At most one draft per program at a time.
CREATE UNIQUE INDEX program_versions_one_draft ON program_versions (program_id) WHERE status = 'draft';
