import { BATCH_PREFIX, batchIdFromKey } from './batch-key';
import { describe, type LoadDeps, loadBatches } from './load-batch';
import { DAY_MS } from './time';

/**
 * Reconciliation, run by maintenance: the raw batches stored in the last days against the `batches`
 * table, and a load of each one the database does not know (neither loaded nor rejected). The queue
 * normally loads every batch within seconds; this catches the ones it could not: a message that
 * exhausted its receives during a long outage and waits in the dead-letter queue, a notification S3
 * never sent, a batch stored while the notification was misconfigured. Loading is idempotent, so a
 * batch the queue loads at the same time is simply already loaded.
 */
export interface ReconcileReport {
  /** Raw batch keys stored in the window that the store listed. */
  readonly checked: number;
  /** Of those, the ones the database did not know. */
  readonly pending: number;
  /** Loaded now (or found loaded by a concurrent load). */
  readonly loaded: number;
  /** Unreadable: recorded as rejected now (the object stays in the store). */
  readonly rejected: number;
  /** Their load failed, for that batch alone (the next run tries again). */
  readonly failed: ReadonlyArray<{ readonly key: string; readonly error: string }>;
  /** Not attempted: the database or the store became unavailable, or the deadline came. */
  readonly notTried: number;
}

export interface ReconcileOptions {
  /** Days back from `now` whose stored batches are checked. */
  readonly windowDays: number;
  readonly now: number;
  /** Epoch ms after which no new batch is started (what is left waits for the next run). */
  readonly deadline?: number;
}

const KNOWN_PER_QUERY = 1000;

export async function reconcile(deps: LoadDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const since = new Date(options.now - options.windowDays * DAY_MS);
  const keys: string[] = [];
  for await (const key of deps.store.list(BATCH_PREFIX, { modifiedSince: since })) {
    if (batchIdFromKey(key) !== undefined) keys.push(key);
  }
  keys.sort();
  const pending: string[] = [];
  for (let i = 0; i < keys.length; i += KNOWN_PER_QUERY) {
    const chunk = keys.slice(i, i + KNOWN_PER_QUERY);
    const known = await deps.events.known(chunk.map((key) => batchIdFromKey(key) as string));
    pending.push(...chunk.filter((key) => !known.has(batchIdFromKey(key) as string)));
  }
  if (pending.length === 0)
    return { checked: keys.length, pending: 0, loaded: 0, rejected: 0, failed: [], notTried: 0 };
  deps.logger.warn('stored batches the database does not know; loading them', {
    batches: pending.length,
    windowDays: options.windowDays,
  });
  const { deadline } = options;
  const run = await loadBatches(
    pending,
    deps,
    deadline === undefined ? {} : { timeUp: () => Date.now() >= deadline },
  );
  const report: ReconcileReport = {
    checked: keys.length,
    pending: pending.length,
    loaded: run.done.filter(
      ({ outcome }) => outcome.status === 'loaded' || outcome.status === 'already-loaded',
    ).length,
    rejected: run.done.filter(({ outcome }) => outcome.status === 'rejected').length,
    failed: run.failed.map(({ key, error }) => ({ key, error: describe(error) })),
    notTried: run.notTried.length,
  };
  if (report.failed.length > 0 || report.notTried > 0) {
    deps.logger.error('reconciliation left batches unloaded; the next run tries again', {
      failed: report.failed.length,
      notTried: report.notTried,
    });
  }
  return report;
}
