-- Decision stamps: a counter per person that database triggers bump on every write that can change their clearance decisions, so app instances may cache decisions and check them in the same round trip as the person; role index for whole-site lists.

-- One row per person whose records were ever written; a missing row reads
-- as 0. Triggers (not application code) keep it, so no write path, bulk
-- load or manual correction can forget to: evidence, enrollments (status
-- changes included), moves and credentials (verification included).
-- Enrollment preceptors are not included: they never change a decision.
CREATE TABLE decision_stamps (
    person_id TEXT PRIMARY KEY,
    version   BIGINT NOT NULL
);

CREATE INDEX user_roles_role_idx ON user_roles (role, user_id);

-- only postgres
-- One statement-level trigger per table and event: a bulk insert of a
-- million rows bumps each person once, not once per row. People are
-- bumped in id order so concurrent multi-person writes cannot deadlock.
CREATE FUNCTION skillgate_bump_decision_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO decision_stamps (person_id, version) SELECT DISTINCT %I, 1 FROM changed ORDER BY 1 '
        'ON CONFLICT (person_id) DO UPDATE SET version = decision_stamps.version + 1', TG_ARGV[0]);
    RETURN NULL;
END $$;

CREATE FUNCTION skillgate_bump_decision_stamps_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO decision_stamps (person_id, version)
    SELECT DISTINCT e.apprentice_id, 1 FROM changed c JOIN enrollments e ON e.id IN (c.from_enrollment_id, c.to_enrollment_id) ORDER BY 1
    ON CONFLICT (person_id) DO UPDATE SET version = decision_stamps.version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER enrollments_stamp_insert AFTER INSERT ON enrollments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER enrollments_stamp_update AFTER UPDATE ON enrollments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER enrollments_stamp_delete AFTER DELETE ON enrollments REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER observations_stamp_insert AFTER INSERT ON observations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER observations_stamp_update AFTER UPDATE ON observations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER observations_stamp_delete AFTER DELETE ON observations REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER self_logs_stamp_insert AFTER INSERT ON self_logs REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER self_logs_stamp_update AFTER UPDATE ON self_logs REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER self_logs_stamp_delete AFTER DELETE ON self_logs REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER test_results_stamp_insert AFTER INSERT ON test_results REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER test_results_stamp_update AFTER UPDATE ON test_results REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER test_results_stamp_delete AFTER DELETE ON test_results REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER sign_offs_stamp_insert AFTER INSERT ON sign_offs REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER sign_offs_stamp_update AFTER UPDATE ON sign_offs REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER sign_offs_stamp_delete AFTER DELETE ON sign_offs REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER revocations_stamp_insert AFTER INSERT ON revocations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER revocations_stamp_update AFTER UPDATE ON revocations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER revocations_stamp_delete AFTER DELETE ON revocations REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER hours_entries_stamp_insert AFTER INSERT ON hours_entries REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER hours_entries_stamp_update AFTER UPDATE ON hours_entries REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER hours_entries_stamp_delete AFTER DELETE ON hours_entries REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('apprentice_id');
CREATE TRIGGER credentials_stamp_insert AFTER INSERT ON credentials REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('person_id');
CREATE TRIGGER credentials_stamp_update AFTER UPDATE ON credentials REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('person_id');
CREATE TRIGGER credentials_stamp_delete AFTER DELETE ON credentials REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps('person_id');
CREATE TRIGGER enrollment_moves_stamp_insert AFTER INSERT ON enrollment_moves REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps_moves();
CREATE TRIGGER enrollment_moves_stamp_update AFTER UPDATE ON enrollment_moves REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps_moves();
CREATE TRIGGER enrollment_moves_stamp_delete AFTER DELETE ON enrollment_moves REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION skillgate_bump_decision_stamps_moves();

-- only sqlite
CREATE TRIGGER enrollments_stamp_insert AFTER INSERT ON enrollments BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollments_stamp_update AFTER UPDATE ON enrollments BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollments_stamp_delete AFTER DELETE ON enrollments BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER observations_stamp_insert AFTER INSERT ON observations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER observations_stamp_update AFTER UPDATE ON observations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER observations_stamp_delete AFTER DELETE ON observations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER self_logs_stamp_insert AFTER INSERT ON self_logs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER self_logs_stamp_update AFTER UPDATE ON self_logs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER self_logs_stamp_delete AFTER DELETE ON self_logs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER test_results_stamp_insert AFTER INSERT ON test_results BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER test_results_stamp_update AFTER UPDATE ON test_results BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER test_results_stamp_delete AFTER DELETE ON test_results BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sign_offs_stamp_insert AFTER INSERT ON sign_offs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sign_offs_stamp_update AFTER UPDATE ON sign_offs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER sign_offs_stamp_delete AFTER DELETE ON sign_offs BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER revocations_stamp_insert AFTER INSERT ON revocations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER revocations_stamp_update AFTER UPDATE ON revocations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER revocations_stamp_delete AFTER DELETE ON revocations BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER hours_entries_stamp_insert AFTER INSERT ON hours_entries BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER hours_entries_stamp_update AFTER UPDATE ON hours_entries BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER hours_entries_stamp_delete AFTER DELETE ON hours_entries BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.apprentice_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER credentials_stamp_insert AFTER INSERT ON credentials BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.person_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER credentials_stamp_update AFTER UPDATE ON credentials BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (NEW.person_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER credentials_stamp_delete AFTER DELETE ON credentials BEGIN
    INSERT INTO decision_stamps (person_id, version) VALUES (OLD.person_id, 1) ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollment_moves_stamp_insert AFTER INSERT ON enrollment_moves BEGIN
    INSERT INTO decision_stamps (person_id, version) SELECT apprentice_id, 1 FROM enrollments WHERE id IN (NEW.from_enrollment_id, NEW.to_enrollment_id) ORDER BY 1 ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollment_moves_stamp_update AFTER UPDATE ON enrollment_moves BEGIN
    INSERT INTO decision_stamps (person_id, version) SELECT apprentice_id, 1 FROM enrollments WHERE id IN (NEW.from_enrollment_id, NEW.to_enrollment_id) ORDER BY 1 ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER enrollment_moves_stamp_delete AFTER DELETE ON enrollment_moves BEGIN
    INSERT INTO decision_stamps (person_id, version) SELECT apprentice_id, 1 FROM enrollments WHERE id IN (OLD.from_enrollment_id, OLD.to_enrollment_id) ORDER BY 1 ON CONFLICT (person_id) DO UPDATE SET version = version + 1;
END;
