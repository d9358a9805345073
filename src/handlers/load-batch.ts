import { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { s3BatchStore } from '../aws/s3-batch-store';
import { parseS3Notification } from '../aws/s3-notification';
import { loadConfig } from '../config';
import { describe, type LoadDeps, loadBatches } from '../core/load-batch';
import { createEventStore } from '../db/event-store';
import { UnavailableError } from '../errors';
import { inInvocation, lambdaDb, logger, once } from './lambda';

/**
 * No new batch is started with less than this left of the invocation: a large batch loads in seconds,
 * and the batches not started are handed back to the queue rather than cut off by the timeout (which
 * would hand back the whole invocation's messages, loaded or not).
 */
const DEADLINE_MARGIN_MS = 20_000;

/**
 * LoadBatchFunction: messages of LoadQueue (the bucket's ObjectCreated notifications) → one load per
 * raw batch, answered with a partial batch response (ReportBatchItemFailures):
 *
 * - loaded, already loaded, or permanently unreadable (recorded as rejected in `batches`, the object
 *   kept): the message succeeds and SQS deletes it;
 * - the database or S3 unavailable, or any other error: the message is reported as failed and comes
 *   back after the queue's visibility timeout; after the queue's maxReceiveCount it moves to the
 *   dead-letter queue. Once the database is found unavailable, the batches left are not tried (they
 *   would fail the same way) and are reported too; when that leaves no message of the invocation
 *   loaded, the invocation throws instead (same redelivery, but counted as a function error);
 * - S3's `s3:TestEvent`: succeeds; a body that is not an S3 notification at all fails, so it ends in the
 *   dead-letter queue where someone can look at it.
 */
export function createLoadBatchHandler(deps: LoadDeps) {
  return (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
    inInvocation(context, {}, async () => {
      const failed = new Set<string>();
      /** Each raw batch key, with the messages that name it (S3 may notify twice). */
      const messagesOf = new Map<string, string[]>();
      for (const record of event.Records ?? []) {
        const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
        const notification = parseS3Notification(record.body);
        if (notification.kind === 'test') {
          deps.logger.info('S3 test event acknowledged', { messageId: record.messageId });
        } else if (notification.kind === 'invalid') {
          failed.add(record.messageId);
          deps.logger.error('message is not an S3 notification; it will reach the dead-letter queue', {
            messageId: record.messageId,
            receiveCount,
            reason: notification.reason,
          });
        } else {
          for (const key of notification.keys) {
            messagesOf.set(key, [...(messagesOf.get(key) ?? []), record.messageId]);
          }
        }
      }
      const started = Date.now();
      const remaining = context?.getRemainingTimeInMillis();
      let outOfTime = false;
      const run = await loadBatches([...messagesOf.keys()], deps, {
        ...(remaining !== undefined
          ? {
              timeUp: () => {
                outOfTime = Date.now() - started > remaining - DEADLINE_MARGIN_MS;
                return outOfTime;
              },
            }
          : {}),
      });
      const fail = (key: string) => {
        for (const id of messagesOf.get(key) ?? []) failed.add(id);
      };
      for (const { key, error } of run.failed) {
        fail(key);
        deps.logger.error('batch load failed; its message returns to the queue', {
          key,
          error: describe(error),
        });
      }
      for (const key of run.notTried) fail(key);
      if (run.notTried.length > 0) {
        deps.logger.warn('batches not loaded now; their messages return to the queue', {
          batches: run.notTried.length,
          loaded: run.done.length,
        });
      }
      // The database or the store is down and nothing of this invocation loaded: fail the invocation,
      // which returns every message as a partial response would, but counts in the function's Errors
      // (LoaderErrorsAlarm) and makes the event source mapping back off while the outage lasts.
      const records = event.Records?.length ?? 0;
      if (run.notTried.length > 0 && !outOfTime && records > 0 && failed.size === records) {
        throw new UnavailableError(
          'The database or the batch store is unavailable; every message returns to the queue',
        );
      }
      return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
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

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  (await build())(event, context);
