import type { BatchLoad, EventStore, LoadResult } from '../core/ports';
import { utcDay } from '../core/time';
import { ensurePartitions } from './partitions';
import { CHECK_VIOLATION, type Db } from './pool';

/**
 * The loader's database half. One transaction per batch: claim the batch row (a concurrent or repeated
 * load of the same batch waits, then finds it claimed), insert every event in one statement with
 * ON CONFLICT DO NOTHING (an event already stored from another batch is skipped), record the counts.
 */
export function createEventStore(db: Db): EventStore {
  const knownDays = new Set<string>();

  async function load(batch: BatchLoad): Promise<LoadResult> {
    const days = new Set(batch.rows.map((row) => utcDay(row.ts)));
    const partitionsCreated = await ensurePartitions(db, [...days].sort(), knownDays);
    try {
      return await insert(batch, partitionsCreated);
    } catch (error) {
      // A partition dropped by retention since we cached it: forget the cache and try once more.
      if ((error as { code?: string }).code !== CHECK_VIOLATION) throw error;
      knownDays.clear();
      await ensurePartitions(db, [...days].sort(), knownDays);
      return insert(batch, partitionsCreated);
    }
  }

  async function insert(batch: BatchLoad, partitionsCreated: string[]): Promise<LoadResult> {
    return db.transaction(async (tx) => {
      const claim = await tx.query(
        `INSERT INTO batches (batch_id, object_key, received_at, status, event_count, skipped_count)
         VALUES ($1, $2, $3, 'loaded', $4, $5)
         ON CONFLICT (batch_id) DO NOTHING`,
        [batch.batchId, batch.objectKey, batch.receivedAt, batch.rows.length, batch.skipped],
      );
      if (claim.rowCount === 0) return { status: 'already-loaded' } as const;

      let inserted = 0;
      if (batch.rows.length > 0) {
        const result = await tx.query(
          `INSERT INTO events (ts, event_id, type, terms, reason, body)
           SELECT timestamptz 'epoch' + r.ms * interval '1 millisecond', r.event_id, r.type, r.terms, r.reason, r.body
           FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])
             AS r(ms, event_id, type, terms, reason, body)
           ON CONFLICT (ts, event_id, type) DO NOTHING`,
          [
            batch.rows.map((row) => row.ts),
            batch.rows.map((row) => row.eventId),
            batch.rows.map((row) => row.type),
            // Terms never hold control characters (terms.ts), so U+001F can separate them.
            batch.rows.map((row) => row.terms.join('\u001f')),
            batch.rows.map((row) => row.reason),
            batch.rows.map((row) => row.body),
          ],
        );
        inserted = result.rowCount ?? 0;
      }
      const duplicates = batch.rows.length - inserted;
      await tx.query('UPDATE batches SET inserted_count = $2, duplicate_count = $3 WHERE batch_id = $1', [
        batch.batchId,
        inserted,
        duplicates,
      ]);
      return { status: 'loaded', inserted, duplicates, partitionsCreated } as const;
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
