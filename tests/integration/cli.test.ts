import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { batchObjectKey } from '../../src/core/batch-key';
import { encodeEvent } from '../../src/core/events/body-codec';
import { rowsOfBatch } from '../../src/core/events/rows';
import { DAY_MS, HOUR_MS, utcDay } from '../../src/core/time';
import { migrate } from '../../src/db/migrate';
import { MIGRATIONS } from '../../src/db/migrations';
import { throwawayDataDir } from '../../src/local/database';
import { silentLogger } from '../../src/logger';
import { type CliRun, REPO_ROOT, runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { fixture } from '../helpers/fixtures';
import { makeBatch, makeEvent } from '../helpers/make-events';
import { isAlive, postmasterPid } from '../helpers/processes';

/**
 * The CLI as a user runs it: a process of its own, its stdout, stderr and exit code. Usage mistakes exit
 * 2 with the help; a database that cannot be reached is one line and exit 1; status reports what was
 * loaded; each replay selector replays what it says, keeping the batches' history.
 */
jest.setTimeout(120_000);

// biome-ignore lint/suspicious/noExplicitAny: the JSON documents are checked field by field.
const parse = (run: CliRun): any => JSON.parse(run.stdout);
const lines = (text: string) => text.split('\n').filter(Boolean);

describe('usage', () => {
  const env = { DATA_DIR: '/nonexistent/never-used' };

  it('--help lists every command with its summary, on stdout, exit 0', async () => {
    const run = await runCli(['--help'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    for (const name of ['status', 'replay', 'maintain', 'migrate']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name} +\\S.*$`, 'm'));
    }
    expect(run.stdout).toContain('Exit codes');
  });

  it('runs as the package’s bin from the checkout: npx sparkpost-event-db, and npm run cli', async () => {
    // A throwaway npm cache, offline: npx links the checkout's own bin there and never asks a registry.
    const cache = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-npx-'));
    try {
      for (const command of [
        ['npx', '--offline', 'sparkpost-event-db'],
        ['npm', 'run', '--silent', 'cli', '--'],
      ]) {
        const run = await runCli(['--help'], { npm_config_cache: cache }, { command, cwd: REPO_ROOT });
        expect({ command, code: run.code, usage: run.stdout.split('\n')[0] }).toEqual({
          command,
          code: 0,
          usage: 'usage: sparkpost-event-db <command> [options]',
        });
      }
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it.each(['status', 'replay', 'maintain', 'migrate', 'query', 'export'])(
    '%s --help prints its usage and examples',
    async (name) => {
      const run = await runCli([name, '--help'], env);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(new RegExp(`^usage: sparkpost-event-db ${name}\\b`));
      expect(run.stdout).toContain('examples:');
      expect(run.stdout).toContain('exit codes');
    },
  );

  it('an unknown command, or none, is exit 2 with the usage on stderr and nothing on stdout', async () => {
    for (const args of [['frobnicate'], []]) {
      const run = await runCli(args, env);
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toContain('usage: sparkpost-event-db <command>');
      expect(lines(run.stderr).at(-1)).toBe(
        args.length ? 'error: unknown command "frobnicate"' : 'error: no command given',
      );
    }
  });

  it('an unknown option, a missing value or a bad selector is exit 2 with the command’s help', async () => {
    const cases: Array<[string[], string]> = [
      [['replay', '--everything'], 'error: unknown option --everything'],
      [['status', '--verbose'], 'error: unknown option --verbose'],
      [['replay', '--from', '2026-02-30'], 'error: --from: no such day "2026-02-30"'],
      [
        ['replay', '--from', '2026-11-01', '--to', '2026-11-02T10:00'],
        'error: --from and --to must both be days (event days) or both be times (arrival times)',
      ],
      [['replay', '--all', '--status', 'rejected'], 'error: --all replays every stored batch: give it alone'],
      [['replay', '--status', 'loaded'], 'error: --status takes rejected or pending, not "loaded"'],
    ];
    for (const [args, error] of cases) {
      const run = await runCli(args, env);
      expect({ args, code: run.code, stdout: run.stdout, last: lines(run.stderr).at(-1) }).toEqual({
        args,
        code: 2,
        stdout: '',
        last: error,
      });
      expect(run.stderr).toContain(`usage: sparkpost-event-db ${args[0]}`);
    }
  });
});

describe('a database that cannot be reached', () => {
  it('is one line on stderr, naming where it was looked for (never the password), and exit 1', async () => {
    const dir = await throwawayDataDir('sparkpost-event-db-cli-unreachable-');
    try {
      const run = await runCli(['status'], {
        DATA_DIR: dir,
        DATABASE_URL: 'postgresql://postgres:s3cret-pw@127.0.0.1:1/events',
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(
          /^error: cannot reach the database, DATABASE_URL \(127\.0\.0\.1:1\/events\): .*ECONNREFUSED/,
        ),
      ]);
      expect(run.stderr).not.toContain('s3cret-pw');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a bad variable is named, with every other one, and exit 1', async () => {
    const run = await runCli(['status'], {
      DATA_DIR: '/nonexistent',
      RETENTION_DAYS: 'forever',
      DISK_BUDGET_GB: '-1',
    });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      'invalid configuration:\n' +
        '  - DISK_BUDGET_GB must be an integer from 0 to 1000000 (got "-1")\n' +
        '  - RETENTION_DAYS must be an integer from 0 to 9007199254740991 (got "forever")\n',
    );
  });
});

describe('on a database (DATABASE_URL) and a data folder', () => {
  let database: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  const now = Date.now();
  const cli = (...args: string[]) => runCli(args, env);

  /** The test's batches: their events, and when each arrived (the file's time). */
  const deepMeta = `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`;
  const batches = {
    'recent-a': { events: makeBatch(3, now - 2 * HOUR_MS, 'a-'), arrived: now - DAY_MS },
    'recent-b': { events: makeBatch(2, now - 26 * HOUR_MS, 'b-'), arrived: now - 2 * HOUR_MS },
    // One stored, one past RETENTION_DAYS=30 (expired), one nested too deep (rejected).
    mixed: {
      events: [
        makeEvent({ ts: now - HOUR_MS, id: 'm-kept' }),
        makeEvent({ ts: now - 40 * DAY_MS, id: 'm-expired' }),
        makeEvent({ ts: now - HOUR_MS, id: 'm-deep', fields: { rcpt_meta: JSON.parse(deepMeta) } }),
      ],
      arrived: now - 10 * DAY_MS,
    },
    'week-old': {
      events: [...makeBatch(2, now - 5 * DAY_MS, 'w5-'), makeEvent({ ts: now - 6 * DAY_MS, id: 'w6' })],
      arrived: now - HOUR_MS,
    },
  };
  const stored = (ts: number) => ts > now - 40 * DAY_MS;

  async function put(id: string, body: string, arrived: number) {
    const path = join(dir, batchObjectKey(id));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, gzipSync(body));
    await utimes(path, new Date(arrived), new Date(arrived));
  }

  async function record(id: string) {
    const result = await database.db.query('SELECT status, replay_count FROM batches WHERE batch_id = $1', [
      id,
    ]);
    return result.rows[0];
  }
  const batchRows = async () =>
    Number((await database.db.query('SELECT count(*) AS n FROM batches')).rows[0]?.n);

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await throwawayDataDir('sparkpost-event-db-cli-');
    env = {
      DATA_DIR: dir,
      DATABASE_URL: database.connectionString,
      RETENTION_DAYS: '30',
      DISK_BUDGET_GB: '1',
    };
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('status on an empty database says so, on a terminal and in JSON', async () => {
    const json = await cli('status', '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(parse(json)).toMatchObject({
      dataDir: dir,
      database: { server: 'DATABASE_URL', sharedWithServicePid: null },
      retentionDays: 30,
      partitions: { count: 0, oldestDay: null, newestDay: null, rows: 0, days: [] },
      batches: { stored: 0, loaded: 0, rejected: { count: 0, reasons: {} }, pending: 0, replayed: 0 },
      events: { stored: 0, found: 0, expired: 0, rejected: { count: 0, reasons: {} } },
      disk: { batchesBytes: 0, growthBytesPerDay: { batches: 0, database: 0 }, budgetBytes: 1e9 },
    });
    const human = await cli('status');
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toContain('Partitions    none yet');
    expect(human.stdout).toContain('Batches       0 batches stored: 0 loaded, 0 rejected, 0 pending');
    expect(human.stdout).toContain('RETENTION_DAYS=30');
  });

  it('replay loads the pending batches, with progress lines off a terminal, and exit 1 for a rejected one', async () => {
    await mkdir(join(dir, 'batches'), { recursive: true });
    for (const [id, batch] of Object.entries(batches))
      await put(id, JSON.stringify(batch.events), batch.arrived);
    await put('broken', 'this is not json', now - 3 * DAY_MS);

    const run = await cli('replay');
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^replayed 5 batches in \d+ s: 4 loaded, 1 rejected, 0 failed$/),
      'events: 11 found, 9 stored now, 0 already stored, 1 expired (RETENTION_DAYS), 1 rejected',
      '  rejected events: nested deeper than 64 levels (1)',
      expect.stringMatching(/^ {2}rejected batch broken: unreadable batch: not valid JSON/),
    ]);
    const progress = lines(run.stderr);
    // Not a terminal: a first line, one per tenth of the batches (here each one), a last line.
    expect(progress[0]).toBe('replay: 5 batches to load');
    expect(progress.at(-1)).toMatch(/^replay: 5\/5 batches, 11 events, [\d,]+ events\/s$/);
    expect(progress).toHaveLength(6);
    expect(await batchRows()).toBe(5);
  });

  it('status reports what was loaded: days, batches, events not stored, disk and forecast', async () => {
    const run = await cli('status', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const status = parse(run);
    const all = Object.values(batches).flatMap((batch) => batch.events);
    const perDay = new Map<string, number>();
    for (const { msys } of all) {
      const event = msys.message_event as { timestamp: string; event_id: string };
      const ts = Number(event.timestamp) * 1000;
      if (stored(ts) && event.event_id !== 'm-deep') {
        perDay.set(utcDay(ts), (perDay.get(utcDay(ts)) ?? 0) + 1);
      }
    }
    const days = [...perDay.keys()].sort();
    expect(status.partitions).toMatchObject({
      count: days.length,
      oldestDay: days[0],
      newestDay: days.at(-1),
      rows: 9,
    });
    expect(status.partitions.days.map((d: { day: string; rows: number }) => [d.day, d.rows])).toEqual(
      days.map((day) => [day, perDay.get(day)]),
    );
    for (const day of status.partitions.days) expect(day.bytes).toBeGreaterThan(0);
    expect(status.batches).toMatchObject({
      stored: 5,
      loaded: 4,
      rejected: { count: 1 },
      pending: 0,
      replayed: 0,
    });
    expect(Object.entries(status.batches.rejected.reasons)).toEqual([
      [expect.stringMatching(/^unreadable batch: not valid JSON/), 1],
    ]);
    expect(status.events).toEqual({
      stored: 9,
      found: 11,
      expired: 1,
      rejected: { count: 1, reasons: { 'nested deeper than 64 levels': 1 } },
    });

    // Disk: the raw files as `du` counts them; growth over the 7 days' arrivals.
    let batchBytes = 0;
    let recentBytes = 0;
    for (const id of [...Object.keys(batches), 'broken']) {
      const info = await stat(join(dir, batchObjectKey(id)));
      batchBytes += info.blocks * 512;
      if (info.mtimeMs >= now - 7 * DAY_MS) recentBytes += info.blocks * 512;
    }
    const { disk } = status;
    expect(disk.batchesBytes).toBe(batchBytes);
    expect(disk.usedBytes).toBe(disk.batchesBytes + disk.databaseBytes);
    expect(status.database.bytes).toBe(disk.databaseBytes);
    expect(disk.growthBytesPerDay.batches).toBe(Math.round(recentBytes / 7));
    // recent-a, recent-b and week-old arrived in the last 7 days: 8 stored events, at today's size.
    expect(disk.growthBytesPerDay.database).toBe(Math.round((8 * status.partitions.bytes) / 9 / 7));
    expect(disk.filesystems).toEqual([
      expect.objectContaining({ path: dir, holds: ['batches'], daysUntilFull: expect.any(Number) }),
    ]);
    const [filesystem] = disk.filesystems;
    // Days = free space / growth (the JSON rounds the growth to whole bytes).
    const expectedDays = filesystem.freeBytes / disk.growthBytesPerDay.batches;
    expect(Math.abs(filesystem.daysUntilFull - expectedDays) / expectedDays).toBeLessThan(0.001);
    expect(disk.daysUntilFull).toBe(filesystem.daysUntilFull);
    expect(disk.budgetBytes).toBe(1e9);
    expect(disk.daysUntilBudget).toBeGreaterThan(0);

    const human = (await cli('status')).stdout;
    expect(human).toContain('Batches       5 batches stored: 4 loaded, 1 rejected, 0 pending');
    expect(human).toContain('Events        9 events stored; of the 11 the loaded batches hold, 1 expired');
    expect(human).toContain('rejected: nested deeper than 64 levels (1 event)');
    expect(human).toMatch(
      new RegExp(`^ +${days[0]} +${perDay.get(days[0] as string)} +[\\d.]+ [kMG]?B$`, 'm'),
    );
    expect(human).toContain('DISK_BUDGET_GB=1: ');
  });

  it('replay --batch loads that batch again, updating its record; history stays', async () => {
    const run = await cli('replay', '--batch', 'recent-a', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(parse(run)).toMatchObject({
      selection: { batches: ['recent-a'] },
      batches: { selected: 1, loaded: 1, rejected: [], failed: [], missing: [], notTried: 0 },
      events: { found: 3, inserted: 0, duplicates: 3, expired: 0 },
    });
    expect(await record('recent-a')).toEqual({ status: 'loaded', replay_count: 1 });
    expect(await batchRows()).toBe(5);
  });

  it('replay --status rejected retries the unreadable batch: exit 1 while it is, 0 once fixed', async () => {
    const still = await cli('replay', '--status', 'rejected');
    expect(still.code).toBe(1);
    expect(still.stdout).toMatch(/^ {2}rejected batch broken: unreadable batch: not valid JSON/m);
    await put('broken', JSON.stringify(makeBatch(2, now - 3 * HOUR_MS, 'fixed-')), now - 3 * DAY_MS);
    const fixed = await cli('replay', '--status', 'rejected', '--json');
    expect(fixed.code).toBe(0);
    expect(parse(fixed)).toMatchObject({ batches: { selected: 1, loaded: 1 }, events: { inserted: 2 } });
    expect(await record('broken')).toEqual({ status: 'loaded', replay_count: 2 });
  });

  it('replay --from/--to with days replays the batches holding events of those days', async () => {
    const run = await cli(
      'replay',
      '--from',
      utcDay(now - 6 * DAY_MS),
      '--to',
      utcDay(now - 5 * DAY_MS),
      '--json',
    );
    expect(run.code).toBe(0);
    expect(parse(run)).toMatchObject({
      selection: { eventTimes: { from: `${utcDay(now - 6 * DAY_MS)}T00:00:00.000Z` } },
      // week-old, and mixed: its recorded events span those days (40 days ago to now), but none is on
      // them, which the load finds out: it leaves the batch alone.
      batches: { selected: 2, loaded: 1, skipped: 1 },
      events: { found: 3, duplicates: 3 },
    });
    expect(await record('week-old')).toEqual({ status: 'loaded', replay_count: 1 });
  });

  it('replay --from/--to with times replays the batches that arrived then', async () => {
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const run = await cli(
      'replay',
      '--from',
      iso(now - 11 * DAY_MS),
      '--to',
      `${iso(now - 9 * DAY_MS)}Z`,
      '--json',
    );
    expect(run.code).toBe(0);
    expect(parse(run)).toMatchObject({
      batches: { selected: 1, loaded: 1 },
      events: { found: 3, expired: 1 },
    });
    expect(await record('mixed')).toEqual({ status: 'loaded', replay_count: 1 });
  });

  it('replay --all reloads every stored batch, keeps one record each, and names batches not found', async () => {
    const run = await cli('replay', '--all', '--json');
    expect(run.code).toBe(0);
    expect(parse(run)).toMatchObject({
      selection: { all: true },
      batches: { selected: 5, loaded: 5, rejected: [], failed: [] },
      events: {
        found: 13,
        inserted: 0,
        duplicates: 11,
        expired: 1,
        rejected: { 'nested deeper than 64 levels': 1 },
      },
    });
    expect(await batchRows()).toBe(5);
    expect(await record('recent-b')).toEqual({ status: 'loaded', replay_count: 1 });

    const missing = await cli('replay', '--batch', 'no-such-batch');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('  not in the store: no-such-batch');
  });

  it('maintain creates the days ahead and drops none inside RETENTION_DAYS', async () => {
    const existing = await database.db.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass",
    );
    const days = new Set(
      existing.rows.map((row) => row.name.replace(/^events_(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')),
    );
    // Reconciliation: a batch stored yesterday that nothing loaded, one from before RECONCILE_DAYS (14).
    await put('never-loaded', JSON.stringify(makeBatch(2, now - 3 * HOUR_MS, 'n-')), now - DAY_MS);
    await put('too-old', JSON.stringify(makeBatch(1, now - 3 * HOUR_MS, 'o-')), now - 20 * DAY_MS);
    const run = await cli('maintain', '--json');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^warn: stored batches the database does not know; loading them \{"batches":\d+,"windowDays":14\}\n$/,
    );
    const ahead = [0, 1, 2, 3].map((n) => utcDay(Date.now() + n * DAY_MS));
    const document = parse(run);
    expect(document).toEqual({
      created: ahead.filter((day) => !days.has(day)),
      dropped: [],
      daysAhead: 3,
      retentionDays: 30,
      reconcileDays: 14,
      reconciled: {
        checked: expect.any(Number),
        pending: expect.any(Number),
        loaded: expect.any(Number),
        rejected: expect.any(Number),
        failed: [],
        notTried: 0,
      },
    });
    expect(document.reconciled.loaded).toBeGreaterThanOrEqual(1);
    expect(document.reconciled.pending).toBe(document.reconciled.loaded + document.reconciled.rejected);
    expect(await record('never-loaded')).toEqual({ status: 'loaded', replay_count: 0 });
    expect(await record('too-old')).toBeUndefined();
    const again = await cli('maintain');
    expect(again.stdout).toMatch(
      /^partitions created: none \(PARTITIONS_AHEAD_DAYS=3\)\npartitions dropped: none \(RETENTION_DAYS=30\)\nbatches reconciled: \d+ stored in the last 14 days, 0 not loaded before, 0 loaded now, 0 rejected, 0 left \(RECONCILE_DAYS=14\)\n$/,
    );
  });

  it('migrate reports the schema, what it applied (nothing: already current) and the v1 conversion', async () => {
    const run = await cli('migrate', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(parse(run)).toEqual({ schema: MIGRATIONS.at(-1)?.version, applied: [], convertedV1Events: 0 });
  });
});

describe('migrate on a database of storage v1', () => {
  it('applies the migrations it lacks and converts its events', async () => {
    const database = await createTestDatabase({ migrate: false });
    const dir = await throwawayDataDir('sparkpost-event-db-cli-v1-');
    try {
      await migrate(
        database.db,
        MIGRATIONS.filter((m) => m.version < '003'),
        silentLogger,
      );
      // What the v1 loader stored of the quick start's batch: one row per event, the body deflated.
      const { rows } = rowsOfBatch(fixture<unknown[]>('webhook-real-batch-2017.json'), Date.now());
      for (const day of new Set(rows.map((row) => utcDay(row.ts)))) {
        await database.db.query('SELECT ensure_events_partition($1::date)', [day]);
      }
      for (const row of rows) {
        await database.db.query(
          `INSERT INTO events (ts, event_id, type, terms, reason, body)
           VALUES (timestamptz 'epoch' + $1 * interval '1 millisecond', $2, $3, '', $4, $5)`,
          [row.ts, row.eventId, row.type, row.reason, encodeEvent(row.element)],
        );
      }
      const env = { DATA_DIR: dir, DATABASE_URL: database.connectionString };
      const run = await runCli(['migrate'], env);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const later = MIGRATIONS.filter((m) => m.version >= '003').map((m) => m.version);
      expect(run.stdout).toBe(
        `schema: ${later.at(-1)} (${MIGRATIONS.length} migrations)\napplied now: ${later.join(', ')}\n` +
          `storage v1 events converted: ${rows.length}\n`,
      );
      expect(parse(await runCli(['status', '--json'], env)).events).toMatchObject({ stored: rows.length });
    } finally {
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the embedded PostgreSQL, with no service running', () => {
  it('is started for the command and stopped after it', async () => {
    const dir = await throwawayDataDir('sparkpost-event-db-cli-embedded-');
    try {
      const run = await runCli(['status'], { DATA_DIR: dir });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toContain('Database      embedded PostgreSQL, started for this command');
      const pid = postmasterPid(join(dir, 'pg'));
      expect(pid === undefined || !isAlive(pid)).toBe(true);
      expect(existsSync(join(dir, 'command.pid'))).toBe(false);
      // It migrated the new database as the service would.
      const migrate = await runCli(['migrate', '--json'], { DATA_DIR: dir });
      expect(parse(migrate)).toMatchObject({ applied: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
