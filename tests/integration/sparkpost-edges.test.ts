import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TEST_BATCH_ID } from '../../src/core/batch-key';
import { loadBatch, pendingKeys } from '../../src/core/load-batch';
import { createEventStore } from '../../src/db/event-store';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { type Element, fixture } from '../helpers/fixtures';
import { type LogLine, recordingLogger } from '../helpers/logs';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * The edges where SparkPost's clients and SparkPost itself meet the local service as `npm start` runs
 * it: requests Node cannot parse, browsers, SparkPost's "Send Test Batch", and batches over the limit.
 */
let t: TestService;
const lines: LogLine[] = [];
const MAX_BATCH_BYTES = 4096;

beforeAll(async () => {
  t = await startTestService(
    { CORS_ORIGINS: 'https://reports.example.com', MAX_BATCH_BYTES: String(MAX_BATCH_BYTES) },
    { logger: recordingLogger({}, lines) },
  );
});
afterAll(async () => {
  await t.stop();
});

/** A raw GET with the test API key, as a client that sends what fetch would refuse to. */
function rawGet(path: string, headers: Record<string, string> = {}) {
  const url = new URL(t.service.url);
  return new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, headers: { authorization: 'test-api-key', ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe("requests too large for the server to parse get SparkPost error bodies, not Node's bare 431", () => {
  it("answers a 20 KB URI like any URI over SparkPost's 4096 characters: 404, code 1103", async () => {
    const response = await rawGet(`/api/v1/events/message?recipients=${'x'.repeat(20_000)}`);
    expect(response.status).toBe(404);
    expect(response.type).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: 'URI too long', description: expect.any(String), code: '1103' }],
    });
  });

  it("answers a 20 KB header block 431 in SparkPost's error shape", async () => {
    const response = await rawGet('/api/v1/events/message', { 'x-padding': 'y'.repeat(20_000) });
    expect(response.status).toBe(431);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: 'Request header fields too large', description: expect.any(String), code: '1300' }],
    });
  });
});

describe('CORS_ORIGINS on the local server', () => {
  it("answers a listed origin's preflight with the methods and the Authorization header, and marks its answers", async () => {
    const preflight = await fetch(`${t.service.url}/api/v1/events/message`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://reports.example.com',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://reports.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    const get = await fetch(`${t.service.url}/api/v1/events/message/documentation`, {
      headers: { origin: 'https://reports.example.com' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe('https://reports.example.com');
  });

  it("answers another origin's preflight 403, as SparkPost answers every browser", async () => {
    const preflight = await fetch(`${t.service.url}/api/v1/events/message`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(403);
    expect((await json(preflight)).errors[0].code).toBe('1100');
  });
});

describe('SparkPost\'s "Send Test Batch" (batch id 77c2b630-…, 2web2ui TestTab.js L40)', () => {
  const samples = fixture<Element[]>('webhook-samples-2020.json');
  const delivery = samples.find((element) => element.msys.message_event?.type === 'delivery') as Element;

  it('answers 200, keeps the raw batch, loads none of its events, and says so in the log', async () => {
    const body = JSON.stringify([delivery]);
    const response = await t.postBatch(body, { batchId: TEST_BATCH_ID });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ results: { batch_id: TEST_BATCH_ID, test: true } });
    // Sent again (every test has the same id): 200 again, kept once.
    expect((await t.postBatch(body, { batchId: TEST_BATCH_ID })).status).toBe(200);
    await t.loaded();

    const kept = await readdir(join(t.dataDir, 'batches', 'test'));
    expect(kept).toEqual([expect.stringMatching(new RegExp(`^${TEST_BATCH_ID}-[0-9a-f]{16}\\.json\\.gz$`))]);
    const events = await t.database.db.query('SELECT count(*)::int AS n FROM events');
    const batches = await t.database.db.query('SELECT count(*)::int AS n FROM batches');
    expect([events.rows[0]?.n, batches.rows[0]?.n]).toEqual([0, 0]);
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'test batch received; kept, not loaded', batchId: TEST_BATCH_ID }),
    );
  });
  it('is never loaded, nor pending, even when the loader is handed its key (S3 ObjectCreated on AWS)', async () => {
    const store = dirBatchStore(t.dataDir);
    const events = createEventStore(t.database.db);
    const [name] = await readdir(join(t.dataDir, 'batches', 'test'));
    const outcome = await loadBatch(`batches/test/${name}`, { store, events, logger: recordingLogger() });
    expect(outcome).toEqual({ status: 'ignored', reason: expect.stringContaining('Send Test Batch') });
    expect(await pendingKeys({ store, events })).toEqual([]);
  });
});

describe('batches over MAX_BATCH_BYTES: 413, logged with the batch id (SparkPost retries 8 h, then drops)', () => {
  it('refuses a gzip body whose decompressed size is over the limit (a gzip bomb), and logs its batch id', async () => {
    const big = JSON.stringify([{ msys: { message_event: { type: 'delivery', pad: 'z'.repeat(50_000) } } }]);
    const compressed = gzipSync(big);
    expect(compressed.length).toBeLessThan(MAX_BATCH_BYTES);
    const response = await t.postBatch(compressed, {
      batchId: 'too-large-gzip',
      headers: { 'content-encoding': 'gzip' },
    });
    expect(response.status).toBe(413);
    expect((await json(response)).errors[0].message).toBe('Payload too large');
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'batch refused: too large', batchId: 'too-large-gzip' }),
    );
  });

  it('logs the batch id of a body refused while streaming, before the app reads it', async () => {
    const response = await t.postBatch('x'.repeat(MAX_BATCH_BYTES + 1), { batchId: 'too-large-plain' });
    expect(response.status).toBe(413);
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'batch refused: too large', batchId: 'too-large-plain' }),
    );
  });
});
