import { mkdtemp, rm } from 'node:fs/promises';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createApp } from '../../src/app';
import { batchObjectKey } from '../../src/core/batch-key';
import { loadBatch } from '../../src/core/load-batch';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import { logger } from '../../src/handlers/lambda';
import { createQueryEventsHandler } from '../../src/handlers/query-events';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { createHttpServer } from '../../src/local/server';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { type Element, fixture, inner, lambdaEvent } from '../helpers/fixtures';

/**
 * Lambda refuses a synchronous response whose serialized form passes 6,291,556 bytes (the exact figure
 * of its error "Response payload size exceeded maximum allowed payload size"). A page of 10,000
 * realistic events (~1.2 KB each, ~12 MB) must still answer: the core cuts the page (fewer results,
 * total_count unchanged, links continuing after the last result), and gzip shrinks what travels.
 * Through the query handler as deployed (API Gateway v2 events, the real handler, a real database),
 * and through the local server.
 */
const LAMBDA_RESPONSE_LIMIT = 6_291_556;
const EVENTS = 10_000;
const DAY = '2017-08-01';
const API_KEY = 'change-me-api-key';

beforeAll(() => logger.powertools.setLogLevel('SILENT'));

/** Real 2017 events of four types, made distinct and padded with metadata to about 1.2 KB each. */
function realisticBatch(from: number, count: number): Element[] {
  const real = fixture<Element[]>('webhook-real-batch-2017.json').filter((element) =>
    ['delivery', 'open', 'click', 'bounce'].includes(inner(element).type as string),
  );
  const start = Date.parse(`${DAY}T00:00:00Z`);
  return Array.from({ length: count }, (_, offset) => {
    const n = from + offset;
    const model = real[n % real.length] as Element;
    const [category] = Object.keys(model.msys) as [string];
    const id = String(9_000_000_000_000_000_000n + BigInt(n));
    const event: Record<string, unknown> = {
      ...inner(model),
      event_id: id,
      // 8 s apart: the 10,000 events fill most of one day.
      timestamp: String(Math.floor(start / 1000) + n * 8),
      rcpt_to: `customer.${n}@example.com`,
      raw_rcpt_to: `customer.${n}@example.com`,
      message_id: `000443ee14578172be${n.toString(16).padStart(8, '0')}`,
      rcpt_tags: ['newsletter', 'august', `segment-${n % 7}`],
    };
    const size = () => JSON.stringify({ msys: { [category]: event } }).length;
    event.rcpt_meta = { customer_id: `cust-${n}`, plan: 'pro', note: '' };
    const note = 'Thank you for your order — "quoted" details follow. '.repeat(20);
    (event.rcpt_meta as Record<string, string>).note = note.slice(0, Math.max(0, 1200 - size()));
    return { msys: { [category]: event } } as Element;
  });
}

let database: TestDatabase;
let dir: string;
let ids: string[];

beforeAll(async () => {
  [database, dir] = await Promise.all([
    createTestDatabase(),
    mkdtemp(join(tmpdir(), 'sparkpost-event-db-response-size-')),
  ]);
  const store = dirBatchStore(dir);
  const deps = { store, events: createEventStore(database.db), logger: silentLogger };
  ids = [];
  for (let b = 0; b < EVENTS / 1000; b += 1) {
    const batch = realisticBatch(b * 1000, 1000);
    ids.push(...batch.map((element) => inner(element).event_id as string));
    const key = batchObjectKey(`size-${b}`);
    await store.putIfAbsent(key, gzipSync(JSON.stringify(batch)));
    expect(await loadBatch(key, deps)).toMatchObject({ status: 'loaded', inserted: 1000 });
  }
  ids.sort();
});
afterAll(async () => {
  await Promise.all([database?.drop(), rm(dir, { recursive: true, force: true })]);
});

