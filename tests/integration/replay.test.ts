import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { batchObjectKey } from '../../src/core/batch-key';
import { loadBatch } from '../../src/core/load-batch';
import { planReplay, type ReplaySelection, runReplay } from '../../src/core/replay';
import { DAY_MS } from '../../src/core/time';
import { createEventStore } from '../../src/db/event-store';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { makeBatch } from '../helpers/make-events';

/**
 * Replays on real PostgreSQL: each selector chooses the batches it says, a replay updates the batch's
 * record (its history stays), reloads what is missing and never duplicates, and two replays of the same
 * batches at once (the CLI beside the service) leave one row per event.
 */
let database: TestDatabase;
let dir: string;

const DAY1 = Date.UTC(2025, 2, 1, 10);
const ARRIVED_EARLY = new Date(Date.UTC(2026, 0, 1, 12));
const ARRIVED_LATE = new Date(Date.UTC(2026, 1, 1, 12));

const store = () => dirBatchStore(dir);
const deps = () => ({ store: store(), events: createEventStore(database.db), logger: silentLogger });
const planDeps = () => ({
  store: store(),
  events: createEventStore(database.db),
  storedAt: async (key: string) => (await stat(join(dir, key))).mtime,
});
const plan = (selection: ReplaySelection) => planReplay(selection, planDeps());
const ids = async (selection: ReplaySelection) =>
  (await plan(selection)).keys.map((key) => key.replace(/^batches\/|\.json\.gz$/g, ''));

async function put(id: string, body: string | unknown[], arrived: Date): Promise<void> {
  const key = batchObjectKey(id);
  await writeFile(join(dir, key), gzipSync(typeof body === 'string' ? body : JSON.stringify(body)));
  await utimes(join(dir, key), arrived, arrived);
}

async function record(id: string) {
  const result = await database.db.query(
    `SELECT status, reason, event_count, inserted_count, duplicate_count, replay_count, loaded_at, replayed_at,
            first_event_at, last_event_at
     FROM batches WHERE batch_id = $1`,
    [id],
  );
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read the row's columns.
  return result.rows[0] as Record<string, any>;
}

const countOf = async (table: string) =>
  Number((await database.db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
const eventCount = () => countOf('events');

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-replay-'));
  await mkdir(join(dir, 'batches'));
  // one-day: 3 events on day 1; two-days: 2 on day 2 and 2 on day 3; broken: not JSON; pending: day 5,
  // stored but never loaded.
  await put('one-day', makeBatch(3, DAY1, 'one-'), ARRIVED_EARLY);
  await put(
    'two-days',
    [...makeBatch(2, DAY1 + DAY_MS, 'two-a-'), ...makeBatch(2, DAY1 + 2 * DAY_MS, 'two-b-')],
    ARRIVED_LATE,
  );
  await put('broken', 'this is not json', ARRIVED_LATE);
  for (const id of ['one-day', 'two-days', 'broken']) await loadBatch(batchObjectKey(id), deps());
  await put('pending', makeBatch(2, DAY1 + 4 * DAY_MS, 'pending-'), ARRIVED_EARLY);
});
afterAll(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('choosing the batches', () => {
  it('records the times of a batch’s oldest and newest event when it loads', async () => {
    expect(await record('two-days')).toMatchObject({
      first_event_at: new Date(DAY1 + DAY_MS),
      last_event_at: new Date(DAY1 + 2 * DAY_MS + 1000),
      replay_count: 0,
    });
  });

  it('--status pending: the stored batches the database does not know; --status rejected: the unreadable', async () => {
    expect(await ids({ status: 'pending' })).toEqual(['pending']);
    expect(await ids({ status: 'rejected' })).toEqual(['broken']);
  });

  it('--all: every stored batch, in key order, with the events their records count when all are known', async () => {
    expect(await ids({ all: true })).toEqual(['broken', 'one-day', 'pending', 'two-days']);
    expect((await plan({ all: true })).events).toBeUndefined(); // `pending` has no record
    expect((await plan({ batchIds: ['one-day', 'two-days'] })).events).toBe(7);
  });

  it('--batch: those ids, and says which are not in the store', async () => {
    expect(await plan({ batchIds: ['two-days', 'no-such-batch', 'two-days'] })).toMatchObject({
      keys: [batchObjectKey('two-days')],
      missing: ['no-such-batch'],
    });
  });

  it('event days: batches whose recorded events overlap, plus those whose event times are not recorded', async () => {
    const day3 = { from: DAY1 - 10 * 3_600_000 + 2 * DAY_MS, to: DAY1 - 10 * 3_600_000 + 3 * DAY_MS };
    expect(await ids({ eventTimes: day3 })).toEqual(['broken', 'pending', 'two-days']);
  });

  it('arrival: batches stored in the window, by their record or by the file for pending ones', async () => {
    const january = { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1) };
    expect(await ids({ arrival: january })).toEqual(['one-day', 'pending']);
    expect(await ids({ arrival: january, status: 'pending' })).toEqual(['pending']);
  });
});

