import type { ScheduledEvent } from 'aws-lambda';
import { maintain } from '../db/maintain';
import type { Queryable } from '../db/pool';
import type { Logger } from '../logger';
import { dbFromEnv, logger, maintainSettingsFromEnv, once } from './runtime';

export interface MaintainDeps {
  readonly db: Queryable;
  /** Create partitions for today and this many days ahead. */
  readonly daysAhead: number;
  /** Drop partitions older than this many days; 0 keeps everything. */
  readonly retentionDays: number;
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * MaintainFunction: an EventBridge schedule → day partitions created ahead, old ones dropped (the same
 * core function the local server runs on a timer). Retention counts from the clock, never from the
 * event's time, so replaying an old or sample event cannot drop recent days.
 */
export function createMaintainHandler(deps: MaintainDeps) {
  return async (event: ScheduledEvent): Promise<{ created: string[]; dropped: string[] }> => {
    const result = await maintain(
      deps.db,
      { daysAhead: deps.daysAhead, retentionDays: deps.retentionDays, now: deps.now() },
      deps.logger,
    );
    deps.logger.info('maintenance done', { scheduledFor: event.time, ...result });
    return result;
  };
}

const build = once(async () =>
  createMaintainHandler({
    db: await dbFromEnv(process.env),
    ...maintainSettingsFromEnv(process.env),
    now: Date.now,
    logger,
  }),
);

export const handler = async (event: ScheduledEvent) => (await build())(event);
