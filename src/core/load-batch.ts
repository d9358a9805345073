import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import type { Logger } from '../logger';
import type { BatchStore } from '../storage/batch-store';
import { type EventRow, rowsOfBatch } from './events';
import { batchIdFromKey } from './webhook';

const gunzip = promisify(gunzipCb);

export interface BatchLoad {
  readonly batchId: string;
  readonly objectKey: string;
  readonly receivedAt: Date;
  readonly rows: readonly EventRow[];
  readonly skipped: number;
}

export type LoadResult =
  | {
      readonly status: 'loaded';
      readonly inserted: number;
      readonly duplicates: number;
      readonly partitionsCreated: readonly string[];
    }
  | { readonly status: 'already-loaded' };

/** What the loader needs from the database (implemented in db/load.ts). */
export interface EventStore {
  load(batch: BatchLoad): Promise<LoadResult>;
  reject(batchId: string, objectKey: string, receivedAt: Date, reason: string): Promise<void>;
  /** Which of these batch ids are already loaded or rejected. */
  known(batchIds: readonly string[]): Promise<Set<string>>;
}

export interface LoadDeps {
  readonly store: BatchStore;
  readonly events: EventStore;
  readonly logger: Logger;
}

export type LoadOutcome =
  | LoadResult
  | { readonly status: 'rejected'; readonly reason: string }
  | { readonly status: 'ignored' };

/**
 * Loads one stored raw batch into PostgreSQL. Idempotent: a batch loaded twice, or an event present in
 * two batches, leaves one row. Transient failures (store, database) throw, so Lambda retries and then
 * hands the event to the on-failure queue; an object that can never load is recorded as rejected and
 * left in the store.
 */
export async function loadBatch(key: string, deps: LoadDeps): Promise<LoadOutcome> {
  const batchId = batchIdFromKey(key);
  if (batchId === undefined) {
    deps.logger.warn('object is not a raw batch; ignored', { key });
    return { status: 'ignored' };
  }
  const started = performance.now();
  const object = await deps.store.get(key);

  let batch: unknown;
  try {
    batch = JSON.parse((await gunzip(object.body)).toString('utf8'));
    if (!Array.isArray(batch)) throw new Error('the batch is not a JSON array');
  } catch (error) {
    const reason = `unreadable batch: ${(error as Error).message}`;
    await deps.events.reject(batchId, key, object.storedAt, reason);
    deps.logger.error('batch rejected', { batchId, key, reason });
    return { status: 'rejected', reason };
  }

  const parsed = rowsOfBatch(batch, object.storedAt.getTime());
  const result = await deps.events.load({
    batchId,
    objectKey: key,
    receivedAt: object.storedAt,
    rows: parsed.rows,
    skipped: parsed.skipped,
  });
  const ms = Math.round(performance.now() - started);
  if (result.status === 'already-loaded') {
    deps.logger.info('batch already loaded', { batchId, ms });
  } else {
    deps.logger.info('batch loaded', {
      batchId,
      events: parsed.rows.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      skipped: parsed.skipped,
      timestampFallbacks: parsed.timestampFallbacks,
      partitionsCreated: result.partitionsCreated,
      ms,
    });
    if (parsed.skipped > 0 || parsed.timestampFallbacks > 0) {
      deps.logger.warn('batch had elements without a usable event or timestamp', {
        batchId,
        skipped: parsed.skipped,
        timestampFallbacks: parsed.timestampFallbacks,
      });
    }
  }
  return result;
}

/**
 * Loads every stored batch the database does not know yet (local start-up, or `replay` after a restore).
 * Returns how many were loaded.
 */
export async function loadPending(deps: LoadDeps, prefix = 'batches/'): Promise<number> {
  const keys: string[] = [];
  for await (const key of deps.store.list(prefix)) keys.push(key);
  let loaded = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const ids = chunk.map((key) => batchIdFromKey(key)).filter((id): id is string => id !== undefined);
    const known = await deps.events.known(ids);
    for (const key of chunk) {
      const id = batchIdFromKey(key);
      if (id === undefined || known.has(id)) continue;
      const outcome = await loadBatch(key, deps);
      if (outcome.status === 'loaded') loaded += 1;
    }
  }
  return loaded;
}