describe('replaying', () => {
  it('of some event days loads the batches holding them and leaves the others alone', async () => {
    const day3 = { from: Date.UTC(2025, 2, 3), to: Date.UTC(2025, 2, 4) };
    const report = await runReplay(await plan({ eventTimes: day3 }), deps());
    expect(report.batches).toMatchObject({ selected: 3, loaded: 1, skipped: 2, rejected: [], failed: [] });
    expect(report.events).toMatchObject({ found: 4, inserted: 0, duplicates: 4 });
    expect(await ids({ status: 'pending' })).toEqual(['pending']); // left alone: no event of that day
    expect(await record('broken')).toMatchObject({ status: 'rejected', replay_count: 0 });
  });

  it('keeps the batch record and its first load time, counting the replay and this load’s numbers', async () => {
    const before = await record('one-day');
    const batches = await countOf('batches');
    const report = await runReplay(await plan({ batchIds: ['one-day'] }), deps());
    expect(report.batches).toMatchObject({ loaded: 1, failed: [], missing: [] });
    const after = await record('one-day');
    expect(after).toMatchObject({
      status: 'loaded',
      event_count: 3,
      inserted_count: 0,
      duplicate_count: 3,
      replay_count: 1,
      loaded_at: before.loaded_at,
    });
    expect(after.replayed_at).toBeInstanceOf(Date);
    expect(await countOf('batches')).toBe(batches);
  });

  it('stores again the events lost since, and only those', async () => {
    const total = await eventCount();
    await database.db.query("DELETE FROM events WHERE event_id LIKE 'two-b-%'");
    const report = await runReplay(await plan({ batchIds: ['two-days'] }), deps());
    expect(report.events).toMatchObject({ found: 4, inserted: 2, duplicates: 2 });
    expect(await eventCount()).toBe(total);
    expect(await record('two-days')).toMatchObject({
      inserted_count: 2,
      duplicate_count: 2,
      replay_count: 2,
    });
  });

  it('loads a rejected batch once its file is readable, turning its record into a loaded one', async () => {
    await put('broken', makeBatch(2, DAY1, 'fixed-'), ARRIVED_LATE);
    const report = await runReplay(await plan({ status: 'rejected' }), deps());
    expect(report.batches).toMatchObject({ selected: 1, loaded: 1, rejected: [] });
    expect(await record('broken')).toMatchObject({
      status: 'loaded',
      reason: null,
      event_count: 2,
      inserted_count: 2,
      replay_count: 1,
    });
  });

  it('reports a batch that is still unreadable as rejected, with the reason, and names missing ones', async () => {
    await put('still-broken', '[{"msys":', ARRIVED_LATE);
    const report = await runReplay(await plan({ batchIds: ['still-broken', 'gone'] }), deps());
    expect(report.batches).toMatchObject({
      loaded: 0,
      rejected: [{ batchId: 'still-broken', reason: 'unreadable batch: not valid JSON (it ends too soon)' }],
      missing: ['gone'],
    });
  });

  it('twice at once (a replay beside the service’s loader) leaves one row per event and both counted', async () => {
    const total = await eventCount();
    const everything = await plan({ batchIds: ['one-day', 'two-days', 'pending'] });
    const before = await record('one-day');
    const [first, second] = await Promise.all([runReplay(everything, deps()), runReplay(everything, deps())]);
    for (const report of [first, second]) expect(report.batches).toMatchObject({ loaded: 3, failed: [] });
    // `pending`'s 2 events are new; whichever load ran first stored them, the other found them stored.
    expect(first.events.inserted + second.events.inserted).toBe(2);
    expect(await eventCount()).toBe(total + 2);
    expect((await record('one-day')).replay_count).toBe(before.replay_count + 2);
    expect((await record('pending')).replay_count).toBe(1);
  });
});
