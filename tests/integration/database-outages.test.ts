import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { DAY_MS, HOUR_MS } from '../../src/core/time';
import { throwawayDataDir } from '../../src/local/database';
import { LOCAL_SECTIONS, type LocalService, startLocalService } from '../../src/local/service';
import { silentLogger } from '../../src/logger';
import { waitFor } from '../helpers/logs';
import { makeBatch } from '../helpers/make-events';
import { type PostgresProcess, processTree, startPostgresProcess } from '../helpers/processes';
import { basic, json } from '../helpers/service';

/**
 * The database is not on the webhook's path, and loading heals by itself: a PostgreSQL of this test's
 * own (a real server process, on a port chosen here) is missing at start, stopped mid-load, and frozen;
 * every batch answered 200 is loaded, once, within seconds of the database being back.
 */
const PASSWORD = 'outage-test-password';
const now = Date.now();
const WINDOW = `from=${new Date(now - DAY_MS).toISOString().slice(0, 19)}Z&to=${new Date(now).toISOString().slice(0, 19)}Z`;

let dir: string;
let port: number;
let pg: PostgresProcess | undefined;
let service: LocalService;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      server.close(() => resolve(address.port));
    });
  });
}

const startPostgres = async () => {
  pg = await startPostgresProcess(join(dir, 'pg'), port);
};
const stopPostgres = async () => {
  await pg?.stop();
  pg = undefined;
};

beforeAll(async () => {
  dir = await throwawayDataDir('sparkpost-event-db-outage-');
  port = await freePort();
  // startEmbeddedPg keeps the server's password beside its folder: set it, so the URL below is known.
  await writeFile(join(dir, 'pg.password'), `${PASSWORD}\n`, { mode: 0o600 });
  const config = loadConfig(
    {
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
      PORT: '0',
      WEBHOOK_USERNAME: 'sparkpost',
      WEBHOOK_PASSWORD: 'webhook-secret',
      API_KEY: 'key',
      PG_STATEMENT_TIMEOUT_MS: '5000',
    },
    LOCAL_SECTIONS,
  );
  service = await startLocalService(config, silentLogger);
}, 60_000);
afterAll(async () => {
  await service?.stop();
  await stopPostgres();
  await rm(dir, { recursive: true, force: true });
});

let posted = 0;
async function post(batchId: string, count: number): Promise<number> {
  const body = JSON.stringify(makeBatch(count, now - 2 * HOUR_MS + posted * 1000, `${batchId}-`));
  posted += count;
  const response = await fetch(`${service.url}/webhook`, {
    method: 'POST',
    headers: {
      authorization: basic('sparkpost', 'webhook-secret'),
      'content-type': 'application/json',
      'x-messagesystems-batch-id': batchId,
    },
    body,
  });
  return response.status;
}

async function stored(): Promise<number> {
  const response = await fetch(`${service.url}/api/v1/events/message?${WINDOW}&per_page=1`, {
    headers: { authorization: 'key' },
  });
  return response.status === 200 ? (await json(response)).total_count : -1;
}

const health = async () => json(await fetch(`${service.url}/health`));

describe('PostgreSQL unreachable at start', () => {
  it('the webhook stores batches (200), queries and /health say the database is not ready', async () => {
    expect(await post('before-db-1', 10)).toBe(200);
    expect(await post('before-db-2', 10)).toBe(200);
    const query = await fetch(`${service.url}/api/v1/events/message`, { headers: { authorization: 'key' } });
    expect(query.status).toBe(503);
    // A 5xx says what, never why (the log does): SparkPost retries, clients see the shape they know.
    expect(await json(query)).toEqual({ errors: [{ message: 'Service unavailable', code: '1501' }] });
    expect(await health()).toMatchObject({ status: 'starting', database: 'unavailable' });
  });

  it('once PostgreSQL is up, the service migrates and loads what was stored, by itself', async () => {
    await startPostgres();
    await service.ready;
    await waitFor(async () => (await stored()) === 20, 30_000);
    expect(await health()).toMatchObject({ status: 'ok', database: 'ready', loader: { pending: 0 } });
  });
});

describe('PostgreSQL stopped mid-load', () => {
  it('takes every batch meanwhile, and loads them all once it is back', async () => {
    const during: Promise<number>[] = [];
    for (let i = 0; i < 10; i += 1) during.push(post(`stopped-${i}`, 20));
    await stopPostgres();
    for (let i = 10; i < 20; i += 1) during.push(post(`stopped-${i}`, 20));
    expect(await Promise.all(during)).toEqual(Array(20).fill(200));
    // The loader has noticed: it waits, and says so.
    await waitFor(async () => (await health()).loader.waitingForDatabase === true, 30_000);
    expect(await health()).toMatchObject({ status: 'degraded', database: 'ready' });
    await startPostgres();
    await waitFor(async () => (await stored()) === 420, 60_000);
    const counts = await service.db.query(
      "SELECT count(*)::int AS batches, sum(inserted_count)::int AS inserted FROM batches WHERE batch_id LIKE 'stopped-%'",
    );
    expect(counts.rows[0]).toEqual({ batches: 20, inserted: 400 });
  });
});

describe('PostgreSQL frozen (SIGSTOP) mid-load', () => {
  const linux = existsSync('/proc/self/stat');
  (linux ? it : it.skip)('the webhook answers at once; the loads finish when it thaws', async () => {
    // This test's own server and its backends, by pid.
    const tree = processTree((pg as PostgresProcess).postmasterPid);
    for (const process_ of tree) process.kill(process_, 'SIGSTOP');
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(`frozen-${i}`, 10)));
      expect(answers).toEqual(Array(10).fill(200));
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      for (const process_ of tree) process.kill(process_, 'SIGCONT');
    }
    await waitFor(async () => (await stored()) === 520, 60_000);
  });
});
