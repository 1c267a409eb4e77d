-- Webhooks (owned by app/webhooks): endpoints administrators register, the transactional outbox of events, and one delivery per event and endpoint with its attempts.

-- An endpoint's secret is kept as is (whsec_...), since every delivery is
-- signed with it; it is shown once, at creation or rotation, and never
-- again. previous_secret stays valid until previous_secret_until (a
-- rotation's 24 hours of overlap). events and site_ids are comma-separated
-- lists; an empty site_ids means every site.
CREATE TABLE webhook_endpoints (
    id                    TEXT PRIMARY KEY,
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL,
    events                TEXT NOT NULL,
    site_ids              TEXT NOT NULL,
    enabled               BOOLEAN NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT NOT NULL,
    previous_secret_until TIMESTAMPTZ,
    created_by            TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

-- The outbox: written in the transaction of the change that causes the
-- event, under the audit trail's lock, so seq follows commit order. id is
-- the Standard Webhooks message id (webhook-id), the same on every retry.
-- dedupe_key, when set, makes an event idempotent (the daily job's
-- "lapsed for this person, task and day").
CREATE TABLE webhook_events (
    seq         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    site_ids    TEXT NOT NULL,
    dedupe_key  TEXT,
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX webhook_events_dedupe_idx ON webhook_events (dedupe_key) WHERE dedupe_key IS NOT NULL;

-- One row per event and endpoint: status pending (next_attempt_at says
-- when), delivered, or failed (retries gave up after retry_since + 24 h).
-- claimed_until is the lease of the instance delivering it.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq       BIGINT NOT NULL REFERENCES webhook_events (seq),
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    response_code   INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    retry_since     TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_recent_idx ON webhook_deliveries (endpoint_id, event_seq DESC);
