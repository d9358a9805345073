import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createApiKeyService } from '../../src/core/api-keys';
import type { HttpRequest } from '../../src/core/http';
import { loadBatch } from '../../src/core/load-batch';
import { createApiKeyStore } from '../../src/db/api-key-store';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import { createDb, type Db } from '../../src/db/pool';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { makeBatch } from '../helpers/make-events';

/**
 * sql/007_query_role.sql: the query APIs' sessions run as events_reader (PG_ROLE, as QueryEventsFunction
 * is configured in template.yaml). They serve every query route and the API keys resource, and cannot
 * write events or batches or change the schema, on partitions created before and after the migration.
 */
const ADMIN_KEY = 'query-role-admin-key';
const DAY = Date.UTC(2026, 2, 10, 12);
let database: TestDatabase;
let reader: Db;
let dir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-query-role-'));
  // A day partition the loader creates after the migration, as the migrating (owning) user.
  const store = dirBatchStore(dir);
  await store.putIfAbsent('batches/role-1.json.gz', gzipSync(JSON.stringify(makeBatch(5, DAY, 'role-'))));
  await loadBatch('batches/role-1.json.gz', {
    store,
    events: createEventStore(database.db),
    logger: silentLogger,
  });
  const { db } = loadConfig(
    { DATABASE_URL: database.connectionString, PG_ROLE: 'events_reader', PG_POOL_MAX: '2' },
    ['db'],
  );
  reader = createDb(db, silentLogger);
});
afterAll(async () => {
  await reader.end();
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

function request(method: string, path: string, body?: unknown): HttpRequest {
  const [pathname, rawQuery = ''] = path.split('?') as [string, string?];
  return {
    method,
    path: pathname,
    rawQuery,
    headers: { authorization: ADMIN_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: Buffer.from(body ? JSON.stringify(body) : ''),
  };
}

const insufficientPrivilege = { code: '42501' };

describe('events_reader (the query function: PG_ROLE=events_reader)', () => {
  it('is the role of every session of the pool, logged in as the migrating user', async () => {
    const { rows } = await reader.query('SELECT current_user AS role, session_user AS login');
    expect(rows[0]?.role).toBe('events_reader');
    expect(rows[0]?.login).not.toBe('events_reader');
  });

  it('serves the query routes and the API keys resource, reading a partition made after the migration', async () => {
    const keys = createApiKeyService({ store: createApiKeyStore(reader), logger: silentLogger });
    const app = createApp({
      logger: silentLogger,
      query: {
        reader: createEventReader(reader),
        now: Date.now,
        auth: { disabled: false, apiKeys: [ADMIN_KEY] },
        keys,
      },
    });
    const window = 'from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z';
    const events = await app(request('GET', `/api/v1/events/message?${window}`));
    expect(events.statusCode).toBe(200);
    expect(JSON.parse(String(events.body)).total_count).toBe(5);
    const legacy = await app(request('GET', `/api/v1/message-events?${window}`));
    expect(legacy.statusCode).toBe(200);
    expect(JSON.parse(String(legacy.body)).total_count).toBe(5);

    const created = await app(
      request('POST', '/api/v1/api-keys', { label: 'reporting', grants: ['message_events/view'] }),
    );
    expect(created.statusCode).toBe(200);
    const { id, key } = JSON.parse(String(created.body)).results;
    // The new key works (its last use is written), and can be deleted.
    const withKey = await app({
      ...request('GET', `/api/v1/events/message?${window}`),
      headers: { authorization: key },
    });
    expect(withKey.statusCode).toBe(200);
    expect((await app(request('DELETE', `/api/v1/api-keys/${id}`))).statusCode).toBe(204);
  });

  it('cannot write events or batches, nor change the schema', async () => {
    await expect(reader.query('DELETE FROM events')).rejects.toMatchObject(insufficientPrivilege);
    await expect(reader.query('UPDATE batches SET status = status')).rejects.toMatchObject(
      insufficientPrivilege,
    );
    await expect(reader.query('TRUNCATE batches')).rejects.toMatchObject(insufficientPrivilege);
    await expect(reader.query('DROP TABLE api_keys')).rejects.toMatchObject(insufficientPrivilege);
    await expect(reader.query('CREATE TABLE intruder (x int)')).rejects.toMatchObject(insufficientPrivilege);
  });

  it('is created once per server: migrating a second database on it succeeds', async () => {
    const second = await createTestDatabase();
    try {
      const { rows } = await second.db.query(
        "SELECT has_table_privilege('events_reader', 'api_keys', 'INSERT') AS keys, has_table_privilege('events_reader', 'batches', 'INSERT') AS batches",
      );
      expect(rows[0]).toEqual({ keys: true, batches: false });
    } finally {
      await second.drop();
    }
  });
});

describe('PG_ROLE', () => {
  it('must be a plain role name: it goes into the connection options', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgresql://x@localhost/db', PG_ROLE: 'a -c role=postgres' }, ['db']),
    ).toThrow(/PG_ROLE/);
  });
});
