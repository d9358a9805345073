-- events_reader: the role the query APIs run as. It reads every table and writes only the API keys it
-- manages (POST/DELETE /api/v1/api-keys, and a key's last_used_at), so a bug in a query path cannot
-- change or delete events, batches or the schema. It cannot log in: the query function connects as the
-- migrating user and its sessions take this role at connection start (PG_ROLE, `SET ROLE` semantics;
-- docs/DEPLOY.md, "Database safety"). Queries get a statement timeout below the function's timeout too.
--
-- A role belongs to the whole server, not to this database: several databases of one server (the tests,
-- or a shared server) create it once, and the first creator wins a race.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'events_reader') THEN
    CREATE ROLE events_reader NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

-- The migrating user (the RDS master user on AWS) may take the role. From PostgreSQL 16 the creator of a
-- role administers it but is not a member unless granted; granting it again is harmless.
GRANT events_reader TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO events_reader;
-- Tables reached through a partitioned table (events, event_chunks) need no grant of their own.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO events_reader;
GRANT INSERT, UPDATE, DELETE ON api_keys TO events_reader;
-- Tables later migrations create, as the same user, are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO events_reader;
