import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { s3BatchStore } from '../../src/aws/s3-batch-store';
import { batchObjectKey } from '../../src/core/batch-key';
import { loadBatch } from '../../src/core/load-batch';
import type { BatchStore } from '../../src/core/ports';
import { reconcile } from '../../src/core/reconcile';
import { DAY_MS } from '../../src/core/time';
import { createEventStore } from '../../src/db/event-store';
import { createDb } from '../../src/db/pool';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { makeBatch } from '../helpers/make-events';
import { startS3rver, type TestS3 } from '../helpers/s3rver';

/**
 * Reconciliation (core/reconcile.ts) through the BatchStore port, on both stores: the local folder and
 * S3 (s3rver), with a real PostgreSQL. Each store gets its own database, so counts are exact.
 */
interface Setup {
  readonly store: BatchStore;
  /** Makes an object look written `ageMs` ago, where the store allows it (undefined: it does not). */
  readonly age?: (key: string, ageMs: number) => Promise<void>;
  readonly close: () => Promise<void>;
}

const STORES: ReadonlyArray<readonly [string, () => Promise<Setup>]> = [
  [
    'the local folder',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-reconcile-'));
      return {
        store: dirBatchStore(dir),
        age: async (key, ageMs) => {
          const then = new Date(Date.now() - ageMs);
          await utimes(join(dir, key), then, then);
        },
        close: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'S3 (s3rver)',
    async () => {
      const s3: TestS3 = await startS3rver({ conditionalWrites: true });
      const client = s3.client();
      return {
        store: s3BatchStore(client, s3.bucket),
        close: async () => {
          client.destroy();
          await s3.stop();
        },
      };
    },
  ],
];

describe.each(STORES)('reconciliation on %s', (_, open) => {
  let setup: Setup;
  let database: TestDatabase;
  const start = Date.parse('2017-07-01T10:00:00Z');

  beforeAll(async () => {
    [setup, database] = await Promise.all([open(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([setup?.close(), database?.drop()]);
  });

  const deps = () => ({ store: setup.store, events: createEventStore(database.db), logger: silentLogger });
  const put = (id: string, body: Buffer) => setup.store.putIfAbsent(batchObjectKey(id), body);
  const batch = (id: string, count: number) => gzipSync(JSON.stringify(makeBatch(count, start, `${id}-`)));
  const statuses = async () =>
    (
      await database.db.query<{ batch_id: string; status: string }>(
        'SELECT batch_id, status FROM batches ORDER BY batch_id',
      )
    ).rows.map((row) => `${row.batch_id} ${row.status}`);

  it('loads the stored batches the database does not know, once, and leaves the known ones', async () => {
    const run = randomBytes(3).toString('hex');
    await put(`${run}-loaded`, batch(`${run}-loaded`, 2));
    await loadBatch(batchObjectKey(`${run}-loaded`), deps());
    await put(`${run}-missed-a`, batch(`${run}-missed-a`, 3));
    await put(`${run}-missed-b`, batch(`${run}-missed-b`, 1));
    await put(`${run}-corrupt`, Buffer.from('not gzip'));
    // Not raw batches: not listed as such, never loaded.
    await setup.store.putIfAbsent('batches/notes.txt', Buffer.from('x'));

    const report = await reconcile(deps(), { windowDays: 14, now: Date.now() });
    expect(report).toEqual({ checked: 4, pending: 3, loaded: 2, rejected: 1, failed: [], notTried: 0 });
    expect(await statuses()).toEqual([
      `${run}-corrupt rejected`,
      `${run}-loaded loaded`,
      `${run}-missed-a loaded`,
      `${run}-missed-b loaded`,
    ]);
    const events = await database.db.query('SELECT count(*)::int AS n FROM events');
    expect(events.rows).toEqual([{ n: 6 }]);

    // Again: everything is known now (the rejected one too), so nothing is loaded twice.
    expect(await reconcile(deps(), { windowDays: 14, now: Date.now() })).toEqual({
      checked: 4,
      pending: 0,
      loaded: 0,
      rejected: 0,
      failed: [],
      notTried: 0,
    });
  });

  it('checks only the batches stored within the window', async () => {
    const id = `late-${randomBytes(3).toString('hex')}`;
    await put(id, batch(id, 2));
    // Seen from 30 days on, the batch is older than a 14-day window.
    const later = await reconcile(deps(), { windowDays: 14, now: Date.now() + 30 * DAY_MS });
    expect(later).toMatchObject({ checked: 0, pending: 0 });
    if (setup.age) {
      await setup.age(batchObjectKey(id), 20 * DAY_MS);
      expect(await reconcile(deps(), { windowDays: 14, now: Date.now() })).toMatchObject({ pending: 0 });
      expect(await reconcile(deps(), { windowDays: 30, now: Date.now() })).toMatchObject({
        pending: 1,
        loaded: 1,
      });
    } else {
      expect(await reconcile(deps(), { windowDays: 14, now: Date.now() })).toMatchObject({
        pending: 1,
        loaded: 1,
      });
    }
  });

  it('stops when the database is unreachable, and the next run loads what was left', async () => {
    const id = `down-${randomBytes(3).toString('hex')}`;
    await put(id, batch(id, 2));
    const unreachable = createDb(
      {
        connectionString: 'postgresql://events@127.0.0.1:1/events',
        poolMax: 1,
        statementTimeoutMs: 0,
        ssl: false,
      },
      silentLogger,
    );
    try {
      // Which batches the database knows is asked first: with no database, the run fails at once.
      await expect(
        reconcile({ ...deps(), events: createEventStore(unreachable) }, { windowDays: 14, now: Date.now() }),
      ).rejects.toMatchObject({ statusCode: 503, description: 'The database is unreachable' });
    } finally {
      await unreachable.end();
    }
    // Past the deadline already: nothing is started, and the report says so.
    const late = await reconcile(deps(), { windowDays: 14, now: Date.now(), deadline: Date.now() - 1 });
    expect(late).toMatchObject({ pending: 1, loaded: 0, notTried: 1 });
    expect(await reconcile(deps(), { windowDays: 14, now: Date.now() })).toMatchObject({
      pending: 1,
      loaded: 1,
      notTried: 0,
    });
  });
});
