-- Second factors: time-based one-time codes (RFC 6238) with single-use recovery codes, and the two-person removal of someone's factor.

-- One authenticator app per person. secret is the shared key (base32);
-- it must be readable to check a code, so a copy of the database holds
-- it (see SECURITY.md). confirmed_at is NULL while the person has not yet
-- typed a first code. last_step is the 30-second step of the last code
-- accepted: a code is refused unless its step is later, so no code works
-- twice. approved_by/approved_at: a first enrolment after a password
-- reset issued by someone else counts only once a second person (or a
-- code sent to the person's own email) confirms it; NULL approved_at with
-- needs_approval TRUE means it is waiting.
CREATE TABLE totp_factors (
    user_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    confirmed_at   TIMESTAMPTZ,
    last_step      BIGINT NOT NULL DEFAULT 0,
    needs_approval BOOLEAN NOT NULL DEFAULT FALSE,
    approved_by    TEXT REFERENCES users (id),
    approved_at    TIMESTAMPTZ,
    email_code_hash TEXT NOT NULL DEFAULT '',
    last_used_at   TIMESTAMPTZ
);

-- Recovery codes: shown once, stored only as SHA-256, each usable once.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- Removing someone's second factor takes two people: an administrator
-- starts it, a second administrator or HR confirms it. The person is told
-- at next login (notice_shown_at) and by email.
CREATE TABLE factor_removals (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_by      TEXT NOT NULL REFERENCES users (id),
    started_at      TIMESTAMPTZ NOT NULL,
    confirmed_by    TEXT REFERENCES users (id),
    confirmed_at    TIMESTAMPTZ,
    notice_shown_at TIMESTAMPTZ
);
CREATE INDEX factor_removals_user_idx ON factor_removals (user_id);
