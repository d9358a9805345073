import type { Logger } from '../logger';
import { dropPartitionsBefore, ensurePartitions, utcDay, utcDaysBetween } from './partitions';
import type { Queryable } from './pool';

const DAY_MS = 86_400_000;

export interface MaintainOptions {
  /** Create partitions for today and this many days ahead. */
  readonly daysAhead: number;
  /** Drop partitions older than this many days; 0 keeps everything. */
  readonly retentionDays: number;
  readonly now: number;
}

/**
 * Housekeeping, run on a timer locally and on an EventBridge schedule on AWS: day partitions created
 * ahead of time (so the loader rarely has to), and whole partitions dropped past the retention period.
 */
export async function maintain(
  db: Queryable,
  options: MaintainOptions,
  logger: Logger,
): Promise<{ created: string[]; dropped: string[] }> {
  const known = new Set<string>();
  const created = await ensurePartitions(
    db,
    utcDaysBetween(options.now, options.now + options.daysAhead * DAY_MS),
    known,
  );
  const dropped =
    options.retentionDays > 0
      ? await dropPartitionsBefore(db, utcDay(options.now - options.retentionDays * DAY_MS), known)
      : [];
  if (created.length || dropped.length) logger.info('partitions maintained', { created, dropped });
  return { created, dropped };
}
