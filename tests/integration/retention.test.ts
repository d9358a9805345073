import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { batchObjectKey } from '../../src/core/batch-key';
import { loadBatch } from '../../src/core/load-batch';
import { planReplay, runReplay } from '../../src/core/replay';
import { DAY_MS, HOUR_MS } from '../../src/core/time';
import { createEventStore } from '../../src/db/event-store';
import { maintain } from '../../src/db/maintain';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { makeEvent } from '../helpers/make-events';

/**
 * Retention that holds, with the clock moved across months: with RETENTION_DAYS=N the loader stores no
 * event of a day maintenance drops (counted as expired, the raw batch kept), refuses events more than a
 * day in the future, and a replay never brings a dropped day back. Maintenance alone drops partitions.
 */
let database: TestDatabase;
let dir: string;
let clock = Date.UTC(2031, 2, 15, 12);
const RETENTION = 2;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-retention-'));
});
afterAll(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

const store = () => dirBatchStore(dir);
const deps = () => ({
  store: store(),
  events: createEventStore(database.db),
  logger: silentLogger,
  retention: { days: RETENTION, now: () => clock },
});
const put = (id: string, events: unknown[]) =>
  store().putIfAbsent(batchObjectKey(id), gzipSync(JSON.stringify(events)));

async function record(id: string) {
  const result = await database.db.query(
    'SELECT event_count, inserted_count, expired_count, rejected_count, rejections, replay_count FROM batches WHERE batch_id = $1',
    [id],
  );
  return result.rows[0];
}

async function days(): Promise<string[]> {
  const result = await database.db.query<{ name: string }>(
    "SELECT relname AS name FROM pg_class WHERE relname LIKE 'events\\_2%' AND relkind = 'r' ORDER BY 1",
  );
  return result.rows.map((row) => row.name);
}

it('stores no event of a day retention drops, counts it expired, and refuses events far in the future', async () => {
  await put('mixed-ages', [
    makeEvent({ ts: clock - 5 * DAY_MS, id: 'five-days-old' }),
    makeEvent({ ts: clock - 2 * DAY_MS - HOUR_MS, id: 'just-kept' }),
    makeEvent({ ts: clock - HOUR_MS, id: 'recent' }),
    makeEvent({ ts: clock + 2 * DAY_MS, id: 'future' }),
  ]);
  expect(await loadBatch(batchObjectKey('mixed-ages'), deps())).toMatchObject({
    status: 'loaded',
    inserted: 2,
    expired: 1,
  });
  expect(await record('mixed-ages')).toEqual({
    event_count: 4,
    inserted_count: 2,
    expired_count: 1,
    rejected_count: 1,
    rejections: { 'the event is more than a day in the future': 1 },
    replay_count: 0,
  });
  // The day of the 5-day-old event was never created.
  expect(await days()).toEqual(['events_20310313', 'events_20310315']);
});

it('maintenance drops the days past retention as the clock moves on; a replay brings none of them back', async () => {
  clock += 31 * DAY_MS; // a month later
  await maintain(database.db, { daysAhead: 0, retentionDays: RETENTION, now: clock }, silentLogger);
  expect(await days()).toEqual(['events_20310415']);
  // The raw batch is still stored: replaying everything reloads nothing of its days.
  const plan = await planReplay({ all: true }, { ...deps(), storedAt: async () => new Date(clock) });
  expect(plan.keys).toEqual([batchObjectKey('mixed-ages')]);
  expect(await runReplay(plan, deps())).toMatchObject({
    batches: { loaded: 1, failed: [], notTried: 0 },
    events: { found: 4, inserted: 0, expired: 4 },
  });
  // A month on, the once-future event is past retention too: all four are expired, none rejected. The
  // record is the same one, updated by the replay.
  expect(await record('mixed-ages')).toMatchObject({
    inserted_count: 0,
    expired_count: 4,
    rejected_count: 0,
    replay_count: 1,
  });
  expect(await days()).toEqual(['events_20310415']);
});
