/**
 * `npm run loadtest`: the bounded local load test of issue 8 (not part of the tests, which never assert
 * timings). It starts the service as a user does (`tsx src/local/main.ts`, embedded PostgreSQL, a fresh
 * DATA_DIR under the system's temporary folder, a free port on 127.0.0.1, known credentials), then runs
 * two phases against it, each followed by a wait and an exactly-once check:
 *
 *   1. webhook only: autocannon posts distinct batches (new batch id, new event ids in every request) to
 *      /webhook with Basic auth and X-MessageSystems-Batch-ID;
 *   2. the same, while query clients run a mix of Events API and legacy queries.
 *
 * After each phase it polls the Events API until every event of the batches answered 200 is queryable
 * (a recipient domain keyword unique to the phase selects exactly its events), then exports everything
 * stored for the phase (GET /api/v1/events/message/export, in time slices) and compares event ids with
 * what was accepted. It writes a report (docs/LOADTEST.md unless --out) and its figures as JSON
 * (bench/out/loadtest.json unless --json); the service's log goes to bench/out/loadtest-service.log.
 * Exit code 1 when a phase fails the exactly-once check (or the service fails to start).
 *
 *   npm run loadtest                          # 60 s per phase, 12 connections, 350-event batches
 *   npm run loadtest -- --duration 10         # a quick run
 *
 * Options: --duration <s> (per phase, default 60), --connections <n> (webhook, 12), --batch-events <n>
 * (350), --query-connections <n> (phase 2 query clients, 4), --wait <s> (longest wait for the phase's
 * events to become queryable, 900), --stall <s> (stop waiting when the queryable count has not moved for
 * this long, 180), --out, --json, --log, --keep (keep the data folder). The service runs with its
 * defaults: every other variable of src/config.ts is blanked, so neither the caller's environment nor a
 * `.env` changes what is measured. All traffic goes to 127.0.0.1.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { VARIABLES } from '../src/config';
import {
  EVENTS_API_DOCUMENTATION_PATH,
  EVENTS_API_EXPORT_PATH,
  EVENTS_API_PATH,
  LEGACY_API_PATH,
  WEBHOOK_PATH,
} from '../src/core/paths';
import { throwawayDataDir } from '../src/local/database';
import { flatEvent, generateBatches } from './generate';

const ROOT = resolve(__dirname, '..');
const HOST = '127.0.0.1';
const WEBHOOK_USERNAME = 'loadtest';
const WEBHOOK_PASSWORD = 'loadtest-webhook-password-0123456789';
const API_KEY = 'loadtest-api-key-0123456789abcdef';
/** Distinct batch templates per phase; each request fills one with new event ids. */
const POOL_BATCHES = 64;
/** Placeholder for the event id in a template (the generator never writes braces twice). */
const ID_MARK = '{{ID}}';
/** Event ids are 18 decimal digits, like SparkPost's: run (5) + phase (1) + batch (7) + index (5). */
const SEQ_DIGITS = 7;
const INDEX_DIGITS = 5;
/** Events per time slice of the exactly-once check: one export each. */
const SLICE_EVENTS = 250_000;
const QUERY_TIMEOUT_MS = 60_000;
/** autocannon's default: a webhook request unanswered after this counts as a timeout. */
const WEBHOOK_TIMEOUT_S = 10;
const START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '12' },
      'batch-events': { type: 'string', default: '350' },
      'query-connections': { type: 'string', default: '4' },
      wait: { type: 'string', default: '900' },
      stall: { type: 'string', default: '180' },
      out: { type: 'string', default: 'docs/LOADTEST.md' },
      json: { type: 'string', default: 'bench/out/loadtest.json' },
      log: { type: 'string', default: 'bench/out/loadtest-service.log' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  // Bounded, so a typo cannot start an unbounded run.
  const bounded = (name: string, raw: string | undefined, min: number, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    return value;
  };
  return {
    durationS: bounded('duration', values.duration, 1, 3600),
    connections: bounded('connections', values.connections, 1, 256),
    batchEvents: bounded('batch-events', values['batch-events'], 1, 5000),
    queryConnections: bounded('query-connections', values['query-connections'], 0, 64),
    waitS: bounded('wait', values.wait, 1, 7200),
    stallS: bounded('stall', values.stall, 1, 7200),
    out: values.out ?? 'docs/LOADTEST.md',
    json: values.json ?? 'bench/out/loadtest.json',
    log: values.log ?? 'bench/out/loadtest-service.log',
    keep: values.keep ?? false,
  };
}
type Options = ReturnType<typeof options>;

