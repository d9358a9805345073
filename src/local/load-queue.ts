import { type LoadDeps, loadBatch, loadPending } from '../core/load-batch';

/**
 * Local stand-in for the S3 ObjectCreated → LoadBatchFunction trigger: batches are loaded in-process,
 * one at a time, right after they are stored. A load that fails (say the database is down) is logged
 * and left for the next `scan`, which loads every stored batch the database does not know.
 */
export function createLoadQueue(deps: LoadDeps) {
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;

  const enqueue = (work: () => Promise<unknown>): Promise<void> => {
    pending += 1;
    const run = tail.then(work).catch((error: unknown) => {
      deps.logger.error('batch load failed; it stays stored and is retried by the next scan', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
    tail = run.finally(() => {
      pending -= 1;
    });
    return tail as Promise<void>;
  };

  return {
    /** Loads one stored batch after those already queued. */
    load: (key: string): Promise<void> => enqueue(() => loadBatch(key, deps)),
    /** Loads every stored batch not yet in the database. */
    scan: (): Promise<void> => enqueue(() => loadPending(deps)),
    /** Resolves when nothing is queued or running. */
    async idle(): Promise<void> {
      while (pending > 0) await tail;
    },
  };
}

export type LoadQueue = ReturnType<typeof createLoadQueue>;
