-- Moving an apprentice to a newer program version: the old enrollment ends on the move date and a new one starts; evidence that still applies is carried over by reference, never copied.

CREATE TABLE enrollment_moves (
    id                 TEXT PRIMARY KEY,
    from_enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    to_enrollment_id   TEXT NOT NULL REFERENCES enrollments (id),
    effective_on       TEXT NOT NULL,
    moved_by           TEXT NOT NULL REFERENCES users (id),
    moved_at           TIMESTAMPTZ NOT NULL,
    idempotency_key    TEXT NOT NULL
);
-- An enrollment is moved at most once, and each new one comes from one move.
CREATE UNIQUE INDEX enrollment_moves_from_key ON enrollment_moves (from_enrollment_id);
CREATE UNIQUE INDEX enrollment_moves_to_key ON enrollment_moves (to_enrollment_id);
CREATE UNIQUE INDEX enrollment_moves_idempotency_key ON enrollment_moves (moved_by, idempotency_key);
