import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';
import { BATCH_PREFIX, batchIdFromKey, isTestBatchKey } from './batch-key';
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
  | { readonly status: 'ignored'; readonly reason: string }
  /** A replay of some event times only (LoadOptions.eventWindow): none of the batch's events is in it. */
  | { readonly status: 'skipped'; readonly reason: string };

/** How a load treats batches the database already knows, and which batches it leaves alone. */
export interface LoadOptions {
  /** Load batches already recorded again, updating their records (a replay), instead of skipping them. */
  readonly replay?: boolean;
  /** Leave (as `skipped`) a batch none of whose events' times is in [from, to) (epoch ms). */
  readonly eventWindow?: { readonly from: number; readonly to: number };
}

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
      /** The times of every event found (stored or not): where the batch lies in time. */
      readonly eventTimes: readonly number[];
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

/** Why a SparkPost test batch is never loaded (webhook.ts keeps it under its own key). */
const TEST_BATCH_NOT_LOADED = 'a SparkPost "Send Test Batch" sample: kept, not loaded';

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
  if (isTestBatchKey(key)) return { kind: 'ignored', key, reason: TEST_BATCH_NOT_LOADED };
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
      reason: `unreadable batch: ${unreadable(error)}`.slice(0, 300),
    };
  }
  const parsed = emptyParsedBatch();
  const fallbackTs = object.storedAt.getTime();
  for (let i = 0; i < batch.length; i += 1) {
    if (i > 0 && i % ELEMENTS_PER_TURN === 0) await nextTurn();
    addOutcome(parsed, rowOf(batch[i], fallbackTs));
  }
  const eventTimes = parsed.rows.map((row) => row.ts);
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
    eventTimes,
    started,
  };
}

/** The oldest and newest of some times, or undefined for none. */
function span(times: readonly number[]): { first: number; last: number } | undefined {
  if (times.length === 0) return undefined;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const ts of times) {
    if (ts < first) first = ts;
    if (ts > last) last = ts;
  }
  return { first, last };
}

/**
 * Why a batch cannot be read, without its contents: JSON.parse quotes the text around a syntax error
 * (event data, addresses), which must not reach the batch record or the log.
 */
function unreadable(error: unknown): string {
  if (!(error instanceof SyntaxError)) return (error as Error).message;
  const position = /at position (\d+)/.exec(error.message)?.[1];
  const end = /end of JSON input/.test(error.message);
  return `not valid JSON${end ? ' (it ends too soon)' : position ? ` (at position ${position})` : ''}`;
}

function isMissing(error: unknown): boolean {
  const { code, name } = error as { code?: unknown; name?: unknown };
  return code === 'ENOENT' || name === 'NoSuchKey' || name === 'NotFound';
}

/** Why a batch is left alone by a replay of some event times. */
const OUTSIDE_WINDOW = 'none of its events is in the selected time window';

