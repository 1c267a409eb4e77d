-- Issued documents (owned by app/documents): each printed competency record and sign-off certificate with the hash of its verification code, what it is of, its SHA-256 and content, so /verify/<code> can answer for it.

-- code_hash is the SHA-256 of the verification code printed on the
-- document (the code itself, 128 random bits, is never stored, so the
-- table cannot be used to forge a link). kind is 'record' or
-- 'certificate'; subject_id the person (record) or sign-off (certificate)
-- a later document of the same kind supersedes; person_id the apprentice.
-- content is the JSON of what the document shows (the verification page
-- shows it and nothing else), content_sha256 its hash printed on every
-- page, sha256 the hash of the PDF file as issued.
CREATE TABLE issued_documents (
    id             TEXT PRIMARY KEY,
    code_hash      TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    subject_id     TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    as_of          TEXT NOT NULL DEFAULT '',
    sha256         TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    content        TEXT NOT NULL,
    issued_at      TIMESTAMPTZ NOT NULL,
    issued_by      TEXT NOT NULL
);
CREATE INDEX issued_documents_subject_idx ON issued_documents (kind, subject_id, issued_at);
