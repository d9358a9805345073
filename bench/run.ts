/**
 * `npm run bench`: the volume benchmark of issues 4 and 10. Generates realistic SparkPost batches,
 * ingests them through the real path (receiveWebhook → local batch store → loadBatches → PostgreSQL),
 * loads the same data with two reference loaders (the 2017 design, and COPY as the machine's limit),
 * measures storage (every table and index of storage v2), the server's CPU per event and query latency
 * (through search.ts and the EventReader, as the API runs them) at each checkpoint, and writes a report
 * (bench/out/BENCHMARKS.md unless --out) and a chart.
 *
 *   npm run bench                                   # smoke run: 50k events, checkpoints 10k and 50k
 *   npm run bench -- --events 1000000               # checkpoints 200k and 1M
 *   npm run bench -- --events 5000000 --checkpoints 1000000,5000000
 *
 * Other options: --seed, --days, --batch, --runs, --filter-runs (runs of each of the ~40 "every filter,
 * rare or absent value" shapes; default: --runs), --warmup, --explains, --out, --svg, --no-2017,
 * --no-copy, --no-vacuum, --drop-index <names> (an experiment: load without those indexes), --keep,
 * --sequential (loadBatch one batch at a time, as a Lambda does, instead of the pipelined loadBatches),
 * --json <file> (the measurements, for `tsx bench/render.ts <file>`). DATABASE_URL selects an existing
 * server (databases are created and dropped on it).
 *
 * The export (issue 12) is measured beside paging the Events API at the last checkpoint of every run;
 * --export-only generates and loads the events, then measures only that (no 2017 or COPY reference, no
 * query shapes, one checkpoint), e.g. `npm run bench -- --export-only --events 1000000`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { createApp } from '../src/app';
import { DEFAULT_MAX_BATCH_BYTES, loadConfig } from '../src/config';
import { batchObjectKey } from '../src/core/batch-key';
import { CHUNK_EVENTS } from '../src/core/events/chunks';
import { rowsOfBatch } from '../src/core/events/rows';
import { type LoadOutcome, loadBatch, loadBatches } from '../src/core/load-batch';
import { WEBHOOK_PATH } from '../src/core/paths';
import type { EventStore } from '../src/core/ports';
import { createEventReader } from '../src/db/event-reader';
import { createEventStore } from '../src/db/event-store';
import { migrate } from '../src/db/migrate';
import { MIGRATIONS } from '../src/db/migrations';
import { createDb, type Db, type Queryable } from '../src/db/pool';
import { openLocalDatabase, throwawayDataDir } from '../src/local/database';
import { dirBatchStore } from '../src/local/dir-batch-store';
import { silentLogger } from '../src/logger';
import { flatEvent, type GeneratedBatch, generateBatches } from './generate';
import { CpuMeter, PgCpu, pgCpuTotal, statementLabel, Timings } from './measure';
import { QuerySamples, ReaderDb, runShapes } from './queries';
import { Random } from './random';
import { load2017, SCHEMA_2017 } from './reference-2017';
import {
  copyChunk,
  countRows,
  createCopyTables,
  exportChunks,
  exportEvents,
  partitionKeyColumn,
  syncPartitions,
} from './reference-copy';
import {
  type Checkpoint,
  chartSvg,
  type ExportComparison,
  exportOnlyMarkdown,
  markdown,
  type ReadMeasure,
  type RunReport,
  reportToJson,
  type Segment,
} from './report';
import { dictionaryFields, inheritedTableSize, schemaSize, tableSize } from './storage';

const ROOT = resolve(__dirname, '..');
const DAY_MS = 86_400_000;
/** Batches handled per step: received, loaded by us, then by the 2017 loader. */
const CHUNK_BATCHES = 100;

