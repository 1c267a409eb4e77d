-- A person's hire date with its history (owned by app/accounts): every change with the date it sets, who made it, when and why; enrollments' hire dates move to their people where the person had none.

-- Every change is a correction of a fact (the day the person was hired)
-- and applies to every day: the hire date in force on any day is the one
-- most recently recorded (changed_at, then id). users.hire_date keeps that
-- value, written in the same transaction, for the directory and exports.
-- changed_by is empty for changes made by this migration.
CREATE TABLE hire_date_changes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hire_date  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX hire_date_changes_user_idx ON hire_date_changes (user_id, changed_at);

-- A person without a hire date of their own takes their first
-- enrollment's (a later enrollment's was retyped or copied from it).
INSERT INTO hire_date_changes (id, user_id, hire_date, reason, changed_by, changed_at)
SELECT 'migrated-' || u.id, u.id, (SELECT MIN(e.hire_date) FROM enrollments e WHERE e.apprentice_id = u.id),
       'from the enrollment (before hire dates belonged to the person)', '', u.created_at
FROM users u WHERE u.hire_date IS NULL AND EXISTS (SELECT 1 FROM enrollments e WHERE e.apprentice_id = u.id);
INSERT INTO hire_date_changes (id, user_id, hire_date, reason, changed_by, changed_at)
SELECT 'migrated-' || u.id, u.id, u.hire_date, 'on file before hire dates had a history', '', u.created_at
FROM users u WHERE u.hire_date IS NOT NULL;
UPDATE users SET hire_date = (SELECT h.hire_date FROM hire_date_changes h WHERE h.user_id = users.id)
WHERE hire_date IS NULL AND EXISTS (SELECT 1 FROM hire_date_changes h WHERE h.user_id = users.id);

-- only postgres
-- A hire date moves credential grace periods, so it changes decisions.
CREATE TRIGGER hire_date_changes_stamp_insert AFTER INSERT ON hire_date_changes REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('user_id');
CREATE TRIGGER hire_date_changes_stamp_delete AFTER DELETE ON hire_date_changes REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('user_id');
-- only sqlite
CREATE TRIGGER hire_date_changes_stamp_insert AFTER INSERT ON hire_date_changes BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.user_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER hire_date_changes_stamp_delete AFTER DELETE ON hire_date_changes BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.user_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
