-- Passkeys (WebAuthn credentials): several per person, named, with their last use; a passkey with user verification logs in alone and counts as both components of a signature.

-- credential is go-webauthn's Credential as JSON (public key, sign
-- counter, flags, transports); no secret is stored. id is the credential
-- id, base64url.
CREATE TABLE passkeys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    credential   TEXT NOT NULL,
    sign_count   BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);