function options() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '50000' },
      checkpoints: { type: 'string' },
      seed: { type: 'string', default: '42' },
      days: { type: 'string', default: '30' },
      batch: { type: 'string', default: '350' },
      runs: { type: 'string', default: '100' },
      'filter-runs': { type: 'string' },
      warmup: { type: 'string', default: '5' },
      explains: { type: 'string', default: '5' },
      out: { type: 'string' },
      svg: { type: 'string', default: 'bench/out/benchmarks.svg' },
      'no-2017': { type: 'boolean', default: false },
      'no-copy': { type: 'boolean', default: false },
      'no-vacuum': { type: 'boolean', default: false },
      'drop-index': { type: 'string' },
      json: { type: 'string' },
      sequential: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'export-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const positive = (name: string, raw: string | undefined): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`--${name} must be a positive integer (got "${raw}")`);
    return value;
  };
  const events = positive('events', values.events);
  const exportOnly = values['export-only'] ?? false;
  const checkpoints = exportOnly
    ? [events]
    : values.checkpoints
      ? values.checkpoints.split(',').map((item) => positive('checkpoints', item.trim()))
      : [Math.max(1, Math.round(events / 5)), events];
  checkpoints.sort((a, b) => a - b);
  if ((checkpoints[checkpoints.length - 1] ?? 0) !== events) checkpoints.push(events);
  return {
    events,
    checkpoints: [...new Set(checkpoints)].filter((c) => c <= events),
    seed: positive('seed', values.seed),
    days: positive('days', values.days),
    batch: positive('batch', values.batch),
    runs: positive('runs', values.runs),
    filterRuns: positive('filter-runs', values['filter-runs'] ?? values.runs),
    warmup: Number(values.warmup ?? 5),
    explains: Number(values.explains ?? 5),
    out: values.out ?? (exportOnly ? 'bench/out/EXPORT.md' : 'bench/out/BENCHMARKS.md'),
    svg: values.svg ?? 'bench/out/benchmarks.svg',
    with2017: !values['no-2017'] && !exportOnly,
    withCopy: !values['no-copy'] && !exportOnly,
    exportOnly,
    vacuum: !values['no-vacuum'],
    dropIndexes: (values['drop-index'] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => /^[a-z_][a-z0-9_]*$/i.test(name)),
    keep: values.keep ?? false,
    json: values.json,
    sequential: values.sequential ?? false,
  };
}

/** Stops what the run started (the embedded server) when it fails or is interrupted. */
const cleanups: Array<() => Promise<void>> = [];

function gitOut(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).replace(/\s+$/, '');
  } catch {
    return '';
  }
}

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** A Db whose statements are timed by label (first words of the SQL, never values). */
function timedDb(db: Db, timings: Timings): Db {
  const wrap = (q: Queryable): Queryable => ({
    async query(text, values) {
      const started = performance.now();
      try {
        return await q.query(text, values);
      } finally {
        timings.add(statementLabel(text), performance.now() - started);
      }
    },
  });
  return {
    query: wrap(db).query,
    stream: (text, values, options) => db.stream(text, values, options),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    withClient: (work) => db.withClient((client) => work(wrap(client))),
    end: () => db.end(),
  };
}

function withUrlDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** UTC day boundaries cutting [lo, hi) into windows of at most one day (for bounded exports). */
function dayWindows(lo: number, hi: number): Array<[number, number]> {
  const windows: Array<[number, number]> = [];
  let start = lo;
  while (start < hi) {
    const end = Math.min(hi, (Math.floor(start / DAY_MS) + 1) * DAY_MS);
    windows.push([start, end]);
    start = end;
  }
  return windows;
}

/** Runs bench/export-probe.ts in a process of its own and reads its measurement. */
function probe(url: string, mode: 'export' | 'paging', window: string): Promise<ReadMeasure> {
  return new Promise((resolveProbe, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'export-probe.ts'), url, mode, window],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (part: Buffer) => {
      stdout += part.toString();
    });
    child.stderr.on('data', (part: Buffer) => {
      stderr += part.toString();
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolveProbe(JSON.parse(stdout))
        : reject(new Error(`export probe (${mode}) failed: ${stderr}`)),
    );
  });
}

/** Issue 12: every event of the loaded window, exported and paged at per_page=10000, side by side. */
async function compareExport(url: string, firstTs: number, lastTs: number): Promise<ExportComparison> {
  const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
  const query = `from=${iso(Math.floor(firstTs / 1000) * 1000)}&to=${iso(Math.floor(lastTs / 1000) * 1000 + 1000)}`;
  log('export beside paging: the export');
  const exported = await probe(url, 'export', query);
  log(`export: ${exported.events} events in ${Math.round(exported.ms)} ms; paging at per_page=10000`);
  const paging = await probe(url, 'paging', query);
  log(`paging: ${paging.events} events in ${paging.pages} pages, ${Math.round(paging.ms)} ms`);
  if (exported.events !== paging.events)
    throw new Error(`the export wrote ${exported.events} events, paging read ${paging.events}`);
  return { events: exported.events, query, export: exported, paging };
}

