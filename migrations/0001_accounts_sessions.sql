-- Accounts, sites, roles, server-side sessions, API tokens, password resets and a key/value store for shared middleware state.

CREATE TABLE app_meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL
);

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    timezone   TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX sites_name_key ON sites (name);

CREATE TABLE users (
    id                    TEXT PRIMARY KEY,
    email                 TEXT NOT NULL,
    name                  TEXT NOT NULL,
    employee_id           TEXT,
    credential            TEXT NOT NULL DEFAULT 'none',
    password_hash         TEXT NOT NULL DEFAULT '',
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at           TIMESTAMPTZ,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    last_failed_login_at  TIMESTAMPTZ,
    locked_until          TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_employee_id_key ON users (employee_id) WHERE employee_id IS NOT NULL;

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_sites (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    site_id TEXT NOT NULL REFERENCES sites (id),
    PRIMARY KEY (user_id, site_id)
);
CREATE INDEX user_sites_site_idx ON user_sites (site_id);

-- Sessions are keyed by the SHA-256 of the cookie value, so a copy of the
-- database does not hand out live sessions.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- Shared state for Fiber middleware (CSRF tokens, rate-limit counters), so
-- several instances behind one load balancer agree. Values are base64 text
-- so one column type serves both dialects; expires_at is Unix seconds, 0 for
-- never.
CREATE TABLE kv_store (
    k          TEXT PRIMARY KEY,
    v          TEXT NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kv_store_expires_idx ON kv_store (expires_at) WHERE expires_at > 0;
