import { batchIdFromKey } from '../core/batch-key';
import { describe, type LoadDeps, loadBatches, pendingKeys } from '../core/load-batch';
import type { EventStore } from '../core/ports';

/**
 * Local stand-in for S3 ObjectCreated → LoadBatchFunction: every stored batch the database does not
 * know is loaded in-process, soon after it is stored, and nothing is forgotten.
 *
 * - One worker takes the waiting batches in arrival order, a slice at a time, through the pipelined
 *   loader (preparing the next batch while the database writes the current one).
 * - When the database (or the store) is unavailable, the whole queue waits and tries again after a
 *   backoff in seconds (doubling, capped, jittered), until it is back. A batch that fails on its own is
 *   retried the same way and, after `maxAttempts`, recorded as rejected with the reason, so it never
 *   blocks another.
 * - The store is the source of truth: `scan()` queues every stored batch the database does not know (at
 *   start, periodically, and after a restart), and a redelivered batch is queued again if still pending.
 */
export interface LoadQueueOptions {
  /** The first retry waits about this long; each further one twice as long, up to `maxDelayMs`. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Failures of a batch on its own (not the database being down) before it is recorded as rejected. */
  readonly maxAttempts?: number;
  /** Batches per slice of work. */
  readonly sliceSize?: number;
}

export interface LoadQueueStats {
  /** Stored batches waiting to be loaded (including those waiting for a retry). */
  readonly pending: number;
  /** Batches that failed at least once and wait for their next attempt. */
  readonly retrying: number;
  /** Whether the queue waits for the database (or the store) to come back. */
  readonly waitingForDatabase: boolean;
  readonly lastError?: string;
}

interface Entry {
  attempts: number;
  notBefore: number;
}

export function createLoadQueue(
  deps: Omit<LoadDeps, 'events'> & { readonly events: Promise<EventStore> },
  options: LoadQueueOptions = {},
) {
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const sliceSize = options.sliceSize ?? 20;
  const { logger } = deps;

  const waiting = new Map<string, Entry>();
  let pausedUntil = 0;
  let outages = 0;
  let lastError: string | undefined;
  let scanRequested = false;
  let stopped = false;
  let worker: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const idleWaiters: Array<() => void> = [];
  let signalStop: (value: undefined) => void = () => undefined;
  const stopping = new Promise<undefined>((resolve) => {
    signalStop = resolve;
  });

  /** A delay for the n-th consecutive failure (n ≥ 1): base · 2^(n-1), capped, ±25 % jitter. */
  const backoff = (n: number) => {
    const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n - 1, 20));
    return Math.round(delay * (0.75 + Math.random() * 0.5));
  };

  function add(key: string): void {
    if (stopped || batchIdFromKey(key) === undefined || waiting.has(key)) return;
    waiting.set(key, { attempts: 0, notBefore: 0 });
    kick();
  }

  function kick(): void {
    if (worker) {
      wake?.();
      return;
    }
    worker = work().finally(() => {
      worker = undefined;
      if (!stopped && (waiting.size > 0 || scanRequested)) kick();
      else if (waiting.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    });
  }

  /** Waits `ms`, or less if a new batch arrives or the queue stops. */
  async function sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(ms, 0));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }

  function databaseDown(error: unknown): void {
    outages += 1;
    const delay = backoff(outages);
    pausedUntil = Date.now() + delay;
    const message = describe(error);
    if (message !== lastError || outages === 1) {
      logger.warn('loader waiting for the database', {
        error: message,
        retryInMs: delay,
        pending: waiting.size,
      });
    }
    lastError = message;
  }

  function ready(now: number): string[] {
    const keys: string[] = [];
    for (const [key, entry] of waiting) {
      if (entry.notBefore <= now) keys.push(key);
      if (keys.length === sliceSize) break;
    }
    return keys;
  }

  async function work(): Promise<void> {
    // The database may still be starting (or unreachable): batches wait in the store meanwhile.
    const events = await Promise.race([deps.events, stopping]);
    if (!events) return;
    const loadDeps: LoadDeps = { ...deps, events };
    while (!stopped) {
      const now = Date.now();
      if (now < pausedUntil) {
        await sleep(pausedUntil - now);
        continue;
      }
      if (scanRequested) {
        scanRequested = false;
        try {
          for (const key of await pendingKeys(loadDeps)) add(key);
        } catch (error) {
          scanRequested = true;
          databaseDown(error);
        }
        continue;
      }
      const keys = ready(now);
      if (keys.length === 0) {
        if (waiting.size === 0) return;
        await sleep(Math.min(...[...waiting.values()].map((entry) => entry.notBefore)) - now);
        continue;
      }
      await loadSlice(keys, loadDeps);
    }
  }

  async function loadSlice(keys: string[], loadDeps: LoadDeps): Promise<void> {
    let run: Awaited<ReturnType<typeof loadBatches>>;
    try {
      // Batches loaded since they were queued (a redelivery, or another process's replay) are skipped.
      const known = await loadDeps.events.known(keys.map((key) => batchIdFromKey(key) as string));
      for (const key of keys) if (known.has(batchIdFromKey(key) as string)) waiting.delete(key);
      run = await loadBatches(
        keys.filter((key) => waiting.has(key)),
        loadDeps,
      );
    } catch (error) {
      databaseDown(error);
      return;
    }
    for (const { key } of run.done) waiting.delete(key);
    if (run.done.length > 0 && outages > 0) {
      logger.info('loader resumed', { after: outages, pending: waiting.size });
      outages = 0;
      lastError = undefined;
    }
    for (const { key, error } of run.failed) await failedAlone(key, error, loadDeps);
    if (run.notTried.length > 0) databaseDown(new Error('the database became unavailable during a load'));
  }

  async function failedAlone(key: string, error: unknown, loadDeps: LoadDeps): Promise<void> {
    const entry = waiting.get(key);
    if (!entry) return;
    entry.attempts += 1;
    const reason = describe(error);
    lastError = reason;
    if (entry.attempts < maxAttempts) {
      entry.notBefore = Date.now() + backoff(entry.attempts);
      logger.error('batch load failed; it will be retried', { key, attempt: entry.attempts, error: reason });
      return;
    }
    try {
      await loadDeps.events.reject(
        batchIdFromKey(key) as string,
        key,
        new Date(),
        `failed ${entry.attempts} times: ${reason}`.slice(0, 500),
      );
      waiting.delete(key);
      logger.error('batch rejected after repeated failures', {
        key,
        attempts: entry.attempts,
        error: reason,
      });
    } catch (rejectError) {
      entry.notBefore = Date.now() + backoff(entry.attempts);
      databaseDown(rejectError);
    }
  }

  return {
    /** Loads one stored batch after those already waiting (nothing if it is already waiting). */
    add,
    /** Queues every stored batch the database does not know yet (the store is the source of truth). */
    scan(): void {
      if (stopped) return;
      scanRequested = true;
      kick();
    },
    /** Resolves when nothing is waiting or running. */
    idle(): Promise<void> {
      if (!worker && waiting.size === 0 && !scanRequested) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    stats(): LoadQueueStats {
      const retrying = [...waiting.values()].filter((entry) => entry.attempts > 0).length;
      return {
        pending: waiting.size,
        retrying,
        waitingForDatabase: Date.now() < pausedUntil,
        ...(lastError !== undefined ? { lastError } : {}),
      };
    },
    /** Finishes the slice in progress and stops; what is left stays in the store for the next start. */
    async stop(): Promise<void> {
      stopped = true;
      signalStop(undefined);
      wake?.();
      await worker;
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}

export type LoadQueue = ReturnType<typeof createLoadQueue>;
