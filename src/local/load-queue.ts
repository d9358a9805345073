import { type LoadDeps, loadBatches, loadPending } from '../core/load-batch';

/**
 * Local stand-in for the S3 ObjectCreated → LoadBatchFunction trigger: batches are loaded in-process
 * right after they are stored, by one worker that takes every key waiting and loads them in order,
 * preparing the next batch while the database writes the current one. A load that fails (say the
 * database is down) is logged and left in the store for the next `scan`, which loads every stored batch
 * the database does not know.
 */
export function createLoadQueue(deps: LoadDeps) {
  const waiting: string[] = [];
  let scanRequested = false;
  let worker: Promise<void> | undefined;

  const failed = (error: unknown) =>
    deps.logger.error('batch load failed; it stays stored and is retried by the next scan', {
      error: error instanceof Error ? error.message : String(error),
    });

  async function work(): Promise<void> {
    while (waiting.length > 0 || scanRequested) {
      if (scanRequested) {
        scanRequested = false;
        await loadPending(deps).catch(failed);
        continue;
      }
      await loadBatches(waiting.splice(0), deps).catch(failed);
    }
  }

  function kick(): Promise<void> {
    worker ??= work().finally(() => {
      worker = undefined;
      // A key may have arrived between the loop's last check and this moment.
      if (waiting.length > 0 || scanRequested) void kick();
    });
    return worker;
  }

  return {
    /** Loads one stored batch after those already waiting. */
    load(key: string): Promise<void> {
      waiting.push(key);
      return kick();
    },
    /** Loads every stored batch not yet in the database. */
    scan(): Promise<void> {
      scanRequested = true;
      return kick();
    },
    /** Resolves when nothing is waiting or running. */
    async idle(): Promise<void> {
      while (worker) await worker;
    },
  };
}

export type LoadQueue = ReturnType<typeof createLoadQueue>;
