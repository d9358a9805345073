import { join } from 'node:path';
import { loadConfig } from '../../config';
import { BATCH_PREFIX } from '../../core/batch-key';
import { daysUntilFull, type Growth } from '../../core/forecast';
import { pendingKeys, storedKeys } from '../../core/load-batch';
import { DAY_MS, utcDay } from '../../core/time';
import { createEventStore } from '../../db/event-store';
import { readInventory, serverDataDirectory } from '../../db/inventory';
import { runningService } from '../../local/database';
import { dirBatchStore } from '../../local/dir-batch-store';
import { fileSystemOf, folderUsage } from '../../local/disk';
import { type Command, type CommandContext, EXIT, UsageError } from '../command';
import { bytes, count, oneLine, plural, table } from '../format';

const HELP = `usage: sparkpost-event-db status [--json]

What the data holds and how long the disk lasts:
  - the database: where it is (embedded, shared with the running service, or DATABASE_URL) and its size
  - the retention setting (RETENTION_DAYS)
  - the day partitions: how many, the oldest and newest day, events and bytes of each day
  - the batches: stored in DATA_DIR/batches, loaded, rejected (with the reasons), pending (stored but
    not known to the database: they load within seconds while the service runs, or with replay)
  - the events the loads did not store: expired (older than RETENTION_DAYS) and rejected (with reasons)
  - the disk: database + raw batches, the growth at the last 7 days' rate, and in how many days the
    disk holding them (its free space) or DISK_BUDGET_GB is full at that rate. Under RETENTION_DAYS the
    database only grows until it holds that many days; the raw batches grow for good.
Counting each day's events reads them all: on large databases this takes a few seconds.

examples:
  sparkpost-event-db status
  sparkpost-event-db status --json | jq .disk.daysUntilFull

exit codes: 0 done; 1 it failed (e.g. the database is unreachable); 2 a usage mistake.
`;

/** The days over which growth is measured. */
const RATE_DAYS = 7;

/** `status --json`: see the README ("status --json"). */
interface StatusDocument {
  dataDir: string;
  database: { server: 'embedded' | 'DATABASE_URL'; sharedWithServicePid: number | null; bytes: number };
  retentionDays: number;
  partitions: {
    count: number;
    oldestDay: string | null;
    newestDay: string | null;
    rows: number;
    bytes: number;
    days: Array<{ day: string; rows: number; bytes: number }>;
  };
  batches: {
    stored: number;
    loaded: number;
    rejected: { count: number; reasons: Record<string, number> };
    pending: number;
    replayed: number;
  };
  events: {
    stored: number;
    found: number;
    expired: number;
    rejected: { count: number; reasons: Record<string, number> };
  };
  disk: {
    usedBytes: number;
    databaseBytes: number;
    batchesBytes: number;
    growthBytesPerDay: { batches: number; database: number };
    filesystems: Array<{
      path: string;
      holds: Array<'batches' | 'database'>;
      sizeBytes: number;
      freeBytes: number;
      daysUntilFull: number | null;
    }>;
    daysUntilFull: number | null;
    budgetBytes: number | null;
    daysUntilBudget: number | null;
  };
}

