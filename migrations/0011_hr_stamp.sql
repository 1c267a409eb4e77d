-- Change stamps: a counter per scope that database triggers bump on every write that can change an organisation-wide summary, so app instances may cache the summary and check it with one small read; scope 'credentials' covers the HR dashboard.

-- One row per scope. The HR dashboard's scope, 'credentials', moves on
-- every write to what the dashboard is computed from: credentials,
-- enrollments (status included), moves, people (their names, whether they
-- are disabled, a preceptor's licence type), their roles and sites, and
-- the sites. Login bookkeeping on users (failed attempts, lockouts,
-- passwords) does not move it, so logins never wait on this row. Triggers
-- (not application code) keep it, so no write path, bulk load or manual
-- correction can forget to. The stamp is written in the writer's
-- transaction, so a reader that sees a new stamp sees the writes behind it.
CREATE TABLE change_stamps (
    scope   TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO change_stamps (scope, version) VALUES ('credentials', 0);

-- only postgres
-- One statement-level trigger per table and event: a bulk insert of a
-- hundred thousand credentials bumps the stamp once, not once per row.
-- The triggers are named "<table>_change_stamp_*" so that PostgreSQL, which
-- fires a table's triggers in name order, locks this one shared row before
-- the per-person rows of 0008 ("<table>_stamp_*") in a statement that bumps
-- both: the same lock order in every such write, so two of them wait for
-- each other instead of deadlocking.
CREATE FUNCTION skillgate_bump_change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_stamps (scope, version) VALUES (TG_ARGV[0], 1)
    ON CONFLICT (scope) DO UPDATE SET version = change_stamps.version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER credentials_change_stamp_insert AFTER INSERT ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER credentials_change_stamp_update AFTER UPDATE ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER credentials_change_stamp_delete AFTER DELETE ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER enrollments_change_stamp_insert AFTER INSERT ON enrollments
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER enrollments_change_stamp_update AFTER UPDATE ON enrollments
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER enrollments_change_stamp_delete AFTER DELETE ON enrollments
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER enrollment_moves_change_stamp_insert AFTER INSERT ON enrollment_moves
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER enrollment_moves_change_stamp_update AFTER UPDATE ON enrollment_moves
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER enrollment_moves_change_stamp_delete AFTER DELETE ON enrollment_moves
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER user_roles_change_stamp_insert AFTER INSERT ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER user_roles_change_stamp_update AFTER UPDATE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER user_roles_change_stamp_delete AFTER DELETE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER user_sites_change_stamp_insert AFTER INSERT ON user_sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER user_sites_change_stamp_update AFTER UPDATE ON user_sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER user_sites_change_stamp_delete AFTER DELETE ON user_sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER sites_change_stamp_insert AFTER INSERT ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER sites_change_stamp_update AFTER UPDATE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER sites_change_stamp_delete AFTER DELETE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER users_change_stamp_insert AFTER INSERT ON users
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER users_change_stamp_update AFTER UPDATE OF name, credential, disabled_at ON users
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER users_change_stamp_delete AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');

-- only sqlite
-- SQLite has row-level triggers only; it has one writer at a time, so the
-- extra bumps of a multi-row write cost no waiting.
CREATE TRIGGER credentials_change_stamp_insert AFTER INSERT ON credentials BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER credentials_change_stamp_update AFTER UPDATE ON credentials BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER credentials_change_stamp_delete AFTER DELETE ON credentials BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollments_change_stamp_insert AFTER INSERT ON enrollments BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollments_change_stamp_update AFTER UPDATE ON enrollments BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollments_change_stamp_delete AFTER DELETE ON enrollments BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollment_moves_change_stamp_insert AFTER INSERT ON enrollment_moves BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollment_moves_change_stamp_update AFTER UPDATE ON enrollment_moves BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollment_moves_change_stamp_delete AFTER DELETE ON enrollment_moves BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_roles_change_stamp_insert AFTER INSERT ON user_roles BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_roles_change_stamp_update AFTER UPDATE ON user_roles BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_roles_change_stamp_delete AFTER DELETE ON user_roles BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_sites_change_stamp_insert AFTER INSERT ON user_sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_sites_change_stamp_update AFTER UPDATE ON user_sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_sites_change_stamp_delete AFTER DELETE ON user_sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sites_change_stamp_insert AFTER INSERT ON sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sites_change_stamp_update AFTER UPDATE ON sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sites_change_stamp_delete AFTER DELETE ON sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER users_change_stamp_insert AFTER INSERT ON users BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER users_change_stamp_update AFTER UPDATE OF name, credential, disabled_at ON users BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER users_change_stamp_delete AFTER DELETE ON users BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