const log = (message: string) =>
  process.stderr.write(`[loadtest ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Aborted on Ctrl-C, when the load clients stop too: the service's graceful stop waits for its open
 * connections, so clients that keep them busy would hold it up.
 */
const halt = new AbortController();
const loadClients = new Set<autocannon.Instance>();

function gitOut(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------
// The service, as a child process this run owns.

interface Service {
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  watchdog?: ChildProcess;
  exited: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/**
 * A process beside the service, in a group of its own, for when this load test dies without stopping
 * it: tsx SIGKILLs a child that is slow to acknowledge a relayed Ctrl-C, and a load test under load is
 * slow. It then does what the load test's stop does (SIGINT to tsx; SIGINT to what of the group outlives
 * tsx; SIGKILL of the group after the timeout) and removes the data folder. Plain JavaScript, for `node -e`.
 */
const WATCHDOG = `
const [parent, group] = process.argv.slice(1, 3).map(Number);
const [dir, keep] = process.argv.slice(3);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const signal = (pid, name) => { try { process.kill(pid, name); } catch {} };
let stage = 0;
let deadline = 0;
setInterval(() => {
  if (stage === 0) {
    if (alive(parent)) return;
    stage = 1;
    deadline = Date.now() + ${STOP_TIMEOUT_MS};
    signal(group, 'SIGINT');
    return;
  }
  if (alive(-group) && stage === 1 && !alive(group)) { stage = 2; signal(-group, 'SIGINT'); }
  if (alive(-group) && Date.now() < deadline) return;
  signal(-group, 'SIGKILL');
  if (keep !== 'keep') require('node:fs').rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}, 500);
`;

function startWatchdog(servicePgid: number, dataDir: string, keep: boolean): ChildProcess {
  const watchdog = spawn(
    process.execPath,
    ['-e', WATCHDOG, String(process.pid), String(servicePgid), dataDir, keep ? 'keep' : 'remove'],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  return watchdog;
}

async function startService(dataDir: string, logPath: string, keep: boolean): Promise<Service> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(VARIABLES)) env[name] = '';
  Object.assign(env, {
    DATA_DIR: dataDir,
    HOST,
    PORT: String(port),
    WEBHOOK_USERNAME,
    WEBHOOK_PASSWORD,
    API_KEYS: API_KEY,
  });
  await mkdir(dirname(logPath), { recursive: true });
  const fd = openSync(logPath, 'w');
  // Its own process group: tsx runs the service in a child of its own, and PostgreSQL is a child of that;
  // a kill of the group reaches all three and nothing else.
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/local/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  const service: Service = { url: `http://${HOST}:${port}`, dataDir, child, exited: false };
  if (child.pid !== undefined) service.watchdog = startWatchdog(child.pid, dataDir, keep);
  child.once('exit', () => {
    service.exited = true;
  });
  return service;
}

async function untilListening(service: Service, logPath: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (service.exited) throw new Error(`the service exited during start (see ${logPath})`);
    try {
      const response = await fetch(`${service.url}${EVENTS_API_DOCUMENTATION_PATH}`, {
        signal: AbortSignal.timeout(2000),
      });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the service did not listen within ${START_TIMEOUT_MS / 1000} s (see ${logPath})`);
}

interface StopFigures {
  /** The service ran its own stop (drained its loader, stopped PostgreSQL) and exited 0. */
  graceful: boolean;
  /** How tsx (the child) ended: its exit code, or the signal that ended it. */
  exit: string;
  /** Processes of the service's group (PostgreSQL) still running after tsx exited, stopped here. */
  leftover: boolean;
  stopS: number;
}

/** True while any process of the group `pgid` runs. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function untilGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (groupAlive(pgid)) {
    if (performance.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * SIGINT to tsx, which relays it to the service (a graceful stop: it drains its loader, then stops
 * PostgreSQL); SIGKILL of the process group after a timeout. tsx itself SIGKILLs the service when the
 * service does not acknowledge the signal within a few tens of milliseconds (a busy event loop), which
 * leaves PostgreSQL running: whatever of the group outlives tsx gets SIGINT (PostgreSQL's fast
 * shutdown), then SIGKILL.
 */
async function stopService(service: Service): Promise<StopFigures> {
  const started = performance.now();
  const pid = service.child.pid;
  const result = (graceful: boolean, exit: string, leftover: boolean): StopFigures => ({
    graceful,
    exit,
    leftover,
    stopS: (performance.now() - started) / 1000,
  });
  if (pid === undefined) return result(false, 'never started', false);
  const exited = new Promise<string>((done) => {
    const describe = () =>
      service.child.exitCode !== null ? `exit ${service.child.exitCode}` : `${service.child.signalCode}`;
    if (service.exited) done(describe());
    else service.child.once('exit', () => done(describe()));
  });
  if (!service.exited) service.child.kill('SIGINT');
  let exit = await Promise.race([exited, sleep(STOP_TIMEOUT_MS).then(() => undefined)]);
  if (exit === undefined) {
    log(`the service did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing its process group ${pid}`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    exit = `${(await Promise.race([exited, sleep(5000).then(() => undefined)])) ?? 'still running'}, killed`;
  }
  const leftover = groupAlive(pid);
  if (leftover) {
    log(`processes of the service's group ${pid} outlived it (PostgreSQL): stopping them`);
    try {
      process.kill(-pid, 'SIGINT');
    } catch {
      // gone meanwhile
    }
    if (!(await untilGroupGone(pid, 10_000))) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await untilGroupGone(pid, 5000);
    }
  }
  return result(exit === 'exit 0' && !leftover, exit, leftover);
}

// ---------------------------------------------------------------------------------------------------
// Traffic.

interface Template {
  /** The body split at each event id: events + 1 parts. */
  readonly parts: string[];
  /** Event timestamps (epoch seconds), for the check's time slices. */
  readonly timestamps: number[];
}

