-- Trigram indexes (PostgreSQL pg_trgm) on people's lowercased names, emails and employee ids: searching for part of one (people directory, audit trail by person) reads the matches, not everyone; skipped where pg_trgm cannot be installed and on SQLite.

-- A search for part of a name ('%garcia%') cannot use a B-tree index:
-- at 44,000 people each search lowercased and compared every name, email
-- and employee id (about 60 ms a search on a loaded machine, and the audit
-- trail's "whose record" did it once per kind of record). A GIN trigram
-- index answers LIKE '%…%' and, from PostgreSQL 14, equality on the same
-- expression (the audit trail's "an email, any case"). The indexes change
-- what is fast, never what is found: without them (no pg_trgm on the
-- server, no right to install it) every search works as before.
--
-- The extension goes into the schema public when there is one, not the
-- current schema: an extension is installed once per database, and a
-- schema that is dropped with its contents would take it along from
-- every other schema's indexes. The operator class is named with the
-- schema the extension is in, whatever the search path.
-- only postgres
DO $$
DECLARE
    ext_schema text;
BEGIN
    SELECT n.nspname INTO ext_schema FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
                CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
            ELSE
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            -- No right to install it, or another migration installing it
            -- at the same moment: read again below.
            RAISE NOTICE 'pg_trgm not installed: %', SQLERRM;
        END;
        SELECT n.nspname INTO ext_schema FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    END IF;
    IF ext_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX users_name_trgm_idx ON users USING gin (LOWER(name) %I.gin_trgm_ops)', ext_schema);
        EXECUTE format('CREATE INDEX users_email_trgm_idx ON users USING gin (LOWER(email) %I.gin_trgm_ops)', ext_schema);
        EXECUTE format('CREATE INDEX users_employee_id_trgm_idx ON users USING gin (LOWER(COALESCE(employee_id, %L)) %I.gin_trgm_ops)', '', ext_schema);
    END IF;
END
$$;
