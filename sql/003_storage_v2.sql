-- Storage v2: dictionary codes and 64-bit hashes instead of terms, bodies deflated 32 to a chunk.
-- See src/core/events/codes.ts (what is indexed, and how) and src/core/events/chunks.ts (bodies).
--
-- The events of v1 stay where they are, renamed events_v1 (and events_v1_YYYYMMDD), until the service
-- converts them (src/db/convert-v1.ts: it decodes each v1 body, so it runs in Node, not here); queries
-- read v2 only, so converted events reappear day by day, newest first.

-- Conversion reads v1 rows in order of their partitions, never through an index: its indexes go (their
-- names would also clash with v2's).
DROP INDEX events_key;
DROP INDEX events_terms;
DROP INDEX events_reason_trgm;
ALTER TABLE events RENAME TO events_v1;
DO $$
DECLARE
  partition_name text;
BEGIN
  FOR partition_name IN
    SELECT c.relname FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'events_v1' AND p.relnamespace = current_schema()::regnamespace
  LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', partition_name, 'events_v1_' || substr(partition_name, 8));
  END LOOP;
END
$$;
DROP FUNCTION ensure_events_partition(date);
DROP FUNCTION drop_events_partitions_before(date);

-- The dictionary: one row per (field, value) a code stands for, with the value's keywords (' k1 k2 … ',
-- for keyword and phrase search) and, for whole subjects, the ids of its keywords. `last_seen` is the
-- newest event day that used the entry: maintenance deletes entries no retained day uses.
CREATE SEQUENCE terms_dict_id_seq AS integer;
CREATE TABLE terms_dict (
  id        integer PRIMARY KEY DEFAULT nextval('terms_dict_id_seq'),
  field     text COLLATE "C" NOT NULL,
  value     text COLLATE "C" NOT NULL,
  kw        text COLLATE "C",
  kwids     integer[],
  last_seen date NOT NULL,
  UNIQUE (field, value)
);
ALTER SEQUENCE terms_dict_id_seq OWNED BY terms_dict.id;
CREATE INDEX terms_dict_kwids ON terms_dict USING gin (kwids) WHERE kwids IS NOT NULL;

-- The hash the loader indexes high-cardinality values by (codes.ts hash64): the first 8 bytes of
-- MD5('<prefix>=<value>'), for ad-hoc SQL, e.g. hcodes && ARRAY[event_hash('r', 'alice@example.com')].
CREATE FUNCTION event_hash(prefix text, value text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ('x' || substr(md5(prefix || '=' || value), 1, 16))::bit(64)::bigint;

-- Events, one partition per UTC day of the event's own time (events_YYYYMMDD), fixed-width columns first.
--   eh      hash of the event id (codes.ts): with type and ts, the unique key that deduplicates
--   chunk   the event_chunks row holding the body, at position pos
--   subj    the dictionary id of the whole subject (phrase checks)
--   codes   dictionary ids; hcodes: hashes of recipient, message, transmission and rcpt_meta pairs
CREATE TABLE events (
  ts       timestamptz NOT NULL,
  eh       bigint NOT NULL,
  chunk    bigint NOT NULL,
  subj     integer,
  pos      smallint NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  type     text COLLATE "C" NOT NULL,
  codes    integer[] NOT NULL,
  hcodes   bigint[] NOT NULL,
  reason   text
) PARTITION BY RANGE (ts);

CREATE UNIQUE INDEX events_key ON events (eh, type, ts);
-- The order of both query APIs (newest first, then event_id and type): a backward scan of this index,
-- and an incremental sort of each timestamp's few rows.
CREATE INDEX events_ts ON events (ts);
-- Small pending lists: the 4 MB default leaves 35-40 B/event of dead pages between vacuums.
CREATE INDEX events_codes ON events USING gin (codes) WITH (gin_pending_list_limit = 256);
CREATE INDEX events_hcodes ON events USING gin (hcodes) WITH (gin_pending_list_limit = 256);
CREATE INDEX events_reason_trgm ON events USING gin (reason gin_trgm_ops)
  WITH (gin_pending_list_limit = 256) WHERE reason IS NOT NULL;

-- Bodies, CHUNK_EVENTS to a row, partitioned by the day in the top 32 bits of chunk_id, so that a day's
-- chunks go with its events. Already deflated: no TOAST compression attempt.
CREATE TABLE event_chunks (
  chunk_id bigint NOT NULL,
  z        bytea NOT NULL
) PARTITION BY RANGE (chunk_id);
ALTER TABLE event_chunks ALTER COLUMN z SET STORAGE EXTERNAL;
CREATE UNIQUE INDEX event_chunks_id ON event_chunks (chunk_id);
-- Chunk numbers (the low 32 bits of chunk ids), taken by each batch for its chunks.
CREATE SEQUENCE event_chunk_seq;

-- Creates the partitions of one UTC day (events and their chunks) unless they exist. Safe concurrently.
CREATE FUNCTION ensure_events_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  suffix text := to_char(day, 'YYYYMMDD');
  events_name text := format('%I.%I', current_schema(), 'events_' || suffix);
  chunks_name text := format('%I.%I', current_schema(), 'event_chunks_' || suffix);
  epoch_day bigint := day - date '1970-01-01';
BEGIN
  IF to_regclass(events_name) IS NOT NULL AND to_regclass(chunks_name) IS NOT NULL THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('ensure_events_partition'), epoch_day::integer);
  IF to_regclass(events_name) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE %s PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
      events_name,
      (day::timestamp AT TIME ZONE 'UTC'),
      ((day + 1)::timestamp AT TIME ZONE 'UTC')
    );
  END IF;
  IF to_regclass(chunks_name) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE %s PARTITION OF event_chunks FOR VALUES FROM (%s) TO (%s)',
      chunks_name, epoch_day << 32, (epoch_day + 1) << 32
    );
  END IF;
  RETURN true;
EXCEPTION
  -- Taking an advisory lock does not refresh this session's catalog cache, so the second check can
  -- miss a partition another session has just committed: creating it again fails, and that is fine.
  WHEN duplicate_table THEN
    RETURN false;
END
$$;

-- Drops every day partition (events and chunks) older than `before` (retention), then the dictionary
-- entries no remaining day uses. Returns the event partitions dropped.
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
    WHERE p.relname IN ('events', 'event_chunks')
      AND p.relnamespace = current_schema()::regnamespace
      AND c.relname ~ '^(events|event_chunks)_[0-9]{8}$'
      AND to_date(right(c.relname, 8), 'YYYYMMDD') < before
    ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I.%I', current_schema(), partition_name);
    IF partition_name LIKE 'events\_%' THEN
      RETURN NEXT partition_name;
    END IF;
  END LOOP;
  DELETE FROM terms_dict WHERE last_seen < before;
END
$$;
