import pg from 'pg';
import { createDb, type Db } from '../../src/db/pool';
import { UnavailableError } from '../../src/errors';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { json, startTestService } from '../helpers/service';

/**
 * A query that takes too long must cost its caller a 503, never a 500 or a hang: the server's statement
 * timeout (SQLSTATE 57014) is translated to UnavailableError, and when the server cannot answer at all
 * (frozen, partitioned) the client gives up shortly after the statement timeout on its own and closes
 * the connection, so that the next query does not queue behind the stuck one.
 */
const STATEMENT_TIMEOUT_MS = 200;
let database: TestDatabase;
let db: Db;
let admin: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  db = createDb(
    {
      connectionString: database.connectionString,
      poolMax: 1,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      ssl: false,
    },
    silentLogger,
  );
  admin = new pg.Client({ connectionString: database.connectionString });
  await admin.connect();
});
afterAll(async () => {
  // Backends left sleeping by the client-side timeouts below.
  await admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep%'",
  );
  await admin.end();
  await db.end();
  await database.drop();
});

async function rejection(promise: Promise<unknown>): Promise<UnavailableError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UnavailableError);
  return error as UnavailableError;
}

const pidOf = async (client: { query: Db['query'] }) =>
  (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;

describe('statement timeout', () => {
  it('answers a statement the server cancelled for its timeout (57014) with a 503 UnavailableError', async () => {
    const error = await rejection(db.query('SELECT pg_sleep(5)'));
    expect(error.statusCode).toBe(503);
    expect((error.cause as { code?: string }).code).toBe('57014');
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('gives up on a server that does not answer, and never reuses that connection', async () => {
    let stuckPid: number | undefined;
    const error = await rejection(
      db.withClient(async (client) => {
        stuckPid = await pidOf(client);
        // The server no longer cancels anything on this connection: as if it were frozen.
        await client.query('SET statement_timeout = 0');
        await client.query('SELECT pg_sleep(60)');
      }),
    );
    expect(error.statusCode).toBe(503);
    expect((error.cause as Error).message).toBe('Query read timeout');
    expect(stuckPid).toBeDefined();
    // The pool holds one connection: a new one, not the one still sleeping.
    expect(await pidOf(db)).not.toBe(stuckPid);
  });

  it('gives up on a transaction the server does not answer, without waiting for a ROLLBACK', async () => {
    let stuckPid: number | undefined;
    const error = await rejection(
      db.transaction(async (tx) => {
        stuckPid = await pidOf(tx);
        await tx.query('SET LOCAL statement_timeout = 0');
        await tx.query('SELECT pg_sleep(60)');
      }),
    );
    expect((error.cause as Error).message).toBe('Query read timeout');
    expect(await pidOf(db)).not.toBe(stuckPid);
  });
});

describe('statement timeout through the query APIs', () => {
  it('answers 503 in SparkPost’s shape when a query runs past PG_STATEMENT_TIMEOUT_MS', async () => {
    const t = await startTestService({ PG_STATEMENT_TIMEOUT_MS: '500' });
    const locker = new pg.Client({ connectionString: t.database.connectionString });
    await locker.connect();
    try {
      // Every query on events now waits for this lock until its statement timeout.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      for (const path of ['/api/v1/events/message?campaigns=x', '/api/v1/message-events?campaign_ids=x']) {
        const response = await t.get(path);
        expect(response.status).toBe(503);
        expect(await json(response)).toEqual({ errors: [{ message: 'Service unavailable', code: '1501' }] });
      }
      await locker.query('ROLLBACK');
      expect((await t.get('/api/v1/events/message?campaigns=x')).status).toBe(200);
    } finally {
      await locker.end();
      await t.stop();
    }
  });
});
