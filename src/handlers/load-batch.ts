import { S3Client } from '@aws-sdk/client-s3';
import type { Context, S3Event } from 'aws-lambda';
import { s3BatchStore } from '../aws/s3-batch-store';
import { loadConfig } from '../config';
import { type LoadDeps, type LoadOutcome, loadBatch } from '../core/load-batch';
import { createEventStore } from '../db/event-store';
import { inInvocation, lambdaDb, logger, once } from './lambda';

/** The object keys of an S3 notification. Real S3 URL-encodes keys (spaces as `+`). */
export function objectKeys(event: S3Event): string[] {
  return (event.Records ?? []).map((record) => decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')));
}

/**
 * LoadBatchFunction: S3 ObjectCreated → load each new raw batch. A failure throws, so Lambda retries
 * and then sends the event to the on-failure queue; nothing is acknowledged that was not loaded.
 */
export function createLoadBatchHandler(deps: LoadDeps) {
  return (event: S3Event, context?: Context): Promise<LoadOutcome[]> =>
    inInvocation(context, {}, async () => {
      const outcomes: LoadOutcome[] = [];
      for (const key of objectKeys(event)) outcomes.push(await loadBatch(key, deps));
      return outcomes;
    });
}

/** What this function's cold start reads: configuration sections, and the secrets behind them. */
export const CONFIG = { sections: ['storage', 'db', 'maintenance'], secrets: [] } as const;

const build = once(async () => {
  const { storage, db, maintenance } = loadConfig(process.env, CONFIG.sections, { target: 'aws' });
  return createLoadBatchHandler({
    store: s3BatchStore(new S3Client({}), storage.bucket),
    events: createEventStore(await lambdaDb(db)),
    logger,
    retention: { days: maintenance.retentionDays, now: Date.now },
  });
});

export const handler = async (event: S3Event, context?: Context): Promise<LoadOutcome[]> =>
  (await build())(event, context);
