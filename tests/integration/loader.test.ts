import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadBatch } from '../../src/core/load-batch';
import type { BatchStore } from '../../src/core/ports';
import { createEventStore } from '../../src/db/event-store';
import { maintain } from '../../src/db/maintain';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { makeBatch, makeEvent } from '../helpers/make-events';

let database: TestDatabase;
let dir: string;
let store: BatchStore;

beforeAll(async () => {
  database = await createTestDatabase({ poolMax: 8 });
  dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-loader-'));
  store = dirBatchStore(dir);
});
afterAll(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

const deps = () => ({ store, events: createEventStore(database.db), logger: silentLogger });
const put = (id: string, body: unknown) =>
  store.putIfAbsent(`batches/${id}.json.gz`, gzipSync(JSON.stringify(body)));

async function batchRow(id: string) {
  const result = await database.db.query(
    'SELECT status, event_count, inserted_count, duplicate_count, skipped_count, reason FROM batches WHERE batch_id = $1',
    [id],
  );
  return result.rows[0];
}

describe('loadBatch', () => {
  it('records a corrupt object as rejected, with the reason, and leaves it in the store', async () => {
    await mkdir(join(dir, 'batches'), { recursive: true });
    await writeFile(join(dir, 'batches', 'corrupt.json.gz'), 'not gzip at all');
    const outcome = await loadBatch('batches/corrupt.json.gz', deps());
    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringMatching(/^unreadable batch/) });
    expect(await batchRow('corrupt')).toEqual(
      expect.objectContaining({ status: 'rejected', reason: expect.any(String) }),
    );
    await expect(store.get('batches/corrupt.json.gz')).resolves.toBeDefined();
  });

  it('stores events of a batch that also holds non-event elements, and counts what it skipped', async () => {
    await put('mixed', [{ msys: {} }, makeEvent({ ts: Date.UTC(2025, 1, 1), id: 'mixed-1' }), 42]);
    expect(await loadBatch('batches/mixed.json.gz', deps())).toEqual(
      expect.objectContaining({ status: 'loaded', inserted: 1 }),
    );
    expect(await batchRow('mixed')).toEqual({
      status: 'loaded',
      event_count: 1,
      inserted_count: 1,
      duplicate_count: 0,
      skipped_count: 2,
      reason: null,
    });
  });

  it('loads the same batch once when two loaders race for it', async () => {
    await put('race', makeBatch(300, Date.UTC(2025, 1, 2), 'race-'));
    const outcomes = await Promise.all([1, 2, 3].map(() => loadBatch('batches/race.json.gz', deps())));
    expect(outcomes.filter((o) => o.status === 'loaded')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'already-loaded')).toHaveLength(2);
    const count = await database.db.query(
      "SELECT count(*)::int AS n FROM events WHERE event_id LIKE 'race-%'",
    );
    expect(count.rows[0]?.n).toBe(300);
  });

  it('creates each day partition once when batches for a new day load concurrently', async () => {
    const day = Date.UTC(2024, 6, 4, 12);
    await Promise.all([1, 2, 3, 4].map((n) => put(`newday-${n}`, makeBatch(10, day, `newday-${n}-`))));
    await Promise.all([1, 2, 3, 4].map((n) => loadBatch(`batches/newday-${n}.json.gz`, deps())));
    const count = await database.db.query(
      "SELECT count(*)::int AS n FROM events_20240704 WHERE event_id LIKE 'newday-%'",
    );
    expect(count.rows[0]?.n).toBe(40);
  });

  it('ignores objects that are not raw batches', async () => {
    expect(await loadBatch('other/thing.txt', deps())).toEqual({
      status: 'ignored',
      reason: 'not a raw batch key',
    });
  });
});

describe('maintain', () => {
  it('creates partitions ahead and drops those past retention', async () => {
    const now = Date.UTC(2030, 0, 10, 5);
    const created = await maintain(database.db, { daysAhead: 2, retentionDays: 0, now }, silentLogger);
    expect(created.created).toEqual(['2030-01-10', '2030-01-11', '2030-01-12']);
    expect(
      (await maintain(database.db, { daysAhead: 2, retentionDays: 0, now }, silentLogger)).created,
    ).toEqual([]);

    // Everything in this database is older than 2030-01-05 except the partitions just created.
    const result = await maintain(database.db, { daysAhead: 0, retentionDays: 5, now }, silentLogger);
    expect(result.dropped).toEqual(expect.arrayContaining(['events_20240704', 'events_20250201']));
    const left = await database.db.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1",
    );
    expect(left.rows.map((r) => r.name)).toEqual(['events_20300110', 'events_20300111', 'events_20300112']);

    // A loader that cached a dropped partition recreates it.
    const events = createEventStore(database.db);
    await put('after-drop', makeBatch(2, Date.UTC(2025, 2, 1), 'after-drop-'));
    expect(await loadBatch('batches/after-drop.json.gz', { store, events, logger: silentLogger })).toEqual(
      expect.objectContaining({ status: 'loaded', inserted: 2 }),
    );
  });
});