async function main(): Promise<void> {
  const opts = options();
  const started = performance.now();
  // The code measured: what tsx loads now, i.e. the working tree at this moment.
  const codeCommit = gitOut(['rev-parse', '--short', 'HEAD']);
  // What differs from the commit in the code measured (the benchmark's own files included).
  const changed = gitOut(['status', '--porcelain', '--', 'src', 'sql', 'bench'])
    .split('\n')
    .map((line) => line.slice(3).trim())
    .filter((path) => path !== '');
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  log(`${command}: ${opts.events} events, checkpoints ${opts.checkpoints.join(', ')}`);

  const dir = await throwawayDataDir('sparkpost-event-db-bench-');
  const databaseUrl = loadConfig(process.env, ['db']).db.connectionString;
  if (!databaseUrl) log('starting embedded PostgreSQL');
  const server = await openLocalDatabase({ databaseUrl, dataDir: dir }, silentLogger);
  const serverUrl = server.connectionString;
  cleanups.push(async () => {
    await server.stop();
    if (!opts.keep) await rm(dir, { recursive: true, force: true });
  });
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const suffix = randomBytes(4).toString('hex');
  const oursName = `sedb_bench_${suffix}`;
  const oldName = `sedb_bench_${suffix}_2017`;
  const copyName = `sedb_bench_${suffix}_copy`;
  await admin.query(`CREATE DATABASE ${oursName}`);
  if (opts.with2017) await admin.query(`CREATE DATABASE ${oldName}`);
  if (opts.withCopy) await admin.query(`CREATE DATABASE ${copyName}`);
  // Every process of the server, attributed to a loader by the database it works for.
  const pgCpu = PgCpu.fromBackendPid(
    Number((await admin.query('SELECT pg_backend_pid() AS pid')).rows[0].pid),
    new Map([
      [oursName, 'ours'],
      [oldName, '2017'],
      [copyName, 'copy'],
    ]),
  );
  const version = String((await admin.query('SHOW server_version')).rows[0].server_version);
  const settings: Array<[string, string]> = [];
  for (const name of [
    'shared_buffers',
    'max_wal_size',
    'synchronous_commit',
    'fsync',
    'wal_compression',
    'autovacuum',
  ]) {
    settings.push([name, String((await admin.query(`SHOW ${name}`)).rows[0][name])]);
  }

  const oursUrl = withUrlDatabase(serverUrl, oursName);
  const statements = new Timings();
  const baseDb = createDb(
    { connectionString: oursUrl, poolMax: 4, statementTimeoutMs: 0, ssl: false },
    silentLogger,
  );
  await migrate(baseDb, MIGRATIONS, silentLogger);
  // An experiment: what one index costs the loader (e.g. --drop-index events_reason_trgm).
  for (const name of opts.dropIndexes) await baseDb.query(`DROP INDEX ${name}`);
  const db = timedDb(baseDb, statements);
  const queryDb = createDb(
    { connectionString: oursUrl, poolMax: 4, statementTimeoutMs: 0, ssl: false },
    silentLogger,
  );

  const store = dirBatchStore(join(dir, 'batches'));
  const token = randomBytes(16).toString('hex');
  const webhookDeps = {
    store,
    auth: { disabled: false, token },
    maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
    logger: silentLogger,
  };
  const webhook = createApp({ logger: silentLogger, webhook: webhookDeps });
  const inner = createEventStore(db);
  let storeMs = 0;
  const events: EventStore = {
    ...inner,
    async load(batch) {
      const t = performance.now();
      try {
        return await inner.load(batch);
      } finally {
        storeMs += performance.now() - t;
      }
    },
  };
  const loadDeps = { store, events, logger: silentLogger };

  let oldPool: pg.Pool | undefined;
  if (opts.with2017) {
    oldPool = new pg.Pool({ connectionString: withUrlDatabase(serverUrl, oldName), max: 2 });
    await oldPool.query(SCHEMA_2017);
  }
  let copyClient: pg.Client | undefined;
  let exportClient: pg.Client | undefined;
  let partitionKey = '';
  if (opts.withCopy) {
    copyClient = new pg.Client({ connectionString: withUrlDatabase(serverUrl, copyName) });
    exportClient = new pg.Client({ connectionString: oursUrl });
    await copyClient.connect();
    await exportClient.connect();
    partitionKey = await partitionKeyColumn(exportClient, 'events');
    await createCopyTables(exportClient, copyClient);
  }

  const startMs = Date.UTC(2024, 10, 1);
  const batches = generateBatches({
    seed: opts.seed,
    events: opts.events,
    days: opts.days,
    startMs,
    batchSize: opts.batch,
  });
  const sampleRandom = new Random(opts.seed + 1);
  const samples = new QuerySamples(sampleRandom, Math.min(1, 20_000 / ((opts.events / opts.days) * 1.5)));
  let chunksExported = 0;
  const types = new Map<string, number>();
  const recipients = new Set<string>();
  let rawBytes = 0;
  let maxEventBytes = 0;
  let generateMs = 0;
  let loaded = 0;
  let firstTs = Number.NaN;
  let lastTs = 0;
  let exportedUpTo: number | undefined;
  const segments: Segment[] = [];
  const pgSplit = (meter: CpuMeter) => (meter.measuresPg ? { pgCpu: meter.pg } : {});
  const checkpoints: Checkpoint[] = [];
  let exportComparison: ExportComparison | undefined;
  const oursCpu = new CpuMeter(pgCpu);
  const oldCpu = new CpuMeter(pgCpu);
  const copyCpu = new CpuMeter(pgCpu);
  let batchNumber = 0;

  for (const checkpoint of opts.checkpoints) {
    const segment: Segment = {
      upTo: checkpoint,
      from: loaded,
      ours: {
        events: 0,
        ms: 0,
        nodeCpuS: 0,
        storeMs: 0,
        statements: new Map(),
        inserted: 0,
        duplicates: 0,
        webhookMs: [],
        sampleEvents: 0,
        sampleParseMs: 0,
        sampleRowsMs: 0,
      },
      ...(opts.with2017 ? { ref2017: { events: 0, ms: 0, nodeCpuS: 0, prepareMs: 0, databaseMs: 0 } } : {}),
      ...(opts.withCopy
        ? { copy: { events: 0, chunks: 0, ms: 0, chunksMs: 0, nodeCpuS: 0, exportMs: 0 } }
        : {}),
    };
    statements.reset();
    storeMs = 0;
    for (const meter of [oursCpu, oldCpu, copyCpu]) meter.reset();
    while (loaded < checkpoint) {
      // Generate a chunk (untimed).
      const genStarted = performance.now();
      const chunk: GeneratedBatch[] = [];
      let chunkEvents = 0;
      while (chunk.length < CHUNK_BATCHES && loaded + chunkEvents < checkpoint) {
        const next = batches.next();
        if (next.done) break;
        chunk.push(next.value);
        chunkEvents += next.value.elements.length;
      }
      if (chunk.length === 0) break;
      for (const batch of chunk) {
        rawBytes += batch.rawBytes;
        if (Number.isNaN(firstTs)) firstTs = batch.firstTs;
        lastTs = batch.lastTs;
        for (const element of batch.elements) {
          samples.add(element);
          const event = flatEvent(element);
          const type = String(event.type);
          types.set(type, (types.get(type) ?? 0) + 1);
          if (typeof event.rcpt_to === 'string') recipients.add(event.rcpt_to);
          maxEventBytes = Math.max(maxEventBytes, JSON.stringify(element).length);
        }
      }
      generateMs += performance.now() - genStarted;

      // Ours: the webhook accepts each batch, then the loader loads it.
      const keys: string[] = [];
      for (const batch of chunk) {
        const t = performance.now();
        const response = await webhook({
          method: 'POST',
          path: WEBHOOK_PATH,
          rawQuery: '',
          headers: {
            'content-type': 'application/json',
            'x-messagesystems-batch-id': batch.batchId,
            'x-messagesystems-webhook-token': token,
          },
          body: batch.body,
        });
        segment.ours.webhookMs.push(performance.now() - t);
        const answer = JSON.parse(response.body) as { results?: { batch_id?: string; stored?: boolean } };
        if (response.statusCode !== 200 || answer.results?.stored !== true || !answer.results.batch_id) {
          throw new Error(`webhook answered ${response.statusCode} ${response.body}`);
        }
        keys.push(batchObjectKey(answer.results.batch_id));
      }
      oursCpu.start();
      const outcomes: LoadOutcome[] = [];
      if (opts.sequential) {
        // One batch at a time, as one Lambda invocation loads one S3 object.
        for (const key of keys) {
          const t = performance.now();
          outcomes.push(await loadBatch(key, loadDeps));
          segment.ours.ms += performance.now() - t;
        }
      } else {
        // The waiting batches through the pipelined loader, as the local queue (`npm start`) runs it.
        const t = performance.now();
        const run = await loadBatches(keys, loadDeps);
        segment.ours.ms += performance.now() - t;
        if (run.failed.length > 0 || run.notTried.length > 0) {
          const cause = run.failed[0]?.error;
          throw new Error(
            `the loader failed on ${run.failed.length} batch(es), ${run.notTried.length} not tried` +
              (cause ? `: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}` : ''),
          );
        }
        outcomes.push(...run.done.map((done) => done.outcome));
      }
      oursCpu.stop();
      for (const outcome of outcomes) {
        if (outcome.status !== 'loaded') throw new Error(`the loader answered ${outcome.status}`);
        segment.ours.inserted += outcome.inserted;
        segment.ours.duplicates += outcome.duplicates;
      }
      segment.ours.events += chunkEvents;
      // Untimed: how the Node side splits, on every 10th batch.
      for (let i = 0; i < chunk.length; i += 1) {
        if ((batchNumber + i) % 10 !== 0) continue;
        const object = await store.get(keys[i] as string);
        const t0 = performance.now();
        const parsed = JSON.parse(gunzipSync(object.body).toString('utf8')) as unknown[];
        const t1 = performance.now();
        rowsOfBatch(parsed, object.storedAt.getTime());
        const t2 = performance.now();
        segment.ours.sampleParseMs += t1 - t0;
        segment.ours.sampleRowsMs += t2 - t1;
        segment.ours.sampleEvents += parsed.length;
      }
      batchNumber += chunk.length;

      // The 2017 design, same bodies.
      if (oldPool && segment.ref2017) {
        oldCpu.start();
        for (const batch of chunk) {
          const t = performance.now();
          const timing = await load2017(oldPool, batch.batchId, batch.body);
          segment.ref2017.ms += performance.now() - t;
          segment.ref2017.prepareMs += timing.prepareMs;
          segment.ref2017.databaseMs += timing.databaseMs;
        }
        oldCpu.stop();
        segment.ref2017.events += chunkEvents;
      }
      loaded += chunkEvents;
      const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
      log(
        `${loaded} events loaded; segment so far: ours ${rate(segment.ours.events, segment.ours.ms)}/s` +
          (segment.ref2017 ? `, 2017 ${rate(segment.ref2017.events, segment.ref2017.ms)}/s` : ''),
      );
    }
    segment.ours.storeMs = storeMs;
    segment.ours.statements = statements.snapshot();
    segment.ours.nodeCpuS = oursCpu.node;
    Object.assign(segment.ours, pgSplit(oursCpu));
    if (segment.ref2017) {
      segment.ref2017.nodeCpuS = oldCpu.node;
      Object.assign(segment.ref2017, pgSplit(oldCpu));
    }

    // The machine's limit: COPY of the rows this segment added to our tables (events and chunks).
    if (copyClient && exportClient && segment.copy) {
      const last = checkpoint === opts.checkpoints[opts.checkpoints.length - 1];
      // Rows at the segment's last timestamp may still arrive in the next segment: leave them for it.
      const hi = last ? lastTs + 1000 : lastTs;
      await syncPartitions(exportClient, copyClient);
      for (const [wlo, whi] of dayWindows(exportedUpTo ?? firstTs, hi)) {
        const t = performance.now();
        const chunks = await exportEvents(exportClient, partitionKey, wlo, whi, opts.batch);
        segment.copy.exportMs += performance.now() - t;
        copyCpu.start();
        for (const chunk of chunks) {
          segment.copy.ms += await copyChunk(copyClient, 'events', chunk);
          segment.copy.events += countRows(chunk);
        }
        copyCpu.stop();
      }
      exportedUpTo = hi;
      // The bodies: a batch's worth of chunk rows per COPY.
      const t = performance.now();
      const bodies = await exportChunks(exportClient, chunksExported, Math.ceil(opts.batch / CHUNK_EVENTS));
      segment.copy.exportMs += performance.now() - t;
      chunksExported = bodies.upTo;
      copyCpu.start();
      for (const chunk of bodies.chunks) {
        const ms = await copyChunk(copyClient, 'event_chunks', chunk);
        segment.copy.ms += ms;
        segment.copy.chunksMs += ms;
        segment.copy.chunks += countRows(chunk);
      }
      copyCpu.stop();
      segment.copy.nodeCpuS = copyCpu.node;
      Object.assign(segment.copy, pgSplit(copyCpu));
      log(
        `COPY limit: ${segment.copy.events} events and ${segment.copy.chunks} chunks at ` +
          `${Math.round(segment.copy.events / (segment.copy.ms / 1000))} events/s`,
      );
    }
    segments.push(segment);

    // Checkpoint: maintenance, storage, then queries. A month of events arrives here in minutes, far
    // faster than autovacuum's pace, so do what it would have done by then: vacuum and analyze every
    // partition of our events and chunks, the dictionary and the batch table (timed and reported;
    // --no-vacuum measures the tables as loaded).
    const maintenance = await baseDb.withClient(async (client) => {
      const tables = await client.query<{ name: string; analyzed: boolean; events: boolean }>(
        `SELECT t.relid::regclass::text AS name, root = 'public.events'::regclass AS events,
                (s.last_autoanalyze IS NOT NULL OR s.last_analyze IS NOT NULL) AS analyzed
         FROM unnest(ARRAY['public.events', 'public.event_chunks', 'public.terms_dict', 'public.batches']::regclass[]) AS root
         CROSS JOIN LATERAL pg_partition_tree(root) t
         LEFT JOIN pg_stat_user_tables s ON s.relid = t.relid
         WHERE t.isleaf`,
      );
      const partitions = tables.rows.filter((row) => row.events);
      const t = performance.now();
      const vacuumCpu = new CpuMeter(pgCpu);
      vacuumCpu.start();
      if (opts.vacuum) for (const row of tables.rows) await client.query(`VACUUM (ANALYZE) ${row.name}`);
      vacuumCpu.stop();
      return {
        partitions: partitions.length,
        autoAnalyzed: partitions.filter((row) => row.analyzed).length,
        vacuumed: tables.rows.length,
        vacuumS: opts.vacuum ? (performance.now() - t) / 1000 : Number.NaN,
        ...(opts.vacuum && vacuumCpu.measuresPg ? { vacuumPgCpuS: pgCpuTotal(vacuumCpu.pg) } : {}),
      };
    });
    if (opts.exportOnly) {
      // --export-only: one checkpoint, the export beside paging and nothing else.
      exportComparison = await compareExport(oursUrl, firstTs, lastTs);
      segments.push(segment);
      continue;
    }
    log(`checkpoint ${loaded}: storage`);
    const storage = await baseDb.withClient(async (client) => {
      const c = client as unknown as pg.ClientBase;
      return {
        ours: {
          events: await tableSize(c, 'public.events'),
          chunks: await tableSize(c, 'public.event_chunks'),
          dictionary: await tableSize(c, 'public.terms_dict'),
          dictionaryFields: await dictionaryFields(c, 'public.terms_dict'),
          schema: await schemaSize(c, 'public'),
        },
      };
    });
    const copySize = copyClient
      ? {
          events: await tableSize(copyClient, 'public.events'),
          chunks: await tableSize(copyClient, 'public.event_chunks'),
        }
      : undefined;
    const oldSize = oldPool
      ? await (async () => {
          const client = await (oldPool as pg.Pool).connect();
          try {
            return await inheritedTableSize(client, 'public.events');
          } finally {
            client.release();
          }
        })()
      : undefined;
    const batchStore = await directorySize(join(dir, 'batches'));
    log(`checkpoint ${loaded}: queries`);
    const now = Math.ceil((lastTs + 60_000) / 1000) * 1000;
    const isLast = checkpoint === opts.checkpoints[opts.checkpoints.length - 1];
    const readerDb = new ReaderDb(queryDb);
    const queries = await runShapes(
      {
        db: queryDb,
        reader: createEventReader(readerDb.queryable),
        readerDb,
        now,
        random: new Random(opts.seed + checkpoint),
        samples,
      },
      { main: opts.runs, filter: opts.filterRuns },
      opts.warmup,
      opts.explains,
      isLast,
    );
    checkpoints.push({
      events: loaded,
      rawBytes,
      spanDays: (lastTs - firstTs) / DAY_MS,
      storage: {
        ...storage,
        batchStore,
        ...(oldSize ? { ref2017: oldSize } : {}),
        ...(copySize ? { copy: copySize } : {}),
      },
      maintenance,
      queries,
    });
    if (isLast) exportComparison = await compareExport(oursUrl, firstTs, lastTs);
    log(`checkpoint ${loaded} done`);
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
    },
    pg: { version, settings, embedded: server.embedded },
    code: { commit: codeCommit, dirty: changed.some((path) => !path.startsWith('bench/')), changed },
    options: {
      events: opts.events,
      checkpoints: opts.checkpoints.join('/'),
      seed: opts.seed,
      days: opts.days,
      batch: opts.batch,
      runs: opts.runs,
      filterRuns: opts.filterRuns,
      warmup: opts.warmup,
      explains: opts.explains,
      vacuum: opts.vacuum,
      loader: opts.sequential ? 'loadBatch, one at a time' : 'loadBatches (pipelined)',
      ...(opts.dropIndexes.length > 0 ? { dropped: opts.dropIndexes.join('/') } : {}),
    },
    data: {
      events: loaded,
      rawBytes,
      maxEventBytes,
      recipients: recipients.size,
      types: [...types].sort((a, b) => b[1] - a[1]),
      firstTs,
      lastTs,
      generateS: generateMs / 1000,
    },
    segments,
    checkpoints,
    wallS: (performance.now() - started) / 1000,
    ...(exportComparison ? { exportComparison } : {}),
  };

  const svgPath = resolve(ROOT, opts.svg);
  const outPath = resolve(ROOT, opts.out);
  await mkdir(dirname(outPath), { recursive: true });
  await mkdir(dirname(svgPath), { recursive: true });
  const svgRef = svgPath.startsWith(dirname(outPath)) ? svgPath.slice(dirname(outPath).length + 1) : svgPath;
  if (opts.exportOnly && exportComparison) {
    const text = exportOnlyMarkdown(report, exportComparison);
    await writeFile(outPath, `${text}\n`);
    process.stdout.write(`${text}\n`);
    log(`wrote ${outPath}`);
  } else {
    await writeFile(outPath, `${markdown(report, true, svgRef)}\n`);
    await writeFile(svgPath, chartSvg(report));
    process.stdout.write(`${markdown(report, false, svgRef)}\n`);
    log(`wrote ${outPath} and ${svgPath}`);
  }
  if (opts.json) await writeFile(resolve(ROOT, opts.json), reportToJson(report));

  await baseDb.end();
  await queryDb.end();
  await oldPool?.end();
  await copyClient?.end();
  await exportClient?.end();
  if (!opts.keep) {
    await admin.query(`DROP DATABASE IF EXISTS ${oursName} WITH (FORCE)`);
    if (opts.with2017) await admin.query(`DROP DATABASE IF EXISTS ${oldName} WITH (FORCE)`);
    if (opts.withCopy) await admin.query(`DROP DATABASE IF EXISTS ${copyName} WITH (FORCE)`);
  }
  await admin.end();
  cleanups.length = 0;
  await server.stop();
  if (!opts.keep) await rm(dir, { recursive: true, force: true });
  else log(`kept ${dir}`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
