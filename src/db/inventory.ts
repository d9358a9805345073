import type { Queryable } from './pool';

/** One day partition: its events (exact count) and its bytes on disk (events, their indexes and bodies). */
interface DayPartition {
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  readonly rows: number;
  readonly bytes: number;
}

/** What the database holds, for `status`. */
export interface Inventory {
  /** pg_database_size: every table, index and TOAST of this database (not the server's WAL). */
  readonly databaseBytes: number;
  /** Every day partition, oldest first. */
  readonly partitions: readonly DayPartition[];
  readonly batches: {
    readonly loaded: number;
    readonly rejected: number;
    /** Why the rejected batches could not be loaded: reason → batches. */
    readonly rejectedReasons: Readonly<Record<string, number>>;
    /** Batches loaded again by a replay at least once. */
    readonly replayed: number;
  };
  /** Over the loaded batches, as their latest loads counted them. */
  readonly events: {
    readonly found: number;
    /** Older than the retention window when loaded: not stored. */
    readonly expired: number;
    /** Not stored, by reason. */
    readonly rejected: Readonly<Record<string, number>>;
  };
  /** Events (found, minus expired and rejected) of the batches received in the last `days` days. */
  readonly recent: { readonly days: number; readonly events: number };
}

const PARTITION = /^events_(\d{4})(\d{2})(\d{2})$/;

/** Reads the inventory. Counts each partition's rows exactly, which reads every day's rows once. */
export async function readInventory(db: Queryable, { recentDays = 7 } = {}): Promise<Inventory> {
  const size = await db.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
  const names = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = 'events' AND p.relnamespace = current_schema()::regnamespace
     ORDER BY c.relname`,
  );
  const partitions: DayPartition[] = [];
  for (const { name } of names.rows) {
    const match = PARTITION.exec(name);
    if (!match) continue;
    const chunks = `event_chunks_${name.slice('events_'.length)}`;
    const result = await db.query<{ rows: string; bytes: string }>(
      `SELECT (SELECT count(*) FROM ${quote(name)}) AS rows,
              pg_total_relation_size($1::regclass) + coalesce(pg_total_relation_size(to_regclass($2)), 0) AS bytes`,
      [name, chunks],
    );
    const row = result.rows[0] as { rows: string; bytes: string };
    partitions.push({
      day: `${match[1]}-${match[2]}-${match[3]}`,
      rows: Number(row.rows),
      bytes: Number(row.bytes),
    });
  }

  const statuses = await db.query<{ status: string; batches: string; replayed: string }>(
    `SELECT status, count(*) AS batches, count(*) FILTER (WHERE replay_count > 0) AS replayed
     FROM batches GROUP BY status`,
  );
  const count = (status: string) => Number(statuses.rows.find((row) => row.status === status)?.batches ?? 0);
  const reasons = await db.query<{ reason: string; batches: string }>(
    `SELECT coalesce(reason, '') AS reason, count(*) AS batches FROM batches WHERE status = 'rejected'
     GROUP BY 1 ORDER BY 2 DESC, 1`,
  );
  const totals = await db.query<{ found: string; expired: string; recent: string }>(
    `SELECT coalesce(sum(event_count), 0) AS found, coalesce(sum(expired_count), 0) AS expired,
            coalesce(sum(event_count - expired_count - rejected_count)
                       FILTER (WHERE received_at >= now() - make_interval(days => $1)), 0) AS recent
     FROM batches WHERE status = 'loaded'`,
    [recentDays],
  );
  const rejections = await db.query<{ reason: string; events: string }>(
    `SELECT r.key AS reason, sum(r.value::bigint) AS events
     FROM batches b, jsonb_each_text(b.rejections) r
     WHERE b.status = 'loaded' AND b.rejections IS NOT NULL
     GROUP BY 1 ORDER BY 2 DESC, 1`,
  );
  const total = totals.rows[0] as { found: string; expired: string; recent: string };
  return {
    databaseBytes: Number(size.rows[0]?.bytes ?? 0),
    partitions,
    batches: {
      loaded: count('loaded'),
      rejected: count('rejected'),
      rejectedReasons: Object.fromEntries(reasons.rows.map((row) => [row.reason, Number(row.batches)])),
      replayed: statuses.rows.reduce((sum, row) => sum + Number(row.replayed), 0),
    },
    events: {
      found: Number(total.found),
      expired: Number(total.expired),
      rejected: Object.fromEntries(rejections.rows.map((row) => [row.reason, Number(row.events)])),
    },
    recent: { days: recentDays, events: Number(total.recent) },
  };
}

/** The folder of the server's data, when this connection may read it (a superuser, as the embedded one). */
export async function serverDataDirectory(db: Queryable): Promise<string | undefined> {
  try {
    const result = await db.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
    return result.rows[0]?.dir;
  } catch {
    return undefined;
  }
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