/** The database half of a load: one transaction for the batch, or the rejection record. */
async function commitBatch(
  prepared: PreparedBatch,
  deps: LoadDeps,
  options: LoadOptions = {},
): Promise<LoadOutcome> {
  if (prepared.kind === 'ignored') {
    deps.logger.warn('object ignored', { key: prepared.key, reason: prepared.reason });
    return { status: 'ignored', reason: prepared.reason };
  }
  const { batchId, key } = prepared;
  const window = options.eventWindow;
  if (window) {
    // An unreadable batch's events have no known times: it belongs to no window.
    const times = prepared.kind === 'rows' ? prepared.eventTimes : [];
    if (!times.some((ts) => ts >= window.from && ts < window.to)) {
      return { status: 'skipped', reason: OUTSIDE_WINDOW };
    }
  }
  // Every line about this batch carries its id.
  const log = deps.logger.child({ batchId });
  if (prepared.kind === 'unreadable') {
    await deps.events.reject(batchId, key, prepared.storedAt, prepared.reason, { replay: options.replay });
    log.error('batch rejected', { key, reason: prepared.reason });
    return { status: 'rejected', reason: prepared.reason };
  }
  const { parsed } = prepared;
  const eventTimes = span(prepared.eventTimes);
  const result = await deps.events.load({
    batchId,
    objectKey: key,
    receivedAt: prepared.storedAt,
    rows: parsed.rows,
    skipped: parsed.skipped,
    rejected: parsed.rejected,
    packed: prepared.packed,
    expired: prepared.expired,
    ...(eventTimes ? { eventTimes } : {}),
    ...(options.replay ? { replay: true } : {}),
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
  /**
   * Not attempted: the database or the store became unavailable (the first of these is the batch that
   * found it so), or the time was up, so the run stopped there (retry later).
   */
  readonly notTried: readonly string[];
}

/** Whether an error means the database or the store is down, so that nothing else can load either. */
function isUnavailable(error: unknown): boolean {
  return error instanceof UnavailableError;
}

/** What became of one batch of a run, as it happens (for progress reports). */
export interface BatchProgress {
  readonly key: string;
  /** Set when the batch was loaded, rejected, ignored or skipped. */
  readonly outcome?: LoadOutcome;
  /** Set when the load threw. */
  readonly error?: unknown;
  /** Events found in the batch (0 when it could not be read). */
  readonly events: number;
}

/** SQLSTATE class 40 (a deadlock, a serialization failure): the transaction may simply be tried again. */
function isTransactionConflict(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('40');
}

/**
 * Loads batches in order, preparing the next one while the database writes the current one, so that
 * Node's work and PostgreSQL's overlap. A batch that fails alone does not stop the others (a transaction
 * that lost a deadlock against another loader is tried once more first); when the database or the store
 * is unavailable, the run stops at that batch and says which were not tried, as it does once `timeUp`
 * says so. `onBatch` hears of each batch tried once, in order.
 */
export async function loadBatches(
  keys: readonly string[],
  deps: LoadDeps,
  options: LoadOptions & {
    readonly onBatch?: (progress: BatchProgress) => void;
    /** Asked before each batch: once it says yes, the batches left are not tried (e.g. a deadline). */
    readonly timeUp?: () => boolean;
  } = {},
): Promise<BatchRun> {
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
    if (options.timeUp?.()) return { done, failed, notTried: keys.slice(i) };
    const current = next;
    const following = keys[i + 1];
    next = following === undefined ? undefined : prepare(following);
    let events = 0;
    try {
      const prepared = await current;
      events = eventsFound(prepared);
      let outcome: LoadOutcome;
      try {
        outcome = await commitBatch(prepared, deps, options);
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        outcome = await commitBatch(prepared, deps, options);
      }
      done.push({ key, outcome });
      options.onBatch?.({ key, outcome, events });
    } catch (error) {
      if (isUnavailable(error)) return { done, failed, notTried: keys.slice(i) };
      failed.push({ key, error });
      options.onBatch?.({ key, error, events });
    }
  }
  return { done, failed, notTried: [] };
}

/** Every event found in a batch, stored or not (the batch record's `event_count`). */
function eventsFound(prepared: PreparedBatch): number {
  if (prepared.kind !== 'rows') return 0;
  return prepared.parsed.rows.length + prepared.parsed.rejected.length + prepared.expired;
}

/** Stored batch keys the database does not know yet (neither loaded nor rejected), in store order. */
export async function pendingKeys(deps: Pick<LoadDeps, 'store' | 'events'>): Promise<string[]> {
  const keys = await storedKeys(deps.store);
  const pending: string[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const known = await deps.events.known(chunk.map((key) => batchIdFromKey(key) as string));
    pending.push(...chunk.filter((key) => !known.has(batchIdFromKey(key) as string)));
  }
  return pending;
}

/** Every raw batch key in the store, in store order. */
export async function storedKeys(store: BatchStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(BATCH_PREFIX)) if (batchIdFromKey(key) !== undefined) keys.push(key);
  return keys;
}

/** An error as one line for logs and reports (never a stack, never a value from an event). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { message?: unknown; code?: unknown } | undefined;
  const detail = cause ? String(cause.message || cause.code || '') : '';
  return [error.message, (error as { description?: string }).description, detail].filter(Boolean).join(': ');
}
