import type { BatchLoad, EventStore, LoadResult } from '../core/ports';
import { utcDay } from '../core/time';
import { ensurePartitions } from './partitions';
import { CHECK_VIOLATION, type Db, type Queryable } from './pool';

/**
 * One batch may touch at most this many UTC days. Each day is a partition the insert locks (with its
 * indexes), and a batch spread over thousands of days would exhaust PostgreSQL's lock table ("out of
 * shared memory") on every attempt. SparkPost batches are a live stream: a few days at most.
 */
export const MAX_DAYS_PER_BATCH = 64;

/**
 * SQLSTATE classes of errors about the data of a row (22 data exception, 23 integrity, 54 program limit,
 * e.g. an index entry too large): inserting the same row again fails again. Anything else (connection,
 * resources, cancellation, a missing table) is about the database, and the whole batch is retried.
 */
const ABOUT_THE_ROW = /^(22|23|54)/;

function isAboutTheRow(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && ABOUT_THE_ROW.test(code) && code !== CHECK_VIOLATION;
}

/**
 * The loader's database half. One transaction per batch: claim the batch row (a concurrent or repeated
 * load of the same batch waits, then finds it claimed), insert every event in one statement with
 * ON CONFLICT DO NOTHING (an event already stored from another batch is skipped), record the counts.
 *
 * No event can block its batch: when PostgreSQL refuses the bulk insert because of a row's data, the
 * batch is loaded again with the rows bisected under savepoints, so each refused event is found and
 * counted on the batch record with the reason, and every other event is stored.
 */
export function createEventStore(db: Db): EventStore {
  const knownDays = new Set<string>();

  async function load(batch: BatchLoad): Promise<LoadResult> {
    const { kept, beyond } = withinDayLimit(batch.rows);
    const rejected = [
      ...(batch.rejected ?? []),
      ...Array.from(
        { length: beyond },
        () => `the batch spans more than ${MAX_DAYS_PER_BATCH} days; this event's day was left out`,
      ),
    ];
    const days = [...new Set(kept.map((row) => utcDay(row.ts)))].sort();
    let partitionsCreated = await ensurePartitions(db, days, knownDays);
    const attempt = (isolate: boolean) => insert(batch, kept, rejected, partitionsCreated, isolate);
    try {
      return await attempt(false);
    } catch (error) {
      if ((error as { code?: string }).code === CHECK_VIOLATION) {
        // A partition dropped by retention since we cached it: forget the cache and try once more.
        knownDays.clear();
        partitionsCreated = [...partitionsCreated, ...(await ensurePartitions(db, days, knownDays))];
        return attempt(false);
      }
      if (!isAboutTheRow(error)) throw error;
      return attempt(true);
    }
  }

  async function insert(
    batch: BatchLoad,
    rows: BatchLoad['rows'],
    rejected: readonly string[],
    partitionsCreated: readonly string[],
    isolate: boolean,
  ): Promise<LoadResult> {
    return db.transaction(async (tx) => {
      const claim = await tx.query(
        `INSERT INTO batches (batch_id, object_key, received_at, status, event_count, skipped_count)
         VALUES ($1, $2, $3, 'loaded', $4, $5)
         ON CONFLICT (batch_id) DO NOTHING`,
        [
          batch.batchId,
          batch.objectKey,
          batch.receivedAt,
          batch.rows.length + (batch.rejected?.length ?? 0),
          batch.skipped,
        ],
      );
      if (claim.rowCount === 0) return { status: 'already-loaded' } as const;

      const refused: string[] = [];
      const inserted = isolate ? await insertIsolated(tx, rows, refused) : await insertRows(tx, rows);
      const rejections: Record<string, number> = {};
      for (const reason of [...rejected, ...refused]) {
        rejections[reason] = (rejections[reason] ?? 0) + 1;
      }
      const rejectedCount = rejected.length + refused.length;
      const duplicates = rows.length - inserted - refused.length;
      await tx.query(
        `UPDATE batches SET inserted_count = $2, duplicate_count = $3, rejected_count = $4, rejections = $5
         WHERE batch_id = $1`,
        [batch.batchId, inserted, duplicates, rejectedCount, rejectedCount > 0 ? rejections : null],
      );
      return { status: 'loaded', inserted, duplicates, rejections, partitionsCreated } as const;
    });
  }

  /** Records a batch that can never load (e.g. a corrupt object); the raw object stays in the store. */
  async function reject(batchId: string, objectKey: string, receivedAt: Date, reason: string): Promise<void> {
    await db.query(
      `INSERT INTO batches (batch_id, object_key, received_at, status, reason)
       VALUES ($1, $2, $3, 'rejected', $4)
       ON CONFLICT (batch_id) DO NOTHING`,
      [batchId, objectKey, receivedAt, reason],
    );
  }

  /** Batch ids already loaded or rejected, among `batchIds`. */
  async function known(batchIds: readonly string[]): Promise<Set<string>> {
    const result = await db.query<{ batch_id: string }>(
      'SELECT batch_id FROM batches WHERE batch_id = ANY($1::text[])',
      [batchIds],
    );
    return new Set(result.rows.map((row) => row.batch_id));
  }

  async function forgetBatches(): Promise<number> {
    return (await db.query('DELETE FROM batches')).rowCount ?? 0;
  }

  return { load, reject, known, forgetBatches };
}

