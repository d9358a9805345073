import { readFileSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { DAY_MS, HOUR_MS } from '../../src/core/time';
import { throwawayDataDir } from '../../src/local/database';
import { waitFor } from '../helpers/logs';
import { makeBatch } from '../helpers/make-events';
import { isAlive, postmasterPid, type ServiceProcess, spawnService } from '../helpers/processes';
import { basic, json } from '../helpers/service';

/**
 * `npm start` as a user runs it (its own process, the embedded PostgreSQL), killed with SIGKILL and
 * started again: it stops the PostgreSQL the killed run left on its data folder (and only that one),
 * loads every batch it had answered 200 for exactly once, cleans up after unfinished writes, keeps its
 * files private and prints credentials only when it has just generated them.
 */
jest.setTimeout(180_000);

let dir: string;
const running: ServiceProcess[] = [];
const now = Date.now();
const WINDOW = `from=${new Date(now - DAY_MS).toISOString().slice(0, 19)}Z&to=${new Date(now).toISOString().slice(0, 19)}Z`;

beforeAll(async () => {
  dir = await throwawayDataDir('sparkpost-event-db-restart-');
});
afterAll(async () => {
  for (const service of running) {
    if (service.child.exitCode === null) {
      service.child.kill('SIGINT');
      await service.exited;
    }
  }
  // Whatever a failed test left: the PostgreSQL of this test's own data folder, by its pid file.
  const pid = postmasterPid(join(dir, 'pg'));
  if (pid && isAlive(pid)) process.kill(pid, 'SIGINT');
  await rm(dir, { recursive: true, force: true });
});

function start(env: Record<string, string> = {}): ServiceProcess {
  const service = spawnService({ DATA_DIR: dir, PORT: '0', ...env });
  running.push(service);
  return service;
}

function credentials(): { webhookPassword: string; apiKey: string } {
  return JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8'));
}

async function post(url: string, batchId: string): Promise<number> {
  const response = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      authorization: basic('sparkpost', credentials().webhookPassword),
      'x-messagesystems-batch-id': batchId,
    },
    body: JSON.stringify(makeBatch(50, now - 2 * HOUR_MS, `${batchId}-`, 10)),
  });
  return response.status;
}

async function totalCount(url: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/events/message?${WINDOW}&per_page=1`, {
    headers: { authorization: credentials().apiKey },
  });
  return response.status === 200 ? (await json(response)).total_count : -1;
}

it('restarts after kill -9: stops the orphaned PostgreSQL, loads every accepted batch once', async () => {
  const first = start();
  const url = await first.started();
  // Generated on this first start: the banner shows them, once.
  expect(first.stdout()).toContain(credentials().webhookPassword);
  expect(first.stdout()).toContain(credentials().apiKey);

  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(url, `killed-${i}`)));
  expect(answers).toEqual(Array(40).fill(200));
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  // The embedded PostgreSQL outlives its parent.
  const orphan = postmasterPid(join(dir, 'pg')) as number;
  expect(isAlive(orphan)).toBe(true);
  // A write cut short, as a kill during a POST leaves one.
  await writeFile(join(dir, 'batches', 'cut.json.gz.0123.tmp'), 'partial');

  const second = start();
  const again = await second.started();
  expect(isAlive(orphan)).toBe(false);
  expect(second.stdout()).toMatch(/Database: +ready \(embedded PostgreSQL, data in \S+\)/);
  await waitFor(async () => (await totalCount(again)) === 2000, 60_000);
  // Exactly once: each event once, each batch once.
  const response = await fetch(`${again}/api/v1/events/message?${WINDOW}&per_page=10000`, {
    headers: { authorization: credentials().apiKey },
  });
  const ids = (await json(response)).results.map((event: { event_id: string }) => event.event_id);
  expect(new Set(ids).size).toBe(2000);

  // Secrets stay out of the output of a start that did not generate them.
  expect(second.stdout()).not.toContain(credentials().webhookPassword);
  expect(second.stdout()).not.toContain(credentials().apiKey);
  // Unfinished writes are swept; raw batches and the data folder are private.
  expect(await readdir(join(dir, 'batches'))).not.toContain('cut.json.gz.0123.tmp');
  const mode = async (path: string) => (await stat(path)).mode & 0o777;
  expect(await mode(dir)).toBe(process.getuid?.() === 0 ? 0o711 : 0o700);
  expect(await mode(join(dir, 'batches'))).toBe(0o700);
  expect(await mode(join(dir, 'batches', 'killed-0.json.gz'))).toBe(0o600);
  expect(await mode(join(dir, 'credentials.json'))).toBe(0o600);

  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
  // A clean stop takes its PostgreSQL with it.
  await waitFor(() => {
    const pid = postmasterPid(join(dir, 'pg'));
    return pid === undefined || !isAlive(pid);
  });
});

it('prints the real cause when it cannot start', async () => {
  const blocker: Server = createServer();
  const port = await new Promise<number>((resolve) =>
    blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
  );
  try {
    const service = start({ PORT: String(port) });
    expect(await service.exited).toBe(1);
    expect(service.stderr()).toMatch(/^failed to start: listen EADDRINUSE/m);
  } finally {
    blocker.close();
  }
});