interface Pool {
  readonly templates: Template[];
  readonly recipients: string[];
  readonly campaigns: string[];
  /** [from, to) in epoch seconds: every event of the phase is inside. */
  readonly fromS: number;
  readonly toS: number;
}

/**
 * Batch templates of realistic events (bench/generate.ts) spread over the last 22 hours, with the
 * recipient domain prefixed by the phase's keyword (`<keyword>.gmail.com`), so that
 * `recipient_domains=<keyword>` selects exactly the phase's events.
 */
function buildPool(keyword: string, seed: number, batchEvents: number, nowMs: number): Pool {
  const nowS = Math.floor(nowMs / 1000);
  const fromS = nowS - 22 * 3600;
  // Lifecycle events (opens, clicks) trail their message; the ones past the present are left out.
  const latestS = nowS - 120;
  const elements = [];
  for (const batch of generateBatches({
    seed,
    events: POOL_BATCHES * batchEvents + batchEvents,
    days: 21.5 / 24,
    startMs: fromS * 1000,
    batchSize: batchEvents,
  })) {
    for (const element of batch.elements) {
      const ts = Number(flatEvent(element).timestamp);
      if (ts >= fromS && ts <= latestS) elements.push({ element, ts });
    }
  }
  const templates: Template[] = [];
  const recipients = new Set<string>();
  const campaigns = new Set<string>();
  let maxS = fromS;
  for (let start = 0; start + batchEvents <= elements.length; start += batchEvents) {
    const chunk = elements.slice(start, start + batchEvents);
    const json = chunk.map(({ element }) => {
      const event = flatEvent(element);
      event.event_id = ID_MARK;
      const domain = String(event.recipient_domain);
      event.recipient_domain = `${keyword}.${domain}`;
      for (const field of ['rcpt_to', 'raw_rcpt_to'] as const) {
        const address = String(event[field]);
        const at = address.lastIndexOf('@');
        event[field] = `${address.slice(0, at + 1)}${keyword}.${address.slice(at + 1)}`;
      }
      recipients.add(String(event.rcpt_to));
      if (typeof event.campaign_id === 'string') campaigns.add(event.campaign_id);
      return JSON.stringify(element);
    });
    const parts = `[${json.join(',')}]`.split(`"${ID_MARK}"`);
    if (parts.length !== batchEvents + 1) throw new Error('a template does not hold one id per event');
    const timestamps = chunk.map(({ ts }) => ts);
    for (const ts of timestamps) maxS = Math.max(maxS, ts);
    templates.push({ parts, timestamps });
  }
  if (templates.length === 0) throw new Error('the generator gave no complete batch');
  return { templates, recipients: [...recipients], campaigns: [...campaigns], fromS, toS: maxS + 1 };
}

function eventIdPrefix(run: string, phase: number): string {
  return `${run}${phase}`;
}

function batchBody(template: Template, idPrefix: string, seq: number): string {
  const batch = String(seq).padStart(SEQ_DIGITS, '0');
  let body = template.parts[0] ?? '';
  for (let i = 1; i < template.parts.length; i += 1) {
    body += `"${idPrefix}${batch}${String(i - 1).padStart(INDEX_DIGITS, '0')}"${template.parts[i]}`;
  }
  return body;
}

interface WebhookFigures {
  sent: number;
  answered: number;
  /** Status of each batch (by its sequence number); 0 when it got no answer. */
  statuses: number[];
  storedFalse: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  durationS: number;
  requestsPerS: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  acceptedBatches: number;
  acceptedEvents: number;
  eventsPerS: number;
}

