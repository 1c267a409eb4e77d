-- SCIM 2.0 provisioning (owned by app/scim): the identity provider's bearer tokens, the people it provisions with its externalId, its groups and their members.

-- A token an admin created for the IdP; only its SHA-256 is kept.
-- created_by is the admin's person id, or "system" from the command line.
CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

-- A person the IdP has provisioned or matched: the externalId it gave, and
-- whether it deleted them (a SCIM delete disables the account and hides it
-- from SCIM; the person and everything they signed stay).
CREATE TABLE scim_users (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    external_id TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
);
CREATE INDEX scim_users_external_idx ON scim_users (external_id);

-- The IdP's groups; their display names map to roles and sites through the
-- SSO group mapping.
CREATE TABLE scim_groups (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL UNIQUE,
    external_id  TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE scim_group_members (
    group_id TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX scim_group_members_user_idx ON scim_group_members (user_id);
