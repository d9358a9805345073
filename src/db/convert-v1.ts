import { decodeEvent } from '../core/events/body-codec';
import { type EventRow, rowOf } from '../core/events/rows';
import type { Logger } from '../logger';
import type { createEventStore } from './event-store';
import type { Db } from './pool';

/** Rows read and written at a time. */
const SLICE = 2000;

export interface ConversionReport {
  readonly converted: number;
  /** Day partitions of v1 still to convert (0: done, and v1's tables are gone). */
  readonly remainingDays: number;
}

/**
 * Converts the events of storage v1 (renamed `events_v1` by migration 003) into v2, a day partition at a
 * time, newest first: each v1 body (raw deflate, dictionary v1) is decoded and the element goes through
 * the same row building and write as a load, with the time v1 stored for it. A converted day's v1
 * partition is dropped at once, so the work resumes where it stopped; when none is left, `events_v1`
 * goes too. Idempotent: an event already in v2 is skipped by the unique key. Stops, between days, once
 * `deadline` (epoch ms) has passed.
 */
export async function convertV1(
  db: Db,
  store: Pick<ReturnType<typeof createEventStore>, 'write'>,
  logger: Logger,
  { deadline = Number.POSITIVE_INFINITY }: { deadline?: number } = {},
): Promise<ConversionReport> {
  const exists = await db.query<{ present: boolean }>(
    "SELECT to_regclass('events_v1') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return { converted: 0, remainingDays: 0 };
  const partitions = async () =>
    (
      await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'events_v1'::regclass ORDER BY c.relname DESC`,
      )
    ).rows.map((row) => row.name);

  let converted = 0;
  for (const name of await partitions()) {
    if (Date.now() > deadline) return { converted, remainingDays: (await partitions()).length };
    const count = await convertPartition(db, store, name);
    converted += count;
    logger.info('v1 events converted', { partition: name, events: count });
  }
  await db.query('DROP TABLE events_v1');
  logger.info('storage v1 converted', { events: converted });
  return { converted, remainingDays: 0 };
}

async function convertPartition(
  db: Db,
  store: Pick<ReturnType<typeof createEventStore>, 'write'>,
  partition: string,
): Promise<number> {
  let count = 0;
  await db.withClient(async (client) => {
    await client.query('BEGIN');
    try {
      // A cursor: a day of v1 rows at once would not fit in memory comfortably.
      await client.query(
        `DECLARE v1 NO SCROLL CURSOR FOR SELECT ts, body FROM "${partition.replaceAll('"', '""')}"`,
      );
      for (;;) {
        const slice = await client.query<{ ts: Date; body: Buffer }>(`FETCH ${SLICE} FROM v1`);
        if (slice.rows.length === 0) break;
        const rows: EventRow[] = [];
        for (const v1 of slice.rows) {
          const ts = v1.ts.getTime();
          const outcome = rowOf(decodeEvent(v1.body), ts);
          // v1 stored events that v2 would refuse (none are known): they stay in the raw batches.
          if (outcome.kind === 'row') rows.push({ ...outcome.row, ts });
        }
        await store.write(rows);
        count += rows.length;
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
  await db.query(`DROP TABLE "${partition.replaceAll('"', '""')}"`);
  return count;
}
