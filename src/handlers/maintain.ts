import type { Context, ScheduledEvent } from 'aws-lambda';
import { loadConfig, type MaintenanceConfig } from '../config';
import { type ConversionReport, convertV1 } from '../db/convert-v1';
import { createEventStore } from '../db/event-store';
import { maintain } from '../db/maintain';
import type { Queryable } from '../db/pool';
import type { Logger } from '../logger';
import { inInvocation, lambdaDb, logger, once } from './lambda';

/**
 * MaintainFunction: an EventBridge schedule → day partitions created ahead, old ones dropped (the same
 * core function the local server runs on a timer).
 */
export function createMaintainHandler(deps: {
  readonly db: Queryable;
  readonly maintenance: MaintenanceConfig;
  readonly now: () => number;
  readonly logger: Logger;
  /** Converts storage v1 events until the deadline (a database upgraded from v1). */
  readonly convert?: (deadline: number) => Promise<ConversionReport>;
}) {
  return (event: ScheduledEvent, context?: Context): Promise<{ created: string[]; dropped: string[] }> =>
    inInvocation(context, {}, async () => {
      const result = await maintain(deps.db, { ...deps.maintenance, now: deps.now() }, deps.logger);
      deps.logger.info('maintenance done', { scheduledFor: event.time, ...result });
      if (deps.convert) {
        // No day is started with less than this left: a day of ~1M events converts in a few minutes.
        const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 60_000) - CONVERSION_MARGIN_MS;
        await deps.convert(deadline);
      }
      return result;
    });
}

const CONVERSION_MARGIN_MS = 5 * 60_000;

/** What this function's cold start reads: configuration sections, and the secrets behind them. */
export const CONFIG = { sections: ['db', 'maintenance'], secrets: [] } as const;

const build = once(async () => {
  const { db, maintenance } = loadConfig(process.env, CONFIG.sections, { target: 'aws' });
  const database = await lambdaDb(db);
  return createMaintainHandler({
    db: database,
    maintenance,
    now: Date.now,
    logger,
    convert: (deadline) => convertV1(database, createEventStore(database), logger, { deadline }),
  });
});

export const handler = async (event: ScheduledEvent, context?: Context) => (await build())(event, context);
