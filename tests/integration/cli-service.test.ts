import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { HOUR_MS } from '../../src/core/time';
import { throwawayDataDir } from '../../src/local/database';
import { connectionToRunning } from '../../src/local/embedded-pg';
import { type CliRun, runCli } from '../helpers/cli';
import { waitFor } from '../helpers/logs';
import { makeBatch } from '../helpers/make-events';
import { isAlive, postmasterPid, processTree, type ServiceProcess, spawnService } from '../helpers/processes';
import { basic, json } from '../helpers/service';

/**
 * Every command while `npm start` runs on the same DATA_DIR (its embedded PostgreSQL): each uses the
 * service's server — never a second one, never stopping it (which the CLI once did: it took the server
 * for one a killed run had left, and the service lost its database) — and a replay of every batch runs
 * beside the service loading new ones, each event stored once.
 */
jest.setTimeout(180_000);

let dir: string;
let service: ServiceProcess;
let url: string;
const now = Date.now();
/** The postmaster's pid and port, as its pid file says. */
let postmaster: { pid: number; port: string };

const pgDir = () => join(dir, 'pg');
const cli = (...args: string[]) => runCli(args, { DATA_DIR: dir });
// biome-ignore lint/suspicious/noExplicitAny: the JSON documents are checked field by field.
const parse = (run: CliRun): any => JSON.parse(run.stdout);
const credentials = () => JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8'));

function postmasterNow(): { pid: number; port: string } {
  const lines = readFileSync(join(pgDir(), 'postmaster.pid'), 'utf8').split('\n');
  return { pid: Number(lines[0]), port: lines[3] as string };
}

/** Every process whose command line names the data folder: the service's postmaster's tree, only. */
function postgresOnDataDir(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(pgDir());
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function post(batchId: string, events: unknown[]): Promise<number> {
  const response = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      authorization: basic('sparkpost', credentials().webhookPassword),
      'x-messagesystems-batch-id': batchId,
    },
    body: JSON.stringify(events),
  });
  return response.status;
}

async function totalCount(): Promise<number> {
  const window = `from=${new Date(now - 3 * HOUR_MS).toISOString().slice(0, 19)}Z&to=${new Date(now + HOUR_MS).toISOString().slice(0, 19)}Z`;
  const response = await fetch(`${url}/api/v1/events/message?${window}&per_page=1`, {
    headers: { authorization: credentials().apiKey },
  });
  return response.status === 200 ? (await json(response)).total_count : -1;
}

/** What the database records of the batches (read on the service's own server). */
async function batchRecords(): Promise<Array<{ batch_id: string; status: string; replay_count: number }>> {
  const client = new pg.Client({
    connectionString: await connectionToRunning(pgDir(), Number(postmaster.port)),
  });
  await client.connect();
  try {
    return (await client.query('SELECT batch_id, status, replay_count FROM batches ORDER BY batch_id')).rows;
  } finally {
    await client.end();
  }
}

/** The service's server is the same, alive, alone on the data folder; no command left a claim. */
function expectServiceDatabaseUntouched(): void {
  expect(postmasterNow()).toEqual(postmaster);
  expect(isAlive(postmaster.pid)).toBe(true);
  const tree = new Set(processTree(postmaster.pid));
  expect(postgresOnDataDir().filter((pid) => !tree.has(pid))).toEqual([]);
  expect(existsSync(join(dir, 'command.pid'))).toBe(false);
}

beforeAll(async () => {
  dir = await throwawayDataDir('sparkpost-event-db-cli-service-');
  service = spawnService({ DATA_DIR: dir, PORT: '0' });
  url = await service.started();
  for (let i = 0; i < 6; i += 1) {
    expect(await post(`first-${i}`, makeBatch(50, now - 2 * HOUR_MS, `first-${i}-`, 10))).toBe(200);
  }
  await waitFor(async () => (await totalCount()) === 300, 60_000);
  postmaster = postmasterNow();
});
afterAll(async () => {
  if (service.child.exitCode === null) {
    service.child.kill('SIGINT');
    await service.exited;
  }
  const pid = postmasterPid(pgDir());
  if (pid && isAlive(pid)) process.kill(pid, 'SIGINT');
  await rm(dir, { recursive: true, force: true });
});

it('status uses the service’s database and says so', async () => {
  const run = await cli('status', '--json');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(parse(run)).toMatchObject({
    database: { server: 'embedded', sharedWithServicePid: service.pid },
    batches: { stored: 6, loaded: 6, pending: 0 },
    events: { stored: 300 },
  });
  const human = await cli('status');
  expect(human.stdout).toContain(
    `Database      embedded PostgreSQL, the running service's (pid ${service.pid})`,
  );
  expectServiceDatabaseUntouched();
});

it('replay --all runs beside the service loading the same and new batches: every event once', async () => {
  // A burst the service is still loading when the replay lists the store, then more during the replay.
  const burst = await Promise.all(
    Array.from({ length: 20 }, (_, i) => post(`burst-${i}`, makeBatch(20, now - HOUR_MS, `burst-${i}-`, 10))),
  );
  expect(burst).toEqual(Array(20).fill(200));
  const posting = (async () => {
    const answers: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      answers.push(await post(`during-${i}`, makeBatch(20, now - HOUR_MS, `during-${i}-`, 10)));
    }
    return answers;
  })();
  const [run, answers] = await Promise.all([cli('replay', '--all', '--json'), posting]);
  expect(answers).toEqual(Array(20).fill(200));
  expect(run.code).toBe(0);
  const report = parse(run);
  expect(report.batches).toMatchObject({ rejected: [], failed: [], notTried: 0, missing: [] });
  expect(report.batches.loaded).toBe(report.batches.selected);
  expect(report.batches.selected).toBeGreaterThanOrEqual(26);

  await waitFor(async () => (await totalCount()) === 1100, 60_000);
  const records = await batchRecords();
  expect(records).toHaveLength(46);
  expect(records.every((record) => record.status === 'loaded')).toBe(true);
  // The first six were known: replayed once each, their records kept.
  expect(records.filter((record) => record.batch_id.startsWith('first-')).map((r) => r.replay_count)).toEqual(
    Array(6).fill(1),
  );
  expectServiceDatabaseUntouched();
});

it('replay, maintain and migrate all run on the service’s database', async () => {
  const pending = await cli('replay', '--json');
  expect(pending.code).toBe(0);
  expect(parse(pending).batches).toMatchObject({ selected: 0, loaded: 0 });
  const maintain = await cli('maintain', '--json');
  expect(maintain.code).toBe(0);
  expect(parse(maintain)).toMatchObject({ dropped: [] });
  const migrate = await cli('migrate', '--json');
  expect(migrate.code).toBe(0);
  expect(parse(migrate)).toMatchObject({ applied: [] });
  expectServiceDatabaseUntouched();
});

it('leaves the service working: healthy, and loading what it receives', async () => {
  const health = await fetch(`${url}/health`);
  expect(await json(health)).toMatchObject({ status: 'ok', database: 'ready' });
  expect(await post('after', makeBatch(5, now - HOUR_MS, 'after-', 10))).toBe(200);
  await waitFor(async () => (await totalCount()) === 1105, 30_000);
  expectServiceDatabaseUntouched();
});