describe('a 10,000-event page through the Lambda query handler', () => {
  const handler = () =>
    createQueryEventsHandler({
      reader: createEventReader(database.db),
      now: Date.now,
      auth: { disabled: false, apiKeys: [API_KEY] },
      logger: silentLogger,
    });

  /** A GET as API Gateway delivers it. */
  function apiEvent(pathAndQuery: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
    const sample = lambdaEvent<APIGatewayProxyEventV2>('query-events.json');
    const [path = '', query = ''] = pathAndQuery.split('?');
    return {
      ...sample,
      rawPath: path,
      rawQueryString: query,
      queryStringParameters: Object.fromEntries(new URLSearchParams(query)),
      headers: { ...sample.headers, authorization: API_KEY, ...headers },
      requestContext: {
        ...sample.requestContext,
        http: { ...sample.requestContext.http, path },
      },
    };
  }

  /** What Lambda would serialize, checked against its limit, and the page it carries. */
  function answered(result: APIGatewayProxyStructuredResultV2) {
    expect(result.statusCode).toBe(200);
    const serialized = Buffer.byteLength(JSON.stringify(result));
    expect(serialized).toBeLessThanOrEqual(LAMBDA_RESPONSE_LIMIT);
    const text = result.isBase64Encoded
      ? gunzipSync(Buffer.from(result.body as string, 'base64')).toString('utf8')
      : (result.body as string);
    return { serialized, page: JSON.parse(text) };
  }

  it('Events API: each page is cut under the limit, total_count stays 10,000, and links.next reaches every event once', async () => {
    const query = handler();
    let next: string | undefined =
      `/api/v1/events/message?from=${DAY}T00:00:00Z&to=2017-08-02T00:00:00Z&per_page=10000`;
    const seen: string[] = [];
    const sizes: number[] = [];
    while (next) {
      const { serialized, page } = answered(await query(apiEvent(next)));
      expect(page.total_count).toBe(EVENTS);
      expect(page.results.length).toBeGreaterThan(0);
      // Near the limit, never over it: a page holds as much as fits.
      sizes.push(serialized);
      seen.push(...page.results.map((event: { event_id: string }) => event.event_id));
      next = page.links.next;
      if (next) expect(next).toContain('per_page=10000');
    }
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThan(5_000_000);
    expect(seen.length).toBe(EVENTS);
    expect([...seen].sort()).toEqual(ids);
  });

  it('gzip when the client accepts it: base64 for API Gateway, the same page, a fraction of the size', async () => {
    const query = handler();
    const path = `/api/v1/events/message?from=${DAY}T00:00:00Z&to=2017-08-02T00:00:00Z&per_page=10000`;
    const plain = await query(apiEvent(path));
    const zipped = await query(apiEvent(path, { 'accept-encoding': 'gzip, deflate, br' }));
    expect(plain.isBase64Encoded).toBe(false);
    expect(plain.headers?.['content-encoding']).toBeUndefined();
    expect(zipped.isBase64Encoded).toBe(true);
    expect(zipped.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'accept-encoding' });
    const a = answered(plain);
    const b = answered(zipped);
    expect(b.page).toEqual(a.page);
    expect(b.serialized * 4).toBeLessThan(a.serialized);
    // gzip refused explicitly: plain again.
    expect((await query(apiEvent(path, { 'accept-encoding': 'gzip;q=0, identity' }))).isBase64Encoded).toBe(
      false,
    );
  });

  it('legacy Message Events API: a cut page answers in a smaller per_page whose links continue exactly', async () => {
    const query = handler();
    let next: string | undefined =
      `/api/v1/message-events?from=${DAY}T00:00&to=2017-08-02T00:00&per_page=10000`;
    const seen: string[] = [];
    let pages = 0;
    while (next) {
      const { page } = answered(await query(apiEvent(next, { 'accept-encoding': 'gzip' })));
      pages += 1;
      expect(page.total_count).toBe(EVENTS);
      seen.push(...page.results.map((event: { event_id: string }) => event.event_id));
      next = page.links.find((link: { rel: string }) => link.rel === 'next')?.href;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBe(EVENTS);
    expect([...seen].sort()).toEqual(ids);
  });
});

describe('the local server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = createApp({
      logger: silentLogger,
      query: {
        reader: createEventReader(database.db),
        now: Date.now,
        auth: { disabled: false, apiKeys: [API_KEY] },
      },
    });
    server = createHttpServer(app, { maxBodyBytes: 1024 * 1024, logger: silentLogger });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A raw GET (no automatic decompression), with the bytes as they came over the wire. */
  function raw(path: string, headers: Record<string, string>) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
      (resolve, reject) => {
        get(`${base}${path}`, { headers: { authorization: API_KEY, ...headers } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
        }).on('error', reject);
      },
    );
  }

  it('cuts the same page and gzips it when asked', async () => {
    const path = `/api/v1/events/message?from=${DAY}T00:00:00Z&to=2017-08-02T00:00:00Z&per_page=10000`;
    const plain = await raw(path, {});
    const zipped = await raw(path, { 'accept-encoding': 'gzip' });
    expect([plain.status, zipped.status]).toEqual([200, 200]);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const page = JSON.parse(plain.body.toString('utf8'));
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(page);
    expect(page.total_count).toBe(EVENTS);
    expect(page.results.length).toBeLessThan(EVENTS);
    expect(plain.body.length).toBeLessThan(LAMBDA_RESPONSE_LIMIT);
  });
});
