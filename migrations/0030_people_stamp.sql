-- A second change stamp, 'people', for what the HR dashboard reads about people rather than their records (names, disabled, licence types, roles, sites, the sites), so that a credential or enrollment write lets the dashboard recompute only the people whose decision stamps moved; hire-date changes now move the dashboard's stamp too.

-- The 'credentials' scope (0011) still moves on every write the dashboard
-- depends on; 'people' moves only on the writes to people, their roles and
-- sites, and the sites. While 'people' stands still, every change since the
-- dashboard was computed is a change to some people's credentials,
-- enrollments, moves or hire dates, each of which bumps that person's
-- decision stamp (0008, 0019): the dashboard recomputes those people only.
-- A hire date moves credential grace periods, which the dashboard shows,
-- but bumped no change stamp before.
INSERT INTO change_stamps (scope, version) VALUES ('people', 0);

-- only postgres
CREATE TRIGGER user_roles_change_stamp_people_insert AFTER INSERT ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER user_roles_change_stamp_people_update AFTER UPDATE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER user_roles_change_stamp_people_delete AFTER DELETE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER user_sites_change_stamp_people_insert AFTER INSERT ON user_sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER user_sites_change_stamp_people_update AFTER UPDATE ON user_sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER user_sites_change_stamp_people_delete AFTER DELETE ON user_sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER sites_change_stamp_people_insert AFTER INSERT ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER sites_change_stamp_people_update AFTER UPDATE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER sites_change_stamp_people_delete AFTER DELETE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER users_change_stamp_people_insert AFTER INSERT ON users
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER users_change_stamp_people_update AFTER UPDATE OF name, credential, disabled_at ON users
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER users_change_stamp_people_delete AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('people');
CREATE TRIGGER hire_date_changes_change_stamp_insert AFTER INSERT ON hire_date_changes
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');
CREATE TRIGGER hire_date_changes_change_stamp_delete AFTER DELETE ON hire_date_changes
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_change_stamp('credentials');

-- only sqlite
CREATE TRIGGER user_roles_change_stamp_people_insert AFTER INSERT ON user_roles BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_roles_change_stamp_people_update AFTER UPDATE ON user_roles BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_roles_change_stamp_people_delete AFTER DELETE ON user_roles BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_sites_change_stamp_people_insert AFTER INSERT ON user_sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_sites_change_stamp_people_update AFTER UPDATE ON user_sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER user_sites_change_stamp_people_delete AFTER DELETE ON user_sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sites_change_stamp_people_insert AFTER INSERT ON sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sites_change_stamp_people_update AFTER UPDATE ON sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sites_change_stamp_people_delete AFTER DELETE ON sites BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER users_change_stamp_people_insert AFTER INSERT ON users BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER users_change_stamp_people_update AFTER UPDATE OF name, credential, disabled_at ON users BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER users_change_stamp_people_delete AFTER DELETE ON users BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('people', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER hire_date_changes_change_stamp_insert AFTER INSERT ON hire_date_changes BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER hire_date_changes_change_stamp_delete AFTER DELETE ON hire_date_changes BEGIN
    INSERT INTO change_stamps (scope, version) VALUES ('credentials', 1) ON CONFLICT (scope) DO UPDATE SET version = version + 1;
END;
