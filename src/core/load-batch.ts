import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';
import { BATCH_PREFIX, batchIdFromKey } from './batch-key';
import { type PackedRows, packableEvent, packing } from './events/chunks';
import {
  addOutcome,
  BEYOND_DAY_LIMIT,
  type EventRow,
  emptyParsedBatch,
  FUTURE_EVENT,
  type ParsedBatch,
  type RetentionPolicy,
  rowOf,
  withinDayLimit,
  withinRetention,
} from './events/rows';
import type { BatchStore, EventStore, LoadResult } from './ports';

const gunzip = promisify(gunzipCb);

export interface LoadDeps {
  readonly store: BatchStore;
  readonly events: EventStore;
  readonly logger: Logger;
  /** With RETENTION_DAYS set: events of days maintenance drops are not stored (counted as expired). */
  readonly retention?: RetentionPolicy;
}

export type LoadOutcome =
  | LoadResult
  | { readonly status: 'rejected'; readonly reason: string }
  /** Not a raw batch key, or the object is gone from the store: nothing to load. */
  | { readonly status: 'ignored'; readonly reason: string };

/** A batch read and turned into rows, ready for the database (or found unreadable). */
type PreparedBatch =
  | {
      readonly kind: 'rows';
      readonly key: string;
      readonly batchId: string;
      readonly storedAt: Date;
      readonly parsed: ParsedBatch;
      readonly packed: PackedRows<EventRow>;
      readonly expired: number;
      readonly started: number;
    }
  | {
      readonly kind: 'unreadable';
      readonly key: string;
      readonly batchId: string;
      readonly storedAt: Date;
      readonly reason: string;
    }
  | { readonly kind: 'ignored'; readonly key: string; readonly reason: string };

/** Elements turned into rows between two turns of the event loop, so a large batch never stalls the webhook. */
const ELEMENTS_PER_TURN = 64;

/**
 * The Node half of a load: read the object, decompress, parse, build rows (terms, compressed bodies), a
 * slice of elements per turn of the event loop. Throws only when the store cannot be read.
 */
async function prepareBatch(
  key: string,
  deps: Pick<LoadDeps, 'store' | 'retention'>,
): Promise<PreparedBatch> {
  const batchId = batchIdFromKey(key);
  if (batchId === undefined) return { kind: 'ignored', key, reason: 'not a raw batch key' };
  const started = performance.now();
  let object: Awaited<ReturnType<BatchStore['get']>>;
  try {
    object = await deps.store.get(key);
  } catch (error) {
    if (isMissing(error)) return { kind: 'ignored', key, reason: 'the object is no longer in the store' };
    throw new UnavailableError('The batch store could not be read', { cause: error });
  }
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
      reason: `unreadable batch: ${(error as Error).message}`.slice(0, 300),
    };
  }
  const parsed = emptyParsedBatch();
  const fallbackTs = object.storedAt.getTime();
  for (let i = 0; i < batch.length; i += 1) {
    if (i > 0 && i % ELEMENTS_PER_TURN === 0) await nextTurn();
    addOutcome(parsed, rowOf(batch[i], fallbackTs));
  }
  const retained = withinRetention(parsed.rows, deps.retention);
  // Bodies packed here, a chunk per turn, so that the database's turn holds only its statements.
  const { kept, beyond } = withinDayLimit(retained.kept);
  const rejected = [
    ...parsed.rejected,
    ...Array.from({ length: retained.future }, () => FUTURE_EVENT),
    ...Array.from({ length: beyond }, () => BEYOND_DAY_LIMIT),
  ];
  const steps = packing(kept, packableEvent);
  let step = steps.next();
  for (; !step.done; step = steps.next()) await nextTurn();
  return {
    kind: 'rows',
    key,
    batchId,
    storedAt: object.storedAt,
    parsed: { ...parsed, rows: [...kept], rejected },
    packed: step.value,
    expired: retained.expired,
    started,
  };
}

function isMissing(error: unknown): boolean {
  const { code, name } = error as { code?: unknown; name?: unknown };
  return code === 'ENOENT' || name === 'NoSuchKey' || name === 'NotFound';
}

/** The database half of a load: one transaction for the batch, or the rejection record. */
async function commitBatch(prepared: PreparedBatch, deps: LoadDeps): Promise<LoadOutcome> {
  if (prepared.kind === 'ignored') {
    deps.logger.warn('object ignored', { key: prepared.key, reason: prepared.reason });
    return { status: 'ignored', reason: prepared.reason };
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
    rejected: parsed.rejected,
    packed: prepared.packed,
    expired: prepared.expired,
  });
  const ms = Math.round(performance.now() - prepared.started);
  if (result.status === 'already-loaded') {
    log.info('batch already loaded', { ms });
    return result;
  }
  const rejected = Object.values(result.rejections).reduce((sum, count) => sum + count, 0);
  log.info('batch loaded', {
    events: parsed.rows.length + parsed.rejected.length,
    inserted: result.inserted,
    duplicates: result.duplicates,
    rejected,
    expired: result.expired,
    skipped: parsed.skipped,
    timestampFallbacks: parsed.timestampFallbacks,
    partitionsCreated: result.partitionsCreated,
    ms,
  });
  if (rejected > 0) log.warn('events of the batch were not stored', { rejections: result.rejections });
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
 * two batches, leaves one row. An event that cannot be stored is counted on the batch record with the
 * reason; an object that cannot be read at all is recorded as rejected (and stays in the store).
 * Failures of the database or the store throw, so the caller retries.
 */