async function postBatches(
  service: Service,
  pool: Pool,
  idPrefix: string,
  batchPrefix: string,
  opts: Options,
): Promise<WebhookFigures> {
  const statuses: number[] = [];
  const statusCounts: Record<string, number> = {};
  let sent = 0;
  let storedFalse = 0;
  const authorization = `Basic ${Buffer.from(`${WEBHOOK_USERNAME}:${WEBHOOK_PASSWORD}`).toString('base64')}`;
  const settings: autocannon.Options = {
    url: `${service.url}${WEBHOOK_PATH}`,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: WEBHOOK_TIMEOUT_S,
    requests: [
      {
        method: 'POST',
        // autocannon resets the context before each request and hands the same object to onResponse,
        // which is how an answer finds its batch (one request in flight per connection).
        setupRequest: (request, context) => {
          const seq = sent;
          sent += 1;
          statuses[seq] = 0;
          (context as { seq?: number }).seq = seq;
          const template = pool.templates[seq % pool.templates.length] as Template;
          return {
            ...request,
            headers: {
              ...request.headers,
              authorization,
              'content-type': 'application/json',
              'x-messagesystems-batch-id': `${batchPrefix}-${seq}`,
            },
            body: batchBody(template, idPrefix, seq),
          };
        },
        onResponse: (status, body, context) => {
          const seq = (context as { seq?: number }).seq;
          if (seq !== undefined) statuses[seq] = status;
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          if (status === 200 && !body.includes('"stored":true')) storedFalse += 1;
        },
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon(settings, (error: unknown, finished: autocannon.Result) => {
      loadClients.delete(instance);
      if (error) fail(error);
      else done(finished);
    });
    loadClients.add(instance);
  });
  const answered = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  const acceptedBatches = statuses.filter((status) => status === 200).length;
  const acceptedEvents = acceptedBatches * opts.batchEvents;
  return {
    sent,
    answered,
    statuses,
    storedFalse,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS: result.duration,
    requestsPerS: answered / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    acceptedBatches,
    acceptedEvents,
    eventsPerS: acceptedEvents / result.duration,
  };
}

type QueryKind =
  | 'events: no filter, per_page=1000'
  | 'events: recipient'
  | 'events: campaign, per_page=100'
  | 'legacy: page';

interface QueryFigures {
  kind: string;
  requests: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/**
 * Query clients for phase 2: each loops over the mix until `running()` turns false. Windows are the APIs'
 * defaults (the last 24 hours), as a user's scripts send them.
 */
async function runQueries(
  service: Service,
  pool: Pool,
  clients: number,
  running: () => boolean,
): Promise<QueryFigures[]> {
  const kinds: Array<[QueryKind, (n: number) => string]> = [
    ['events: no filter, per_page=1000', () => `${EVENTS_API_PATH}?per_page=1000`],
    [
      'events: recipient',
      (n) =>
        `${EVENTS_API_PATH}?recipients=${encodeURIComponent(pool.recipients[(n * 7919) % pool.recipients.length] ?? '')}`,
    ],
    [
      'events: campaign, per_page=100',
      (n) =>
        `${EVENTS_API_PATH}?campaigns=${encodeURIComponent(pool.campaigns[n % pool.campaigns.length] ?? '')}&per_page=100`,
    ],
    ['legacy: page', (n) => `${LEGACY_API_PATH}?per_page=100&page=${1 + (n % 5)}`],
  ];
  const samples = new Map<QueryKind, { ms: number[]; statuses: Record<string, number> }>();
  for (const [kind] of kinds) samples.set(kind, { ms: [], statuses: {} });
  let counter = 0;
  const client = async () => {
    while (running() && !halt.signal.aborted) {
      const n = counter;
      counter += 1;
      const [kind, path] = kinds[n % kinds.length] as [QueryKind, (n: number) => string];
      const sample = samples.get(kind) as { ms: number[]; statuses: Record<string, number> };
      const started = performance.now();
      let status: string;
      try {
        const response = await fetch(`${service.url}${path(Math.floor(n / kinds.length))}`, {
          headers: { authorization: API_KEY },
          signal: AbortSignal.any([AbortSignal.timeout(QUERY_TIMEOUT_MS), halt.signal]),
        });
        await response.arrayBuffer();
        status = String(response.status);
      } catch (error) {
        status = (error as Error).name === 'TimeoutError' ? 'timeout' : 'error';
      }
      sample.ms.push(performance.now() - started);
      sample.statuses[status] = (sample.statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, () => client()));
  const figures: QueryFigures[] = [];
  const all: number[] = [];
  const allStatuses: Record<string, number> = {};
  for (const [kind, sample] of samples) {
    const sorted = [...sample.ms].sort((a, b) => a - b);
    all.push(...sorted);
    for (const [status, count] of Object.entries(sample.statuses))
      allStatuses[status] = (allStatuses[status] ?? 0) + count;
    figures.push({
      kind,
      requests: sorted.length,
      statuses: sample.statuses,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    });
  }
  all.sort((a, b) => a - b);
  figures.push({
    kind: 'all',
    requests: all.length,
    statuses: allStatuses,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    maxMs: all[all.length - 1] ?? Number.NaN,
  });
  return figures;
}

// ---------------------------------------------------------------------------------------------------
// Queryable, and exactly once.

function queryTime(epochS: number): string {
  return `${new Date(epochS * 1000).toISOString().slice(0, 19)}Z`;
}

async function getJson(service: Service, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${service.url}${path}`, {
    headers: { authorization: API_KEY },
    signal: AbortSignal.any([AbortSignal.timeout(QUERY_TIMEOUT_MS), halt.signal]),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

interface WaitFigures {
  target: number;
  atLoadEnd: number;
  /** The count once it stopped moving (or when the wait ended). */
  final: number;
  outcome: 'all queryable' | 'timed out' | 'stalled';
  /** Seconds from the end of the load until the count reached the target, or until the wait ended. */
  seconds: number;
  /** Events that became queryable per second, from the end of the load to the last change of the count. */
  loaderEventsPerS: number;
  /** [seconds since the end of the load, total_count] of every poll. */
  polls: Array<[number, number]>;
}

/**
 * Polls the phase's count until it reaches `target` (the events of the batches answered 200), then until
 * it stops moving: batches cut off at the end of the load (sent, no answer) may be stored and loaded
 * too, up to `most` events, and the check must not page while the loader still writes.
 */
async function waitQueryable(
  service: Service,
  keyword: string,
  pool: Pool,
  target: number,
  most: number,
  loadEnded: number,
  opts: Options,
): Promise<WaitFigures> {
  const path = `${EVENTS_API_PATH}?per_page=1&recipient_domains=${keyword}&from=${queryTime(pool.fromS)}&to=${queryTime(pool.toS)}`;
  const polls: Array<[number, number]> = [];
  let last = -1;
  let lastChange = performance.now();
  let lastChangeS = 0;
  let reachedS: number | undefined;
  let outcome: WaitFigures['outcome'] = 'timed out';
  for (;;) {
    if (service.exited) throw new Error('the service exited during the wait');
    if (halt.signal.aborted) throw new Error('interrupted');
    let count = last;
    try {
      const { status, body } = await getJson(service, path);
      const total = (body as { total_count?: unknown } | undefined)?.total_count;
      if (status === 200 && typeof total === 'number') count = total;
    } catch {
      // a poll that fails or times out counts as no progress
    }
    const now = performance.now();
    const elapsedS = (now - loadEnded) / 1000;
    polls.push([Math.round(elapsedS * 10) / 10, count]);
    const moved = count !== last;
    if (moved) {
      last = count;
      lastChange = now;
      lastChangeS = elapsedS;
    }
    if (reachedS === undefined && count >= target) {
      reachedS = elapsedS;
      outcome = 'all queryable';
    }
    if (reachedS !== undefined && (!moved || count >= most)) break;
    if (elapsedS >= opts.waitS) break;
    if (reachedS === undefined && (now - lastChange) / 1000 >= opts.stallS) {
      outcome = 'stalled';
      break;
    }
    await sleep(1000);
  }
  const atLoadEnd = Math.max(0, polls[0]?.[1] ?? 0);
  const final = Math.max(0, last);
  const endS = polls[polls.length - 1]?.[0] ?? 0;
  return {
    target,
    atLoadEnd,
    final,
    outcome,
    seconds: reachedS ?? endS,
    loaderEventsPerS: lastChangeS > 0 ? (final - atLoadEnd) / lastChangeS : Number.NaN,
    polls,
  };
}

interface CheckFigures {
  expected: number;
  stored: number;
  missing: number;
  duplicates: number;
  /** Stored events of batches that got no 200 (cut off at the end of the run, or refused). */
  fromUnanswered: number;
  /** Returned ids that this phase never sent. */
  unexpected: number;
  pages: number;
  slices: number;
  pagingComplete: boolean;
  seconds: number;
  passed: boolean;
}

/** Time slices of about SLICE_EVENTS expected events each, cut at the templates' timestamps. */
function checkSlices(pool: Pool, expected: number): Array<[number, number]> {
  const timestamps = pool.templates.flatMap((template) => template.timestamps).sort((a, b) => a - b);
  const count = Math.max(1, Math.ceil(expected / SLICE_EVENTS));
  const bounds = [pool.fromS];
  for (let i = 1; i < count; i += 1) {
    const ts = timestamps[Math.floor((i * timestamps.length) / count)] ?? pool.toS;
    if (ts > (bounds[bounds.length - 1] as number) && ts < pool.toS) bounds.push(ts);
  }
  bounds.push(pool.toS);
  return bounds.slice(1).map((to, i) => [bounds[i] as number, to]);
}

async function checkExactlyOnce(
  service: Service,
  keyword: string,
  pool: Pool,
  idPrefix: string,
  webhook: WebhookFigures,
  opts: Options,
): Promise<CheckFigures> {
  const started = performance.now();
  const seen = new Uint8Array(webhook.sent * opts.batchEvents);
  let unexpected = 0;
  let pages = 0;
  let pagingComplete = true;
  const slices = checkSlices(pool, webhook.acceptedEvents);
  const idLength = idPrefix.length + SEQ_DIGITS + INDEX_DIGITS;
  // One streamed export per slice (GET /api/v1/events/message/export, NDJSON): every stored event of the
  // phase once, with no page cut or per-page count to walk through. A slice that does not end cleanly
  // (an error line, a broken answer) leaves the check incomplete, which fails it.
  for (const [from, to] of slices) {
    if (halt.signal.aborted) {
      pagingComplete = false;
      break;
    }
    pages += 1;
    const path = `${EVENTS_API_EXPORT_PATH}?recipient_domains=${keyword}&from=${queryTime(from)}&to=${queryTime(to)}`;
    try {
      const response = await fetch(`${service.url}${path}`, {
        headers: { authorization: API_KEY },
        signal: halt.signal,
      });
      if (response.status !== 200 || !response.body) {
        log(`check: export answered ${response.status}`);
        pagingComplete = false;
        break;
      }
      const lines = createInterface({ input: Readable.fromWeb(response.body), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line === '') continue;
        const event = JSON.parse(line) as { event_id?: unknown; errors?: unknown };
        if (event.errors !== undefined) {
          log(`check: export stopped: ${line}`);
          pagingComplete = false;
          break;
        }
        const id = typeof event.event_id === 'string' ? event.event_id : '';
        const seq = Number(id.slice(idPrefix.length, idPrefix.length + SEQ_DIGITS));
        const index = Number(id.slice(idPrefix.length + SEQ_DIGITS));
        if (
          id.length !== idLength ||
          !id.startsWith(idPrefix) ||
          !(seq < webhook.sent) ||
          !(index < opts.batchEvents)
        ) {
          unexpected += 1;
          continue;
        }
        const slot = seq * opts.batchEvents + index;
        seen[slot] = Math.min(255, (seen[slot] ?? 0) + 1);
      }
    } catch (error) {
      log(`check: export failed (${(error as Error).message})`);
      pagingComplete = false;
      break;
    }
    if (!pagingComplete) break;
  }
  let stored = 0;
  let missing = 0;
  let duplicates = 0;
  let fromUnanswered = 0;
  for (let seq = 0; seq < webhook.sent; seq += 1) {
    const accepted = webhook.statuses[seq] === 200;
    for (let index = 0; index < opts.batchEvents; index += 1) {
      const times = seen[seq * opts.batchEvents + index] ?? 0;
      if (times > 0) stored += 1;
      if (times > 1) duplicates += times - 1;
      if (accepted && times === 0) missing += 1;
      if (!accepted && times > 0) fromUnanswered += 1;
    }
  }
  return {
    expected: webhook.acceptedEvents,
    stored,
    missing,
    duplicates,
    fromUnanswered,
    unexpected,
    pages,
    slices: slices.length,
    pagingComplete,
    seconds: (performance.now() - started) / 1000,
    passed: pagingComplete && missing === 0 && duplicates === 0 && unexpected === 0,
  };
}

// ---------------------------------------------------------------------------------------------------
// A phase, the run, the report.

interface PhaseFigures {
  phase: number;
  name: string;
  keyword: string;
  templates: number;
  webhook: WebhookFigures;
  queries?: QueryFigures[];
  wait: WaitFigures;
  check: CheckFigures;
}

async function runPhase(
  service: Service,
  run: string,
  phase: number,
  withQueries: boolean,
  opts: Options,
): Promise<PhaseFigures> {
  const name = withQueries ? 'webhook + concurrent queries' : 'webhook only';
  const keyword = `lt${run}p${phase}`;
  const pool = buildPool(keyword, 1000 + phase, opts.batchEvents, Date.now());
  const idPrefix = eventIdPrefix(run, phase);
  log(
    `phase ${phase} (${name}): ${opts.durationS} s, ${opts.connections} connections, ${opts.batchEvents}-event batches`,
  );
  let loading = true;
  const queries =
    withQueries && opts.queryConnections > 0
      ? runQueries(service, pool, opts.queryConnections, () => loading)
      : undefined;
  let webhook: WebhookFigures;
  try {
    webhook = await postBatches(service, pool, idPrefix, `loadtest-${run}-p${phase}`, opts);
  } finally {
    loading = false;
  }
  const loadEnded = performance.now();
  const queryFigures = await queries;
  log(
    `phase ${phase}: ${webhook.answered} answers (${webhook.acceptedBatches} × 200) in ${webhook.durationS.toFixed(1)} s, ` +
      `${webhook.requestsPerS.toFixed(1)} req/s, p50 ${webhook.latencyMs.p50} ms, p99 ${webhook.latencyMs.p99} ms; ` +
      `waiting for ${webhook.acceptedEvents} events to be queryable`,
  );
  const most = webhook.sent * opts.batchEvents;
  const wait = await waitQueryable(service, keyword, pool, webhook.acceptedEvents, most, loadEnded, opts);
  log(
    `phase ${phase}: ${wait.outcome}: ${wait.final} of ${wait.target} after ${wait.seconds.toFixed(1)} s; checking`,
  );
  const check = await checkExactlyOnce(service, keyword, pool, idPrefix, webhook, opts);
  log(
    `phase ${phase}: exactly once ${check.passed ? 'passed' : 'FAILED'}: expected ${check.expected}, ` +
      `stored ${check.stored}, missing ${check.missing}, duplicates ${check.duplicates} (${check.pages} exports, ${check.seconds.toFixed(0)} s)`,
  );
  return {
    phase,
    name,
    keyword,
    templates: pool.templates.length,
    webhook,
    ...(queryFigures ? { queries: queryFigures } : {}),
    wait,
    check,
  };
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  try {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
    }
  } catch {
    // unreadable or gone: report what was counted
  }
  return total;
}

/** Warnings and errors of the service's JSON log, counted by message (logs carry no event contents). */
async function logSummary(logPath: string): Promise<Array<[string, number]>> {
  const counts = new Map<string, number>();
  let text = '';
  try {
    text = await readFile(logPath, 'utf8');
  } catch {
    return [];
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: unknown; message?: unknown; error?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.level !== 'WARN' && entry.level !== 'ERROR') continue;
    const error =
      typeof entry.error === 'string'
        ? entry.error
        : typeof (entry.error as { message?: unknown } | undefined)?.message === 'string'
          ? (entry.error as { message: string }).message
          : '';
    const key = `${entry.level} ${String(entry.message)}${error ? `: ${error.slice(0, 120)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

interface RunReport {
  command: string;
  date: string;
  machine: { cpus: number; model: string; ramGiB: number; os: string; node: string; loadAvg: number[] };
  code: { commit: string; dirty: boolean };
  options: Options;
  phases: PhaseFigures[];
  service: {
    stop: StopFigures;
    batchesBytes: number;
    postgresBytes: number;
    log: Array<[string, number]>;
  };
  wallS: number;
  passed: boolean;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const statuses = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([status, count]) => `${status} × ${int(count)}`)
    .join(', ') || '—';

function stopText(stop: StopFigures): string {
  const how = stop.graceful
    ? 'graceful, the service exited 0'
    : `not graceful: tsx ended with ${stop.exit}${stop.leftover ? '; its PostgreSQL outlived it and was stopped by the load test' : ''}`;
  return `${how}, in ${fixed(stop.stopS)} s`;
}

function markdown(report: RunReport): string {
  const { phases } = report;
  const row = (label: string, cell: (phase: PhaseFigures) => string) =>
    `| ${label} | ${phases.map(cell).join(' | ')} |`;
  const lines = [
    '# Load test',
    '',
    'Written by `npm run loadtest` (bench/loadtest.ts); every figure below was measured by the run it describes. ' +
      'Issue 8 (item 6) defines it. The service ran as `npm start` runs it (embedded PostgreSQL, every setting at ' +
      'its default), started by the load test as a child process on 127.0.0.1 with a fresh data folder; the ' +
      'load clients ran on the same machine, on the same cores.',
    '',
    `- Command: \`${report.command}\``,
    `- Date: ${report.date}; wall time ${fixed(report.wallS / 60)} min`,
    `- Machine: ${report.machine.cpus} × ${report.machine.model}, ${fixed(report.machine.ramGiB)} GiB RAM, ${report.machine.os}, Node ${report.machine.node}; load average at the start ${report.machine.loadAvg.map((n) => n.toFixed(2)).join(' / ')} (other processes may have shared the cores)`,
    `- Code measured: commit ${report.code.commit || 'unknown'}${report.code.dirty ? ' with uncommitted changes in src/ or sql/' : ''} (the working tree when the run started)`,
    `- Options: ${report.options.durationS} s per phase, ${report.options.connections} webhook connections, ${report.options.batchEvents}-event batches, ${report.options.queryConnections} query clients in phase 2, wait at most ${report.options.waitS} s (stop after ${report.options.stallS} s without progress)`,
    `- Result: exactly-once check ${report.passed ? '**passed**' : '**FAILED**'} (${phases.map((p) => `phase ${p.phase} ${p.check.passed ? 'passed' : 'failed'}`).join(', ')})`,
    '',
    '## Webhook',
    '',
    'Every request posts a new batch (new batch id, new event ids) of realistic events (bench/generate.ts) ' +
      "whose timestamps spread over the last 22 hours. Latency is autocannon's, from request to answer.",
    '',
    `| | ${phases.map((p) => `phase ${p.phase}: ${p.name}`).join(' | ')} |`,
    `| --- | ${phases.map(() => '---:').join(' | ')} |`,
    row('batches sent', (p) => int(p.webhook.sent)),
    row('answers', (p) => int(p.webhook.answered)),
    row('sent without an answer (cut off at the end, or timed out)', (p) =>
      int(p.webhook.sent - p.webhook.answered),
    ),
    row('answered 200 (accepted)', (p) => int(p.webhook.acceptedBatches)),
    row('answers by status', (p) => statuses(p.webhook.statusCounts)),
    row('200 without `stored:true`', (p) => int(p.webhook.storedFalse)),
    row(
      'connection errors (of which timeouts)',
      (p) => `${int(p.webhook.errors)} (${int(p.webhook.timeouts)})`,
    ),
    row('duration s', (p) => fixed(p.webhook.durationS)),
    row('requests/s', (p) => fixed(p.webhook.requestsPerS)),
    row('events/s accepted', (p) => int(p.webhook.eventsPerS)),
    row('latency p50 ms', (p) => int(p.webhook.latencyMs.p50)),
    row('latency p99 ms', (p) => int(p.webhook.latencyMs.p99)),
    row('latency max ms', (p) => int(p.webhook.latencyMs.max)),
    '',
    '## Until queryable, and exactly once',
    '',
    "After the load, the Events API is polled once a second (`recipient_domains=<the phase's keyword>`, " +
      "`per_page=1`, the phase's window) until `total_count` reaches the events of the batches answered 200 " +
      '(the time below, from the end of the load), then until it stops moving. Then every stored event of the ' +
      'phase is read through the export (`GET /api/v1/events/message/export`, one per time slice) and its id compared with those ' +
      'sent. Batches cut off at the end of the load (sent, no answer) may be stored too: SparkPost would retry ' +
      'them, so their events count apart, neither expected nor an error.',
    '',
    `| | ${phases.map((p) => `phase ${p.phase}`).join(' | ')} |`,
    `| --- | ${phases.map(() => '---:').join(' | ')} |`,
    row('events accepted', (p) => int(p.wait.target)),
    row('queryable when the load ended', (p) => int(p.wait.atLoadEnd)),
    row('wait outcome', (p) => p.wait.outcome),
    row('time until the last event is queryable, s', (p) =>
      p.wait.outcome === 'all queryable' ? fixed(p.wait.seconds) : `not within ${fixed(p.wait.seconds)}`,
    ),
    row('queryable once the count stopped moving', (p) => int(p.wait.final)),
    row('loader events/s while waiting', (p) => int(p.wait.loaderEventsPerS)),
    row('check: expected (accepted)', (p) => int(p.check.expected)),
    row('check: stored (distinct ids)', (p) => int(p.check.stored)),
    row('check: missing', (p) => int(p.check.missing)),
    row('check: duplicates', (p) => int(p.check.duplicates)),
    row('check: stored from batches without a 200', (p) => int(p.check.fromUnanswered)),
    row('check: ids never sent', (p) => int(p.check.unexpected)),
    row(
      'check: exports (slices), s',
      (p) => `${int(p.check.pages)} (${p.check.slices}), ${fixed(p.check.seconds, 0)}`,
    ),
    row('exactly once', (p) =>
      p.check.passed ? 'passed' : `**failed**${p.check.pagingComplete ? '' : ' (export incomplete)'}`,
    ),
    '',
  ];
  const withQueries = phases.filter((p) => p.queries);
  for (const phase of withQueries) {
    lines.push(
      `## Queries during phase ${phase.phase}`,
      '',
      `${report.options.queryConnections} clients, each looping over the mix while the webhook load ran; the ` +
        "APIs' default window (the last 24 hours); latency from request to the end of the body, client timeout " +
        `${QUERY_TIMEOUT_MS / 1000} s.`,
      '',
      '| query | requests | p50 ms | p99 ms | max ms | statuses |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      ...(phase.queries ?? []).map(
        (q) =>
          `| ${q.kind} | ${int(q.requests)} | ${int(q.p50Ms)} | ${int(q.p99Ms)} | ${int(q.maxMs)} | ${statuses(q.statuses)} |`,
      ),
      '',
    );
  }
  lines.push(
    '## Service',
    '',
    `- Stop (SIGINT to tsx): ${stopText(report.service.stop)}`,
    `- Disk at the end: raw batches ${fixed(report.service.batchesBytes / 1024 ** 2)} MiB, PostgreSQL data folder (with its WAL) ${fixed(report.service.postgresBytes / 1024 ** 2)} MiB`,
    `- Warnings and errors in its log: ${report.service.log.length === 0 ? 'none' : ''}`,
    ...report.service.log.map(([message, count]) => `  - ${int(count)} × ${message}`),
  );
  return lines.join('\n');
}

async function main(): Promise<number> {
  const opts = options();
  const started = performance.now();
  const codeCommit = gitOut(['rev-parse', '--short', 'HEAD']);
  const codeDirty = gitOut(['status', '--porcelain', '--', 'src', 'sql']) !== '';
  const command = `npm run loadtest${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const loadAvg = loadavg();
  // Five digits (no leading zero) that keep this run's ids and keywords apart from any other run's.
  const run = String(10_000 + Math.floor(Math.random() * 90_000));
  const logPath = resolve(ROOT, opts.log);
  const dataDir = await throwawayDataDir('sparkpost-event-db-loadtest-');
  log(`${command}: data in ${dataDir}, service log in ${relative(ROOT, logPath)}`);

  let service: Service | undefined;
  let stop: StopFigures = { graceful: false, exit: 'not started', leftover: false, stopS: 0 };
  // Once, whether the run ends, fails or is interrupted (both may ask).
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      if (service) {
        stop = await stopService(service);
        log(`service stopped (${stopText(stop)})`);
      }
      if (!opts.keep) await rm(dataDir, { recursive: true, force: true });
      service?.watchdog?.kill('SIGTERM');
    })();
    return cleaning;
  };
  // Ctrl-C reaches npm, tsx and this process, and tsx relays it: a second signal must not end this
  // process before the service (in a process group of its own) is stopped.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the load and the service`);
    halt.abort();
    for (const instance of loadClients) instance.stop();
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const phases: PhaseFigures[] = [];
  let batchesBytes = 0;
  let postgresBytes = 0;
  try {
    service = await startService(dataDir, logPath, opts.keep);
    await untilListening(service, logPath);
    log(`service listening on ${service.url}`);
    phases.push(await runPhase(service, run, 1, false, opts));
    phases.push(await runPhase(service, run, 2, true, opts));
    batchesBytes = await directorySize(join(dataDir, 'batches'));
    postgresBytes = await directorySize(join(dataDir, 'pg'));
  } finally {
    log('stopping the service');
    await cleanup();
  }

  const cpuList = cpus();
  const report: RunReport = {
    command,
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    machine: {
      cpus: cpuList.length,
      model: cpuList[0]?.model.trim() ?? 'unknown',
      ramGiB: totalmem() / 1024 ** 3,
      os: `${platform()} ${release()}`,
      node: process.version,
      loadAvg,
    },
    code: { commit: codeCommit, dirty: codeDirty },
    options: opts,
    phases,
    service: { stop, batchesBytes, postgresBytes, log: await logSummary(logPath) },
    wallS: (performance.now() - started) / 1000,
    passed: phases.every((phase) => phase.check.passed),
  };
  const outPath = resolve(ROOT, opts.out);
  const jsonPath = resolve(ROOT, opts.json);
  await mkdir(dirname(outPath), { recursive: true });
  await mkdir(dirname(jsonPath), { recursive: true });
  const text = markdown(report);
  await writeFile(outPath, `${text}\n`);
  // The JSON without the per-batch statuses (one number per request).
  const json = {
    ...report,
    phases: phases.map(({ webhook: { statuses: _, ...webhook }, ...phase }) => ({ ...phase, webhook })),
  };
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`${text}\n`);
  log(`wrote ${relative(ROOT, outPath)} and ${relative(ROOT, jsonPath)}`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `loadtest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
