import type pg from 'pg';

/**
 * Reference loader 1: the 2017 design of SparkPost's open-source `event-data` project, rebuilt here from
 * its description (not its code): a parent `events` table with a dozen extracted columns plus the event
 * as jsonb, a BEFORE INSERT row trigger in plpgsql that creates a monthly child table via INHERITS on
 * first use and re-inserts the row into it (`EXECUTE … USING NEW; RETURN NULL`), one multi-row INSERT
 * per batch in one transaction with the batch id, no indexes on the events.
 */
export const SCHEMA_2017 = `
CREATE TABLE batches (
  batch_uuid text PRIMARY KEY,
  loaded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE events (
  event_id bigint NOT NULL,
  "timestamp" double precision NOT NULL,
  type text NOT NULL,
  bounce_class int,
  campaign_id text,
  friendly_from text,
  message_id text,
  reason text,
  rcpt_to text,
  subaccount_id int,
  template_id text,
  transmission_id bigint,
  event jsonb
);

CREATE FUNCTION events_route_to_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  month_start date := date_trunc('month', to_timestamp(NEW."timestamp") AT TIME ZONE 'UTC')::date;
  child text := TG_TABLE_NAME || '_' || to_char(month_start, 'YYYYMM');
  lock_key int := (extract(year FROM month_start) * 100 + extract(month FROM month_start))::int;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = TG_TABLE_SCHEMA AND tablename = child) THEN
    -- Creating a month takes the month's lock exclusively; inserting takes it shared (below).
    PERFORM pg_advisory_xact_lock(42, lock_key);
    BEGIN
      EXECUTE format(
        'CREATE TABLE %I.%I (CHECK (to_timestamp("timestamp") AT TIME ZONE ''UTC'' >= %L
           AND to_timestamp("timestamp") AT TIME ZONE ''UTC'' < %L)) INHERITS (%I.%I)',
        TG_TABLE_SCHEMA, child, month_start, (month_start + interval '1 month')::date,
        TG_TABLE_SCHEMA, TG_TABLE_NAME);
    EXCEPTION WHEN duplicate_table THEN
      NULL;
    END;
  END IF;
  PERFORM pg_advisory_xact_lock_shared(42, lock_key);
  EXECUTE format('INSERT INTO %I.%I VALUES ($1.*)', TG_TABLE_SCHEMA, child) USING NEW;
  RETURN NULL;
END
$$;

CREATE TRIGGER events_route BEFORE INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION events_route_to_month();
`;

const COLUMNS = [
  'event_id',
  'timestamp',
  'type',
  'bounce_class',
  'campaign_id',
  'friendly_from',
  'message_id',
  'reason',
  'rcpt_to',
  'subaccount_id',
  'template_id',
  'transmission_id',
] as const;

export interface Load2017Timing {
  /** Node: JSON.parse of the body and building the statement's values. */
  readonly prepareMs: number;
  /** The transaction: batch row, the multi-row INSERT (trigger included), commit. */
  readonly databaseMs: number;
}

/** Loads one raw batch body the 2017 way. */
export async function load2017(pool: pg.Pool, batchId: string, body: Buffer): Promise<Load2017Timing> {
  const started = performance.now();
  const elements = JSON.parse(body.toString('utf8')) as Array<{ msys?: Record<string, unknown> }>;
  const values: unknown[] = [];
  const tuples: string[] = [];
  const width = COLUMNS.length + 1;
  for (const element of elements) {
    const msys = element.msys ?? {};
    const event = Object.values(msys)[0] as Record<string, unknown> | undefined;
    if (!event) continue;
    const base = values.length;
    for (const column of COLUMNS) values.push(event[column] ?? null);
    values.push(JSON.stringify(event));
    const placeholders: string[] = [];
    for (let i = 1; i <= width; i += 1) placeholders.push(`$${base + i}`);
    tuples.push(`(${placeholders.join(',')})`);
  }
  const insert = `INSERT INTO events (${COLUMNS.map((c) => `"${c}"`).join(',')}, event) VALUES ${tuples.join(',')}`;
  const prepared = performance.now();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO batches (batch_uuid) VALUES ($1)', [batchId]);
    if (tuples.length > 0) await client.query(insert, values);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return { prepareMs: prepared - started, databaseMs: performance.now() - prepared };
}
