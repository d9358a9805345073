import type { S3Event } from 'aws-lambda';
import { type LoadDeps, type LoadOutcome, loadBatch } from '../core/load-batch';
import { createEventStore } from '../db/load';
import { dbFromEnv, logger, once, storeFromEnv } from './runtime';

/** The object keys of an S3 notification. Real S3 URL-encodes keys (spaces as `+`). */
export function objectKeys(event: S3Event): string[] {
  return (event.Records ?? []).map((record) => decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')));
}

/**
 * LoadBatchFunction: S3 ObjectCreated → load each new raw batch. A failure throws, so Lambda retries
 * and then sends the event to the on-failure queue; nothing is acknowledged that was not loaded.
 */
export function createLoadBatchHandler(deps: LoadDeps) {
  return async (event: S3Event): Promise<LoadOutcome[]> => {
    const outcomes: LoadOutcome[] = [];
    for (const key of objectKeys(event)) outcomes.push(await loadBatch(key, deps));
    return outcomes;
  };
}

const build = once(async () =>
  createLoadBatchHandler({
    store: storeFromEnv(process.env),
    events: createEventStore(await dbFromEnv(process.env)),
    logger,
  }),
);

export const handler = async (event: S3Event): Promise<LoadOutcome[]> => (await build())(event);
