import type { Context, ScheduledEvent } from 'aws-lambda';
import { loadConfig, type MaintenanceConfig } from '../config';
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
}) {
  return (event: ScheduledEvent, context?: Context): Promise<{ created: string[]; dropped: string[] }> =>
    inInvocation(context, {}, async () => {
      const result = await maintain(deps.db, { ...deps.maintenance, now: deps.now() }, deps.logger);
      deps.logger.info('maintenance done', { scheduledFor: event.time, ...result });
      return result;
    });
}

/** What this function's cold start reads: configuration sections, and the secrets behind them. */
export const CONFIG = { sections: ['db', 'maintenance'], secrets: [] } as const;

const build = once(async () => {
  const { db, maintenance } = loadConfig(process.env, CONFIG.sections, { target: 'aws' });
  return createMaintainHandler({ db: await lambdaDb(db), maintenance, now: Date.now, logger });
});

export const handler = async (event: ScheduledEvent, context?: Context) => (await build())(event, context);
