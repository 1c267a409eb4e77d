-- In-app notifications (expiry and re-verification reminders) sent once per threshold, and private calendar feed tokens.

-- One row per recipient, subject and threshold: the unique index is what
-- makes a reminder go out once, however often the job runs and however
-- many instances run it.
CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES users (id),
    person_id    TEXT NOT NULL REFERENCES users (id),
    subject      TEXT NOT NULL,
    threshold    INTEGER NOT NULL,
    due_on       TEXT NOT NULL,
    message      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    emailed_at   TIMESTAMPTZ,
    read_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX notifications_once_key ON notifications (recipient_id, subject, threshold, due_on);
CREATE INDEX notifications_recipient_idx ON notifications (recipient_id, created_at);

-- Calendar feeds are read by calendar apps without a session, through a
-- secret URL; only the token's SHA-256 is stored, and it can be revoked.
CREATE TABLE calendar_tokens (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX calendar_tokens_hash_key ON calendar_tokens (token_hash);
CREATE INDEX calendar_tokens_person_idx ON calendar_tokens (person_id);