export async function loadBatch(key: string, deps: LoadDeps): Promise<LoadOutcome> {
  return commitBatch(await prepareBatch(key, deps), deps);
}

/** What a run over several batches did: every key is in exactly one of the three lists. */
export interface BatchRun {
  readonly done: ReadonlyArray<{ readonly key: string; readonly outcome: LoadOutcome }>;
  /** Loads that threw for this batch alone; the run went on with the others. */
  readonly failed: ReadonlyArray<{ readonly key: string; readonly error: unknown }>;
  /** Not attempted: the database or the store became unavailable, so the run stopped (retry later). */
  readonly notTried: readonly string[];
}

/** Whether an error means the database or the store is down, so that nothing else can load either. */
function isUnavailable(error: unknown): boolean {
  return error instanceof UnavailableError;
}

/**
 * Loads batches in order, preparing the next one while the database writes the current one, so that
 * Node's work and PostgreSQL's overlap. A batch that fails alone does not stop the others; when the
 * database or the store is unavailable, the run stops at that batch and says which were not tried.
 */
export async function loadBatches(keys: readonly string[], deps: LoadDeps): Promise<BatchRun> {
  const done: Array<{ key: string; outcome: LoadOutcome }> = [];
  const failed: Array<{ key: string; error: unknown }> = [];
  const prepare = (key: string) => {
    const prepared = prepareBatch(key, deps);
    prepared.catch(() => undefined); // awaited below; a rejection before that is not unhandled
    return prepared;
  };
  let next = keys[0] === undefined ? undefined : prepare(keys[0]);
  for (let i = 0; next; i += 1) {
    const key = keys[i] as string;
    const current = next;
    const following = keys[i + 1];
    next = following === undefined ? undefined : prepare(following);
    try {
      done.push({ key, outcome: await commitBatch(await current, deps) });
    } catch (error) {
      if (isUnavailable(error)) return { done, failed, notTried: keys.slice(i) };
      failed.push({ key, error });
    }
  }
  return { done, failed, notTried: [] };
}

/** Stored batch keys the database does not know yet (neither loaded nor rejected), in store order. */
export async function pendingKeys(deps: Pick<LoadDeps, 'store' | 'events'>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of deps.store.list(BATCH_PREFIX))
    if (batchIdFromKey(key) !== undefined) keys.push(key);
  const pending: string[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const known = await deps.events.known(chunk.map((key) => batchIdFromKey(key) as string));
    pending.push(...chunk.filter((key) => !known.has(batchIdFromKey(key) as string)));
  }
  return pending;
}

/** What `loadPending` did, for the CLI's report. */
export interface PendingReport {
  readonly loaded: number;
  readonly rejected: number;
  /** Events not stored, over every batch loaded. */
  readonly rejectedEvents: number;
  readonly failed: ReadonlyArray<{ readonly key: string; readonly error: string }>;
  readonly notTried: number;
}

/**
 * Loads every stored batch the database does not know yet (`replay`, or a scan): goes on past batches
 * that fail, and reports them; stops only when the database is unavailable, saying how many were left.
 */
export async function loadPending(deps: LoadDeps): Promise<PendingReport> {
  const keys = await pendingKeys(deps);
  let loaded = 0;
  let rejected = 0;
  let rejectedEvents = 0;
  const failed: Array<{ key: string; error: string }> = [];
  for (let i = 0; i < keys.length; i += 200) {
    const chunk = keys.slice(i, i + 200);
    const run = await loadBatches(chunk, deps);
    for (const { outcome } of run.done) {
      if (outcome.status === 'loaded') {
        loaded += 1;
        rejectedEvents += Object.values(outcome.rejections).reduce((sum, count) => sum + count, 0);
      } else if (outcome.status === 'rejected') rejected += 1;
    }
    for (const { key, error } of run.failed) failed.push({ key, error: describe(error) });
    if (run.notTried.length > 0) {
      const notTried = run.notTried.length + keys.length - i - chunk.length;
      return { loaded, rejected, rejectedEvents, failed, notTried };
    }
  }
  return { loaded, rejected, rejectedEvents, failed, notTried: 0 };
}

/** An error as one line for logs and reports (never a stack, never a value from an event). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { message?: unknown; code?: unknown } | undefined;
  const detail = cause ? String(cause.message || cause.code || '') : '';
  return [error.message, (error as { description?: string }).description, detail].filter(Boolean).join(': ');
}
