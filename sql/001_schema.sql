-- sparkpost-event-db schema. Migrations run in file-name order, each once, under an advisory lock.

-- Trigram index for the legacy Message Events `reason` substring search.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per raw batch: which object it came from and what loading it did.
CREATE TABLE batches (
  batch_id        text PRIMARY KEY,
  object_key      text NOT NULL,
  received_at     timestamptz NOT NULL,
  loaded_at       timestamptz NOT NULL DEFAULT now(),
  status          text NOT NULL CHECK (status IN ('loaded', 'rejected')),
  event_count     integer NOT NULL DEFAULT 0,  -- events found in the batch
  inserted_count  integer NOT NULL DEFAULT 0,  -- rows written
  duplicate_count integer NOT NULL DEFAULT 0,  -- events already stored (same ts, event_id, type)
  skipped_count   integer NOT NULL DEFAULT 0,  -- elements holding no event, e.g. {"msys":{}}
  reason          text                         -- why a batch was rejected
);

-- Events, one partition per UTC day of the event's own timestamp (partitions are named events_YYYYMMDD).
-- The whole batch element is kept once, compressed, in `body` (see src/core/event-codec.ts). `terms`
-- holds every filterable value as prefixed strings (see src/core/terms.ts), separated by U+001F, under a
-- single GIN index on the array they split into. One string instead of a text[] column saves the 4-byte
-- header and alignment padding PostgreSQL stores for every array element (~40 terms an event).
CREATE TABLE events (
  ts       timestamptz NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  type     text COLLATE "C" NOT NULL,
  terms    text COLLATE "C" NOT NULL,
  reason   text,
  body     bytea NOT NULL
) PARTITION BY RANGE (ts);

-- Deduplication (an event in two batches is stored once) and the order of both query APIs: newest
-- first, then event_id and type ascending (the order SparkPost's own responses show for equal times),
-- read as a backward scan. `type` is part of the key because SparkPost's sample batches reuse one
-- event_id for every type.
CREATE UNIQUE INDEX events_key ON events (ts, event_id DESC, type DESC);

CREATE INDEX events_terms ON events USING gin ((string_to_array(terms, E'\x1f')));
CREATE INDEX events_reason_trgm ON events USING gin (reason gin_trgm_ops) WHERE reason IS NOT NULL;

-- Creates the partition for one UTC day unless it exists. Safe to call concurrently.
CREATE FUNCTION ensure_events_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  partition_name text := 'events_' || to_char(day, 'YYYYMMDD');
  qualified text := format('%I.%I', current_schema(), partition_name);
BEGIN
  IF to_regclass(qualified) IS NOT NULL THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('ensure_events_partition'), day - date '1970-01-01');
  IF to_regclass(qualified) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format(
    'CREATE TABLE %s PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
    qualified,
    (day::timestamp AT TIME ZONE 'UTC'),
    ((day + 1)::timestamp AT TIME ZONE 'UTC')
  );
  RETURN true;
EXCEPTION
  -- Taking an advisory lock does not refresh this session's catalog cache, so the second check can
  -- miss a partition another session has just committed: creating it again fails, and that is fine.
  WHEN duplicate_table THEN
    RETURN false;
END
$$;

-- Drops every day partition older than `before` (retention). Returns the names dropped.
CREATE FUNCTION drop_events_partitions_before(before date) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  partition_name text;
BEGIN
  FOR partition_name IN
    SELECT c.relname
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'events'
      AND p.relnamespace = current_schema()::regnamespace
      AND c.relname ~ '^events_[0-9]{8}$'
      AND to_date(substr(c.relname, 8), 'YYYYMMDD') < before
    ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I.%I', current_schema(), partition_name);
    RETURN NEXT partition_name;
  END LOOP;
END
$$;