async function collect(context: CommandContext): Promise<StatusDocument> {
  const config = loadConfig(context.env, ['local', 'db', 'maintenance']);
  const { dataDir, diskBudgetBytes } = config.local;
  const retentionDays = config.maintenance.retentionDays;
  const external = config.db.connectionString !== undefined;
  const db = await context.database();
  const now = Date.now();
  const since = now - RATE_DAYS * DAY_MS;

  const inventory = await readInventory(db, { recentDays: RATE_DAYS });
  const store = dirBatchStore(dataDir);
  const stored = (await storedKeys(store)).length;
  const pending = (await pendingKeys({ store, events: createEventStore(db) })).length;
  const batchesDir = join(dataDir, BATCH_PREFIX);
  const batchesUsage = await folderUsage(batchesDir, since);
  const service = external ? undefined : await runningService(dataDir);
  const pgDataDir = external ? undefined : await serverDataDirectory(db);

  const partitions = inventory.partitions;
  const rows = partitions.reduce((sum, p) => sum + p.rows, 0);
  const partitionBytes = partitions.reduce((sum, p) => sum + p.bytes, 0);
  const withEvents = partitions.filter((p) => p.rows > 0);

  // Growth: the raw batches stored in the last 7 days; the database's, the events those batches brought
  // (found, less expired and rejected) at today's bytes per stored event.
  const perEvent = rows > 0 ? partitionBytes / rows : 0;
  const growth = {
    batches: batchesUsage.recentBytes / RATE_DAYS,
    database: (inventory.recent.events * perEvent) / RATE_DAYS,
  };
  // Under retention the database grows until it holds RETENTION_DAYS days, then stays level.
  const heldDays = withEvents[0] ? Math.floor((now - Date.parse(`${withEvents[0].day}T00:00Z`)) / DAY_MS) : 0;
  const boundedDays = retentionDays > 0 ? Math.max(0, retentionDays - heldDays) : Number.POSITIVE_INFINITY;
  const growthOf = (holds: ReadonlyArray<'batches' | 'database'>): Growth => ({
    steady: holds.includes('batches') ? growth.batches : 0,
    bounded: holds.includes('database') ? growth.database : 0,
    days: boundedDays,
  });

  const places: Array<{ path: string; what: 'batches' | 'database' }> = [{ path: dataDir, what: 'batches' }];
  if (pgDataDir) places.push({ path: pgDataDir, what: 'database' });
  const filesystems: StatusDocument['disk']['filesystems'] = [];
  const devices = new Map<number, StatusDocument['disk']['filesystems'][number]>();
  for (const { path, what } of places) {
    const space = await fileSystemOf(path);
    const known = devices.get(space.device);
    if (known) {
      known.holds.push(what);
      continue;
    }
    const entry = {
      path,
      holds: [what],
      sizeBytes: space.sizeBytes,
      freeBytes: space.freeBytes,
      daysUntilFull: null,
    };
    devices.set(space.device, entry);
    filesystems.push(entry);
  }
  for (const entry of filesystems)
    entry.daysUntilFull = daysUntilFull(entry.freeBytes, growthOf(entry.holds)) ?? null;
  const usedBytes = inventory.databaseBytes + batchesUsage.bytes;
  const soonest = filesystems
    .map((entry) => entry.daysUntilFull)
    .filter((days): days is number => days !== null)
    .sort((a, b) => a - b)[0];
  const budget = diskBudgetBytes > 0 ? diskBudgetBytes : null;

  const sum = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((s, n) => s + n, 0);
  return {
    dataDir,
    database: {
      server: external ? 'DATABASE_URL' : 'embedded',
      sharedWithServicePid: service ?? null,
      bytes: inventory.databaseBytes,
    },
    retentionDays,
    partitions: {
      count: partitions.length,
      oldestDay: partitions[0]?.day ?? null,
      newestDay: partitions.at(-1)?.day ?? null,
      rows,
      bytes: partitionBytes,
      days: partitions.map((p) => ({ day: p.day, rows: p.rows, bytes: p.bytes })),
    },
    batches: {
      stored,
      loaded: inventory.batches.loaded,
      rejected: { count: inventory.batches.rejected, reasons: { ...inventory.batches.rejectedReasons } },
      pending,
      replayed: inventory.batches.replayed,
    },
    events: {
      stored: rows,
      found: inventory.events.found,
      expired: inventory.events.expired,
      rejected: { count: sum(inventory.events.rejected), reasons: { ...inventory.events.rejected } },
    },
    disk: {
      usedBytes,
      databaseBytes: inventory.databaseBytes,
      batchesBytes: batchesUsage.bytes,
      growthBytesPerDay: { batches: Math.round(growth.batches), database: Math.round(growth.database) },
      filesystems,
      daysUntilFull: soonest ?? null,
      budgetBytes: budget,
      daysUntilBudget:
        budget === null
          ? null
          : (daysUntilFull(budget - usedBytes, growthOf(['batches', 'database'])) ?? null),
    },
  };
}

