import { cp, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HOUR_MS } from '../../src/core/time';
import { makeBatch } from '../helpers/make-events';
import { isAlive, postmasterPid, type ServiceProcess, spawnService } from '../helpers/processes';
import { basic, json } from '../helpers/service';

/**
 * `npm start` from a checkout inside a folder closed to other users (mode 700, like root's home): as root,
 * the embedded PostgreSQL runs as the `postgres` user, which cannot enter it. The service puts the data
 * where that user can reach it, says where in the banner, and the next start finds the same data again.
 * As any other user the server runs as that user and the data stays in DATA_DIR/pg.
 */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const asRoot = process.getuid?.() === 0;
let closed: string;
let checkout: string;
let pgLocation: string | undefined;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  closed = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-closed-')); // mode 700
  checkout = join(closed, 'checkout');
  for (const part of ['src', 'sql', 'package.json', 'tsconfig.json']) {
    await cp(join(ROOT, part), join(checkout, part), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
});

afterAll(async () => {
  for (const service of running) {
    if (service.child.exitCode === null) {
      service.child.kill('SIGINT');
      await service.exited;
    }
  }
  const pgDir = pgLocation ?? join(checkout, '.data', 'pg');
  const pid = postmasterPid(pgDir);
  if (pid && isAlive(pid)) process.kill(pid, 'SIGINT');
  if (pgLocation) await rm(dirname(pgLocation), { recursive: true, force: true });
  await rm(closed, { recursive: true, force: true });
});

/** `npm start` in the checkout, with its defaults (DATA_DIR=./.data). */
function start(): ServiceProcess {
  const service = spawnService({ PORT: '0' }, { cwd: checkout });
  running.push(service);
  return service;
}

async function stop(service: ServiceProcess): Promise<void> {
  service.child.kill('SIGINT');
  expect(await service.exited).toBe(0);
}

async function credentials(): Promise<{ webhookPassword: string; apiKey: string }> {
  return JSON.parse(await readFile(join(checkout, '.data', 'credentials.json'), 'utf8'));
}

const window = () =>
  `from=${new Date(Date.now() - 6 * HOUR_MS).toISOString().slice(0, 16)}Z&to=${new Date().toISOString().slice(0, 16)}Z`;

it('starts from a folder closed to other users, says where the data is, and finds it again', async () => {
  expect((await stat(closed)).mode & 0o777).toBe(0o700);

  const first = start();
  const url = await first.started();
  const banner = /Database: +ready \(embedded PostgreSQL, data in (\S+)\)/.exec(first.stdout());
  expect(banner).not.toBeNull();
  const dataIn = banner?.[1] as string;
  if (asRoot) {
    // Not inside the closed folder: where `postgres` can reach it, and recorded for the next start.
    expect(dataIn.startsWith(`${closed}/`)).toBe(false);
    pgLocation = (await readFile(join(checkout, '.data', 'pg-location'), 'utf8')).trim();
    expect(dataIn).toBe(pgLocation);
  } else {
    expect(dataIn).toBe(join(checkout, '.data', 'pg'));
  }

  const { webhookPassword, apiKey } = await credentials();
  const posted = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: { authorization: basic('sparkpost', webhookPassword), 'x-messagesystems-batch-id': 'closed-1' },
    body: JSON.stringify(makeBatch(20, Date.now() - HOUR_MS, 'closed-', 5)),
  });
  expect(posted.status).toBe(200);
  const count = async (at: string) => {
    const response = await fetch(`${at}/api/v1/events/message?${window()}&per_page=1`, {
      headers: { authorization: apiKey },
    });
    return response.status === 200 ? (await json(response)).total_count : -1;
  };
  for (let i = 0; i < 100 && (await count(url)) !== 20; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await count(url)).toBe(20);
  await stop(first);

  // The next start: the same data folder, the same events, no credentials printed again.
  const second = start();
  const again = await second.started();
  expect(second.stdout()).toContain(`data in ${dataIn})`);
  expect(second.stdout()).not.toContain(webhookPassword);
  expect(await count(again)).toBe(20);
  await stop(second);
});
