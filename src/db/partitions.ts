import type { Queryable } from './pool';

/**
 * Creates missing day partitions, each in its own short transaction (creating a partition locks the
 * parent table briefly; doing it inside a batch load would hold that lock for the whole load).
 * `known` caches days seen to exist, so the usual batch costs no query at all.
 */
export async function ensurePartitions(
  db: Queryable,
  days: Iterable<string>,
  known: Set<string>,
): Promise<string[]> {
  const created: string[] = [];
  for (const day of days) {
    if (known.has(day)) continue;
    const result = await db.query<{ created: boolean }>(
      'SELECT ensure_events_partition($1::date) AS created',
      [day],
    );
    if (result.rows[0]?.created) created.push(day);
    known.add(day);
  }
  return created;
}

/** Drops partitions for days before `before` (YYYY-MM-DD). Returns the partition names dropped. */
export async function dropPartitionsBefore(
  db: Queryable,
  before: string,
  known: Set<string>,
): Promise<string[]> {
  const result = await db.query<{ name: string }>('SELECT drop_events_partitions_before($1::date) AS name', [
    before,
  ]);
  known.clear();
  return result.rows.map((row) => row.name);
}
