import type { MaintenanceConfig } from '../config';
import { DAY_MS, utcDay, utcDaysBetween } from '../core/time';
import type { Logger } from '../logger';
import { dropPartitionsBefore, ensurePartitions } from './partitions';
import type { Queryable } from './pool';

/**
 * Housekeeping, run on a timer locally and on an EventBridge schedule on AWS: day partitions created
 * ahead of time (so the loader rarely has to), and whole partitions dropped past the retention period.
 * Retention counts from the clock, never from the events' times, so replaying an old or sample event
 * cannot drop recent days.
 */
export async function maintain(
  db: Queryable,
  options: Pick<MaintenanceConfig, 'daysAhead' | 'retentionDays'> & { readonly now: number },
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