/** One statement for all the rows; returns how many were new. */
async function insertRows(tx: Queryable, rows: BatchLoad['rows']): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await tx.query(
    `INSERT INTO events (ts, event_id, type, terms, reason, body)
     SELECT timestamptz 'epoch' + r.ms * interval '1 millisecond', r.event_id, r.type, r.terms, r.reason, r.body
     FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])
       AS r(ms, event_id, type, terms, reason, body)
     ON CONFLICT (ts, event_id, type) DO NOTHING`,
    [
      rows.map((row) => row.ts),
      rows.map((row) => row.eventId),
      rows.map((row) => row.type),
      // Terms never hold control characters (terms.ts), so U+001F can separate them.
      rows.map((row) => row.terms.join('\u001f')),
      rows.map((row) => row.reason),
      rows.map((row) => row.body),
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * Inserts the rows in halves under a savepoint until each refused row stands alone: k refused rows of n
 * cost about 2k·log₂(n) statements. Pushes the reason of each refused row onto `refused`.
 */
async function insertIsolated(tx: Queryable, rows: BatchLoad['rows'], refused: string[]): Promise<number> {
  if (rows.length === 0) return 0;
  await tx.query('SAVEPOINT isolate');
  try {
    const inserted = await insertRows(tx, rows);
    await tx.query('RELEASE SAVEPOINT isolate');
    return inserted;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT isolate');
    await tx.query('RELEASE SAVEPOINT isolate');
    if (!isAboutTheRow(error)) throw error;
    if (rows.length === 1) {
      const { code, message } = error as { code: string; message: string };
      // PostgreSQL echoes an offending value at the end of some messages (`…: "value"`): not kept.
      const text = message.replace(/: ".*"$/s, '');
      refused.push(`the database refused the event (SQLSTATE ${code}): ${text}`.slice(0, 300));
      return 0;
    }
    const middle = Math.ceil(rows.length / 2);
    return (
      (await insertIsolated(tx, rows.slice(0, middle), refused)) +
      (await insertIsolated(tx, rows.slice(middle), refused))
    );
  }
}

/**
 * The rows of at most MAX_DAYS_PER_BATCH days: the days with the most events, ties to the most recent.
 * `beyond` counts the others.
 */
function withinDayLimit(rows: BatchLoad['rows']): { kept: BatchLoad['rows']; beyond: number } {
  const perDay = new Map<string, number>();
  for (const row of rows) {
    const day = utcDay(row.ts);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  if (perDay.size <= MAX_DAYS_PER_BATCH) return { kept: rows, beyond: 0 };
  const allowed = new Set(
    [...perDay.entries()]
      .sort(([dayA, a], [dayB, b]) => b - a || (dayA < dayB ? 1 : -1))
      .slice(0, MAX_DAYS_PER_BATCH)
      .map(([day]) => day),
  );
  const kept = rows.filter((row) => allowed.has(utcDay(row.ts)));
  return { kept, beyond: rows.length - kept.length };
}
