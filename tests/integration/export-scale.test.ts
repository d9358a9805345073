import { spawn } from 'node:child_process';
import { type IncomingMessage, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rowsOfBatch } from '../../src/core/events/rows';
import { DAY_MS } from '../../src/core/time';
import { createEventStore } from '../../src/db/event-store';
import { STREAM_APPLICATION_NAME } from '../../src/db/pool';
import { waitFor } from '../helpers/logs';
import { makeEvent } from '../helpers/make-events';
import { startTestService, type TestService } from '../helpers/service';

/**
 * The export at volume: 120,000 events of about 1.2 KB (some 140 MB of NDJSON) exported whole with the
 * exporting process's memory bounded (its peak RSS well under the body's size, and the heap it keeps
 * alive flat); a client that goes away mid-export stops the query (the cursor's
 * backend leaves pg_stat_activity); a database that fails midway ends the body with the documented
 * error line, and the service goes on answering. Set EXPORT_MEMORY=1 to print the memory figures (the
 * assertions are generous bounds, never timings).
 */
jest.setTimeout(240_000);

const EVENTS = 120_000;
const FROM = Date.UTC(2025, 4, 10);
const WINDOW = 'from=2025-05-10T00:00:00Z&to=2025-05-11T00:00:00Z';
const API_KEY = 'test-api-key';
const EXPORT = '/api/v1/events/message/export';
const TSX = pathToFileURL(require.resolve('tsx')).href;

let t: TestService;

/** Event i: realistic fields (metadata, tags, a user agent, geo), about 1.2 KB as the Events API shapes it. */
function element(i: number) {
  const type = i % 40 === 0 ? 'bounce' : i % 3 === 0 ? 'open' : 'delivery';
  return makeEvent({
    ts: FROM + Math.floor((i * (DAY_MS - 60_000)) / EVENTS),
    id: `scale-${String(i).padStart(7, '0')}`,
    type,
    rcpt: `user${i % 20_000}@domain${i % 300}.example`,
    fields: {
      friendly_from: `news@brand${i % 50}.example`,
      subject: `Your offer ${i % 400} of week ${i % 52} — don't miss it`,
      campaign_id: `campaign-${i % 120}`,
      template_id: `template_${i % 60}`,
      sending_ip: `10.2.${i % 100}.${i % 7}`,
      ip_pool: `pool_${i % 20}`,
      subaccount_id: String(i % 5),
      injection_time: new Date(FROM + i * 700 - 1500).toISOString(),
      msg_size: String(1000 + (i % 5000)),
      user_agent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120',
      geo_ip: { country: 'US', region: 'MD', city: 'Columbia', latitude: 39.1, longitude: -76.8 },
      rcpt_tags: ['newsletter', `segment-${i % 10}`],
      rcpt_meta: {
        customer: `c${i % 1000}`,
        plan: { tier: i % 2 ? 'gold' : 'silver' },
        note: `n${i}`,
        preferences: `weekly digest, product news, offers for region ${i % 80}; `.repeat(6),
      },
      ...(type === 'bounce' ? { bounce_class: '10', reason: '550 5.1.1 mailbox unavailable' } : {}),
    },
  });
}

beforeAll(async () => {
  t = await startTestService();
  const store = createEventStore(t.database.db);
  const BATCH = 6000;
  for (let start = 0; start < EVENTS; start += BATCH) {
    const { rows, skipped } = rowsOfBatch(
      Array.from({ length: BATCH }, (_, k) => element(start + k)),
      0,
    );
    await store.load({
      batchId: `scale-${start}`,
      objectKey: `batches/scale-${start}.json.gz`,
      receivedAt: new Date(),
      rows,
      skipped,
    });
  }
  await t.database.db.query('ANALYZE events');
});
afterAll(async () => {
  await t?.stop();
});

/** The export's backends on the test database (the cursor's connection is named for it). */
async function exportBackends(): Promise<number[]> {
  const result = await t.database.db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
    [STREAM_APPLICATION_NAME],
  );
  return result.rows.map((row) => row.pid);
}

/** Runs the memory probe (tests/helpers/export-memory.ts) in a process of its own. */
function memoryProbe(
  query: string,
  acceptEncoding = '',
  mode = 'peak',
): Promise<Record<string, number | string | boolean | null>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        TSX,
        join(__dirname, '..', 'helpers', 'export-memory.ts'),
        t.database.connectionString,
        query,
        acceptEncoding,
        mode,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
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
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`memory probe exited ${code}: ${stderr}`));
      else {
        const result = JSON.parse(stdout);
        if (process.env.EXPORT_MEMORY) process.stderr.write(`${query} ${acceptEncoding}: ${stdout}`);
        resolve(result);
      }
    });
  });
}

