-- Wage steps (owned by app/wages): each approved step of an apprentice's progressive wage schedule, with its effective date and who approved it.

-- One row per step approved on an enrollment; the first step (the wage at
-- registration) is implied from the enrollment's start and not stored.
-- title, percent and hourly_cents copy what the program version said the
-- step pays, so the history reads the same whatever the program does
-- later (hourly_cents is 0 when a percentage had no journeyworker rate).
-- The unique key makes a step approved once per enrollment, however many
-- people press the button at once.
CREATE TABLE wage_steps (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES users (id),
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    step          INTEGER NOT NULL,
    title         TEXT NOT NULL,
    percent       DOUBLE PRECISION NOT NULL DEFAULT 0,
    hourly_cents  INTEGER NOT NULL DEFAULT 0,
    effective_on  TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    approved_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX wage_steps_once_key ON wage_steps (enrollment_id, step);
CREATE INDEX wage_steps_person_idx ON wage_steps (person_id, effective_on);
