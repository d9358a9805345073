import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import type { Logger } from '../logger';
import { BATCH_PREFIX, batchIdFromKey } from './batch-key';
import { type ParsedBatch, rowsOfBatch } from './events/rows';
import type { BatchStore, EventStore, LoadResult } from './ports';

const gunzip = promisify(gunzipCb);

export interface LoadDeps {
  readonly store: BatchStore;
  readonly events: EventStore;
  readonly logger: Logger;
}

export type LoadOutcome =
  | LoadResult
  | { readonly status: 'rejected'; readonly reason: string }
  | { readonly status: 'ignored' };

/** A batch read and turned into rows, ready for the database (or found unreadable). */
type PreparedBatch =
  | {
      readonly kind: 'rows';
      readonly key: string;
      readonly batchId: string;
      readonly storedAt: Date;
      readonly parsed: ParsedBatch;
      readonly started: number;
    }
  | {
      readonly kind: 'unreadable';
      readonly key: string;
      readonly batchId: string;
      readonly storedAt: Date;
      readonly reason: string;
    }
  | { readonly kind: 'ignored'; readonly key: string };

/**
 * The Node half of a load: read the object, decompress, parse, build rows (terms, compressed bodies).
 * Throws only on a store failure.
 */
async function prepareBatch(key: string, deps: Pick<LoadDeps, 'store'>): Promise<PreparedBatch> {
  const batchId = batchIdFromKey(key);
  if (batchId === undefined) return { kind: 'ignored', key };
  const started = performance.now();
  const object = await deps.store.get(key);
  let batch: unknown;
  try {
    batch = JSON.parse((await gunzip(object.body)).toString('utf8'));
    if (!Array.isArray(batch)) throw new Error('the batch is not a JSON array');
  } catch (error) {
    return {
      kind: 'unreadable',
      key,
      batchId,
      storedAt: object.storedAt,
      reason: `unreadable batch: ${(error as Error).message}`,
    };
  }
  return {
    kind: 'rows',
    key,
    batchId,
    storedAt: object.storedAt,
    parsed: rowsOfBatch(batch, object.storedAt.getTime()),
    started,
  };
}

/** The database half of a load: one transaction for the batch, or the rejection record. */
async function commitBatch(prepared: PreparedBatch, deps: LoadDeps): Promise<LoadOutcome> {
  if (prepared.kind === 'ignored') {
    deps.logger.warn('object is not a raw batch; ignored', { key: prepared.key });
    return { status: 'ignored' };
  }
  const { batchId, key } = prepared;
  // Every line about this batch carries its id.
  const log = deps.logger.child({ batchId });
  if (prepared.kind === 'unreadable') {
    await deps.events.reject(batchId, key, prepared.storedAt, prepared.reason);
    log.error('batch rejected', { key, reason: prepared.reason });
    return { status: 'rejected', reason: prepared.reason };
  }
  const { parsed } = prepared;
  const result = await deps.events.load({
    batchId,
    objectKey: key,
    receivedAt: prepared.storedAt,
    rows: parsed.rows,
    skipped: parsed.skipped,
  });
  const ms = Math.round(performance.now() - prepared.started);
  if (result.status === 'already-loaded') {
    log.info('batch already loaded', { ms });
    return result;
  }
  log.info('batch loaded', {
    events: parsed.rows.length,
    inserted: result.inserted,
    duplicates: result.duplicates,
    skipped: parsed.skipped,
    timestampFallbacks: parsed.timestampFallbacks,
    partitionsCreated: result.partitionsCreated,
    ms,
  });
  if (parsed.skipped > 0 || parsed.timestampFallbacks > 0) {
    log.warn('batch had elements without a usable event or timestamp', {
      skipped: parsed.skipped,
      timestampFallbacks: parsed.timestampFallbacks,
    });
  }
  return result;
}

/**
 * Loads one stored raw batch into PostgreSQL. Idempotent: a batch loaded twice, or an event present in
 * two batches, leaves one row. Transient failures (store, database) throw, so Lambda retries and then
 * hands the event to the on-failure queue; an object that can never load is recorded as rejected and
 * left in the store.
 */
export async function loadBatch(key: string, deps: LoadDeps): Promise<LoadOutcome> {
  return commitBatch(await prepareBatch(key, deps), deps);
}

/**
 * Loads batches in order, preparing the next one while the database writes the current one, so that
 * Node's work (decompress, parse, compress bodies) and PostgreSQL's overlap. Stops at the first failure.
 */
export async function loadBatches(keys: readonly string[], deps: LoadDeps): Promise<LoadOutcome[]> {
  const outcomes: LoadOutcome[] = [];
  let next: Promise<PreparedBatch> | undefined =
    keys[0] === undefined ? undefined : prepareBatch(keys[0], deps);
  for (let i = 0; next; i += 1) {
    const prepared: PreparedBatch = await next;
    const following = keys[i + 1];
    next = following === undefined ? undefined : prepareBatch(following, deps);
    try {
      outcomes.push(await commitBatch(prepared, deps));
    } catch (error) {
      // Nothing is lost: the failed batch and the rest stay in the store for the next attempt.
      next?.catch(() => undefined);
      throw error;
    }
  }
  return outcomes;
}

/**
 * Loads every stored batch the database does not know yet (local start-up, or `replay` after a restore).
 * Returns how many were loaded.
 */
export async function loadPending(deps: LoadDeps): Promise<number> {
  const keys: string[] = [];
  for await (const key of deps.store.list(BATCH_PREFIX)) keys.push(key);
  let loaded = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const ids = chunk.map((key) => batchIdFromKey(key)).filter((id): id is string => id !== undefined);
    const known = await deps.events.known(ids);
    const pending = chunk.filter((key) => {
      const id = batchIdFromKey(key);
      return id !== undefined && !known.has(id);
    });
    const outcomes = await loadBatches(pending, deps);
    loaded += outcomes.filter((outcome) => outcome.status === 'loaded').length;
  }
  return loaded;
}