const MB = 1_000_000;

describe('memory stays bounded whatever the export’s size', () => {
  it('exports all 120,000 events as NDJSON with a peak RSS growth far below the body’s size', async () => {
    const result = await memoryProbe(WINDOW);
    expect(result).toMatchObject({ lines: EVENTS, endsWithNewline: true, contentEncoding: null });
    // Holding the body (or its events) would take more than the bound.
    expect(result.bytes as number).toBeGreaterThan(130 * MB);
    expect(result.rssGrowth as number).toBeLessThan(130 * MB);
  });

  it('keeps no more alive as it goes: the heap left after each collection stays flat', async () => {
    const result = await memoryProbe(WINDOW, '', 'retained');
    expect(result.lines).toBe(EVENTS);
    expect(result.retainedGrowth as number).toBeLessThan(40 * MB);
  });

  it('gzipped CSV, with the same bound', async () => {
    const result = await memoryProbe(`${WINDOW}&format=csv`, 'gzip');
    expect(result.contentEncoding).toBe('gzip');
    expect(result.bytes as number).toBeGreaterThan(MB);
    expect(result.rssGrowth as number).toBeLessThan(130 * MB);
  });
});

/** Starts an export and resolves with its response once the first part of the body has arrived. */
function startExport(
  query: string,
): Promise<{ response: IncomingMessage; first: Buffer; abort: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.service.url}${EXPORT}?${query}`,
      { headers: { authorization: API_KEY } },
      (response) => {
        response.once('data', (first: Buffer) => {
          response.pause();
          resolve({ response, first, abort: () => req.destroy() });
        });
        response.once('error', () => undefined);
      },
    );
    req.once('error', (error) => {
      if ((error as { code?: string }).code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}

/** The rest of a paused response's body, with what came already. */
function rest(response: IncomingMessage, first: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts = [first];
    response.on('data', (part: Buffer) => parts.push(part));
    response.once('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    response.once('error', reject);
    response.resume();
  });
}

describe('a client that goes away', () => {
  it('stops the query: the cursor closes and its backend leaves pg_stat_activity', async () => {
    expect(await exportBackends()).toEqual([]);
    const { first, abort } = await startExport(WINDOW);
    expect(first.toString('utf8')).toMatch(/^\{"/);
    expect(await exportBackends()).toHaveLength(1);
    abort();
    await waitFor(async () => (await exportBackends()).length === 0, 15_000);
    expect(await exportBackends()).toEqual([]);
    // The service answers as before.
    const after = await t.get(`/api/v1/events/message?${WINDOW}&per_page=1`);
    expect(after.status).toBe(200);
  });
});

describe('the database failing midway', () => {
  it.each([
    ['ndjson', ''],
    ['csv', '&format=csv'],
  ])('%s: the events so far, then the documented error line, and no stack trace', async (format, extra) => {
    const { response, first } = await startExport(`${WINDOW}${extra}`);
    expect(response.statusCode).toBe(200);
    const [pid] = await exportBackends();
    expect(pid).toBeDefined();
    await t.database.db.query('SELECT pg_terminate_backend($1)', [pid]);
    const body = await rest(response, first);
    const lines = body.split(format === 'csv' ? '\r\n' : '\n').filter((line) => line !== '');
    const last = lines.at(-1) as string;
    expect(lines.length).toBeLessThan(EVENTS);
    expect(body).not.toMatch(/\bat \S+ \(|node:internal|\.ts:\d+/);
    if (format === 'ndjson') {
      for (const line of lines.slice(0, -1)) expect(JSON.parse(line)).toHaveProperty('event_id');
      expect(JSON.parse(last)).toEqual({
        errors: [
          {
            message: 'Service unavailable',
            description: `The export stopped after ${lines.length - 1} events: the lines above are complete events, the export is not`,
            code: '1501',
          },
        ],
      });
    } else {
      expect(last).toBe(
        `#error,"Service unavailable: The export stopped after ${lines.length - 2} events: the lines above are complete events, the export is not",1501`,
      );
    }
    expect(await exportBackends()).toEqual([]);
    const after = await t.get(`/api/v1/events/message?${WINDOW}&per_page=1`);
    expect(after.status).toBe(200);
  });
});
