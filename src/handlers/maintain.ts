import { S3Client } from '@aws-sdk/client-s3';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { s3BatchStore } from '../aws/s3-batch-store';
import { loadConfig, type MaintenanceConfig } from '../config';
import { type ReconcileReport, reconcile } from '../core/reconcile';
import { type ConversionReport, convertV1 } from '../db/convert-v1';
import { createEventStore } from '../db/event-store';
import { maintain } from '../db/maintain';
import type { Queryable } from '../db/pool';
import type { Logger } from '../logger';
import { inInvocation, lambdaDb, logger, once } from './lambda';

/**
 * MaintainFunction: an EventBridge schedule → day partitions created ahead, old ones dropped (the same
 * core function the local server runs on a timer), then reconciliation: the raw batches S3 holds from
 * the last RECONCILE_DAYS that the database does not know are loaded (core/reconcile.ts).
 */
export function createMaintainHandler(deps: {
  readonly db: Queryable;
  readonly maintenance: MaintenanceConfig;
  readonly now: () => number;
  readonly logger: Logger;
  /** Loads the stored batches the database does not know, starting none after the deadline. */
  readonly reconcile?: (deadline: number) => Promise<ReconcileReport>;
  /** Converts storage v1 events until the deadline (a database upgraded from v1). */
  readonly convert?: (deadline: number) => Promise<ConversionReport>;
}) {
  return (
    event: ScheduledEvent,
    context?: Context,
  ): Promise<{ created: string[]; dropped: string[]; reconciled?: ReconcileReport }> =>
    inInvocation(context, {}, async () => {
      const result = await maintain(deps.db, { ...deps.maintenance, now: deps.now() }, deps.logger);
      deps.logger.info('maintenance done', { scheduledFor: event.time, ...result });
      let reconciled: ReconcileReport | undefined;
      if (deps.reconcile && deps.maintenance.reconcileDays > 0) {
        const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 60_000) - RECONCILE_MARGIN_MS;
        reconciled = await deps.reconcile(deadline);
        deps.logger.info('reconciliation done', { ...reconciled, failed: reconciled.failed.length });
      }
      if (deps.convert) {
        // No day is started with less than this left: a day of ~1M events converts in a few minutes.
        const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 60_000) - CONVERSION_MARGIN_MS;
        await deps.convert(deadline);
      }
      return reconciled ? { ...result, reconciled } : result;
    });
}

const CONVERSION_MARGIN_MS = 5 * 60_000;
/** No batch is started with less than this left: the conversion after it gets the rest of the time. */
const RECONCILE_MARGIN_MS = 6 * 60_000;

/** What this function's cold start reads: configuration sections, and the secrets behind them. */
export const CONFIG = { sections: ['db', 'maintenance', 'storage'], secrets: [] } as const;

const build = once(async () => {
  const { db, maintenance, storage } = loadConfig(process.env, CONFIG.sections, { target: 'aws' });
  const database = await lambdaDb(db);
  const events = createEventStore(database);
  const store = s3BatchStore(new S3Client({}), storage.bucket);
  return createMaintainHandler({
    db: database,
    maintenance,
    now: Date.now,
    logger,
    reconcile: (deadline) =>
      reconcile(
        { store, events, logger, retention: { days: maintenance.retentionDays, now: Date.now } },
        { windowDays: maintenance.reconcileDays, now: Date.now(), deadline },
      ),
    convert: (deadline) => convertV1(database, createEventStore(database), logger, { deadline }),
  });
});

export const handler = async (event: ScheduledEvent, context?: Context) => (await build())(event, context);
