-- Demographic fields of apprentices for the RAPIDS registration (owned by app/accounts): optional, entered and read only by HR and administrators; every view and change is audited without the values.

-- One row per person, written whole by each change (updated_by, updated_at
-- say who last changed it). Every field is optional and '' when not
-- recorded; codes are app/accounts' (Demographics), race a comma-separated
-- list of codes. The audit trail names the fields changed, never their
-- values, so the trail (which outlives any correction) holds none of them.
CREATE TABLE person_demographics (
    user_id           TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    date_of_birth     TEXT NOT NULL DEFAULT '',
    gender            TEXT NOT NULL DEFAULT '',
    ethnicity         TEXT NOT NULL DEFAULT '',
    race              TEXT NOT NULL DEFAULT '',
    veteran_status    TEXT NOT NULL DEFAULT '',
    disability        TEXT NOT NULL DEFAULT '',
    education_level   TEXT NOT NULL DEFAULT '',
    employment_status TEXT NOT NULL DEFAULT '',
    updated_by        TEXT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