function forecast(days: number | null): string {
  if (days === null) return 'not at this rate';
  if (days === 0) return 'full now';
  return `full in about ${plural(days, 'day')}`;
}

function human(status: StatusDocument, today: string): string[] {
  const { database, partitions, batches, events, disk } = status;
  const where =
    database.server === 'DATABASE_URL'
      ? 'DATABASE_URL'
      : database.sharedWithServicePid !== null
        ? `embedded PostgreSQL, the running service's (pid ${database.sharedWithServicePid})`
        : 'embedded PostgreSQL, started for this command';
  const lines = [
    `Data folder   ${status.dataDir}`,
    `Database      ${where}, ${bytes(database.bytes)}`,
    `Retention     ${
      status.retentionDays > 0
        ? `RETENTION_DAYS=${status.retentionDays}: days before ${utcDay(Date.parse(`${today}T00:00Z`) - status.retentionDays * DAY_MS)} are dropped`
        : 'RETENTION_DAYS=0: every day is kept'
    }`,
  ];
  if (partitions.count === 0) lines.push('Partitions    none yet');
  else {
    lines.push(
      `Partitions    ${plural(partitions.count, 'day')}, ${partitions.oldestDay} to ${partitions.newestDay}: ` +
        `${plural(partitions.rows, 'event')}, ${bytes(partitions.bytes)}`,
      ...table(
        [['day', 'events', 'size'], ...partitions.days.map((p) => [p.day, count(p.rows), bytes(p.bytes)])],
        '                ',
        [1, 2],
      ),
    );
  }
  lines.push(
    `Batches       ${plural(batches.stored, 'batch', 'batches')} stored: ${count(batches.loaded)} loaded, ` +
      `${count(batches.rejected.count)} rejected, ${count(batches.pending)} pending` +
      (batches.replayed > 0 ? ` (${count(batches.replayed)} replayed)` : ''),
  );
  for (const [reason, n] of Object.entries(batches.rejected.reasons)) {
    lines.push(
      `                rejected: ${oneLine(reason) || '(no reason)'} (${plural(n, 'batch', 'batches')})`,
    );
  }
  lines.push(
    `Events        ${plural(events.stored, 'event')} stored; of the ${count(events.found)} the loaded batches hold, ` +
      `${count(events.expired)} expired (older than RETENTION_DAYS) and ${count(events.rejected.count)} rejected`,
  );
  for (const [reason, n] of Object.entries(events.rejected.reasons)) {
    lines.push(`                rejected: ${oneLine(reason)} (${plural(n, 'event')})`);
  }
  lines.push(
    `Disk          ${bytes(disk.usedBytes)} used: database ${bytes(disk.databaseBytes)}, raw batches ${bytes(disk.batchesBytes)}`,
    `              growth at the last 7 days' rate: ${bytes(disk.growthBytesPerDay.batches + disk.growthBytesPerDay.database)}/day ` +
      `(raw batches ${bytes(disk.growthBytesPerDay.batches)}, database ${bytes(disk.growthBytesPerDay.database)})`,
  );
  for (const fs of disk.filesystems) {
    const holds = fs.holds.map((what) => (what === 'batches' ? 'raw batches' : 'database')).join(' and ');
    lines.push(
      `              ${holds} on the disk of ${fs.path}: ${bytes(fs.freeBytes)} free of ${bytes(fs.sizeBytes)}, ${forecast(fs.daysUntilFull)}`,
    );
  }
  if (disk.budgetBytes !== null) {
    lines.push(
      `              DISK_BUDGET_GB=${disk.budgetBytes / 1e9}: ${bytes(Math.max(0, disk.budgetBytes - disk.usedBytes))} left, ${forecast(disk.daysUntilBudget)}`,
    );
  }
  return lines;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'what the database holds: partitions, batches, events not stored, disk and its forecast',
  help: HELP,
  options: {},
  async run(context) {
    if (context.positionals.length > 0)
      throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
    const status = await collect(context);
    context.stdout.write(
      context.json ? `${JSON.stringify(status)}\n` : `${human(status, utcDay(Date.now())).join('\n')}\n`,
    );
    return EXIT.ok;
  },
};
