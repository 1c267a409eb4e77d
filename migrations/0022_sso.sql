-- Single sign-on (issue 21): each person's link to an identity provider's subject, the sign-in and step-up flows waiting for the provider's answer, and the group mapping an administrator edits. Owned by app/sso.

-- One link per person per identity provider, and one person per subject:
-- a signature by SSO re-authentication is checked against this subject.
CREATE TABLE sso_identities (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ,
    PRIMARY KEY (issuer, subject)
);
CREATE UNIQUE INDEX sso_identities_user_idx ON sso_identities (user_id, issuer);

-- A flow is a redirect to the identity provider not yet answered. id is
-- the hash of the state sent with it; nonce and verifier (PKCE) are
-- checked on the answer. A signing flow is bound to the session that
-- started it (session_hash) and holds the pending signature (payload).
-- Taking a flow deletes it, so an answer completes at most one.
CREATE TABLE sso_flows (
    id           TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    session_hash TEXT NOT NULL DEFAULT '',
    user_id      TEXT NOT NULL DEFAULT '',
    payload      TEXT NOT NULL DEFAULT '',
    next         TEXT NOT NULL DEFAULT '',
    started_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sso_flows_expires_idx ON sso_flows (expires_at);

-- The mapping an administrator saved (one row, id 1); without it the
-- mapping of SKILLGATE_SSO_GROUP_MAP applies.
CREATE TABLE sso_settings (
    id              INTEGER PRIMARY KEY,
    group_map       TEXT NOT NULL,
    idp_is_source   BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by      TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
