import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { hash64 } from '../../src/core/events/codes';
import { type Element, fixture, fixtureText, inner } from '../helpers/fixtures';
import { makeBatch, makeEvent } from '../helpers/make-events';
import { basic, json, startTestService, type TestService, WEBHOOK_USER } from '../helpers/service';

/**
 * The whole local pipeline as `npm start` runs it: HTTP webhook → batch folder → in-process loader →
 * partitioned PostgreSQL → Events API over HTTP.
 */
let t: TestService;

beforeAll(async () => {
  t = await startTestService();
});
afterAll(async () => {
  await t.stop();
});

async function storedBatchFiles(): Promise<string[]> {
  try {
    return await readdir(join(t.dataDir, 'batches'));
  } catch {
    return [];
  }
}

async function rowCount(where = 'true', values: unknown[] = []): Promise<number> {
  const result = await t.database.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM events WHERE ${where}`,
    values,
  );
  return Number(result.rows[0]?.n);
}

describe('webhook → store → loader → partitions', () => {
  it('lands every 2016 sample event type in its day partition with its columns filled', async () => {
    const samples = fixture<Element[]>('webhook-samples-2016.json');
    const response = await t.postBatch(fixtureText('webhook-samples-2016.json'), { batchId: 'samples-2016' });
    expect(response.status).toBe(200);
    await t.loaded();

    const rows = await t.database.db.query<{
      partition: string;
      ts: Date;
      event_id: string;
      type: string;
      codes: string[];
      hashes: string[];
      reason: string | null;
      chunk_partition: string;
    }>(
      `SELECT e.tableoid::regclass::text AS partition, e.ts, e.event_id, e.type, e.reason,
              ARRAY(SELECT d.field || '=' || d.value FROM terms_dict d WHERE d.id = ANY(e.codes)) AS codes,
              e.hcodes::text[] AS hashes,
              (SELECT c.tableoid::regclass::text FROM event_chunks c WHERE c.chunk_id = e.chunk) AS chunk_partition
       FROM events e WHERE e.ts >= '2016-02-02' AND e.ts < '2016-02-03'`,
    );
    expect(rows.rows).toHaveLength(samples.length);
    for (const element of samples) {
      const event = inner(element);
      const row = rows.rows.find((r) => r.type === event.type);
      expect(row).toBeDefined();
      if (!row) continue;
      expect(row.partition).toBe('events_20160202');
      expect(row.chunk_partition).toBe('event_chunks_20160202');
      expect(row.ts.toISOString()).toBe('2016-02-02T19:50:00.000Z');
      if (typeof event.event_id === 'string') expect(row.event_id).toBe(event.event_id);
      else expect(row.event_id).toMatch(/^sha256:[0-9a-f]{40}$/);
      expect(row.codes).toContain(`t=${event.type}`);
      if (typeof event.rcpt_to === 'string') {
        expect(row.hashes).toContain(hash64('r', event.rcpt_to.toLowerCase()));
      }
      if (typeof event.message_id === 'string') expect(row.hashes).toContain(hash64('m', event.message_id));
      if (typeof event.subaccount_id === 'string') expect(row.codes).toContain(`s=${event.subaccount_id}`);
      expect(row.reason).toBe(typeof event.reason === 'string' ? event.reason : null);
    }
    // The original elements are kept whole: the API returns each as received (its timestamp reformatted),
    // plus only the fields SparkPost's Events API derives (recipient_domain, sending_domain, subaccount_id).
    // Relay events are stored but, as at SparkPost, not served by the message search.
    const served = samples.filter((e) => !String(inner(e).type).startsWith('relay_'));
    expect(served.length).toBeLessThan(samples.length);
    const api = await json(
      await t.get(
        '/api/v1/events/message?from=2016-02-02T00:00:00Z&to=2016-02-03T00:00:00Z&events=' +
          served.map((e) => inner(e).type).join(','),
      ),
    );
    expect(api.results).toHaveLength(served.length);
    for (const element of served) {
      const event = inner(element);
      const returned = api.results.find((result: { type: string }) => result.type === event.type);
      const added = Object.keys(returned).filter((key) => !(key in event));
      expect(Object.keys(returned).filter((key) => key in event)).toEqual(Object.keys(event));
      for (const key of added) expect(['recipient_domain', 'sending_domain', 'subaccount_id']).toContain(key);
    }
  });

  it('accepts timestamp as a numeric string (real 2017 batch) and as a number (2016 samples)', async () => {
    const real = fixture<Element[]>('webhook-real-batch-2017.json');
    expect(typeof inner(real[0] as Element).timestamp).toBe('string');
    const response = await t.postBatch(fixtureText('webhook-real-batch-2017.json'), { batchId: 'real-2017' });
    expect(response.status).toBe(200);
    await t.loaded();
    for (const element of real) {
      const event = inner(element);
      const expected = new Date(Number(event.timestamp) * 1000);
      const found = await rowCount('event_id = $1 AND ts = $2', [event.event_id, expected]);
      expect(found).toBe(1);
    }
  });

  it('answers the ping batch with 200 and stores nothing', async () => {
    const before = await storedBatchFiles();
    const response = await t.postBatch(fixtureText('webhook-validation.json'), {
      batchId: '77c2b630-d712-11e4-9642-efc2723b99c1',
    });
    expect(response.status).toBe(200);
    expect(await storedBatchFiles()).toEqual(before);
    const batches = await t.database.db.query(
      "SELECT 1 FROM batches WHERE batch_id = '77c2b630-d712-11e4-9642-efc2723b99c1'",
    );
    expect(batches.rowCount).toBe(0);
  });

  it('answers a batch posted three times with 200 each time and stores its events once', async () => {
    const body = JSON.stringify(makeBatch(20, Date.UTC(2025, 0, 10, 12), 'thrice-'));
    for (let i = 0; i < 3; i += 1) {
      const response = await t.postBatch(body, { batchId: 'batch-thrice' });
      expect(response.status).toBe(200);
    }
    await t.loaded();
    expect(await rowCount("event_id LIKE 'thrice-%'")).toBe(20);
    expect((await storedBatchFiles()).filter((name) => name.startsWith('batch-thrice'))).toHaveLength(1);
  });

  it('derives the batch id from the body when the header is missing, so a retry is still one batch', async () => {
    const body = JSON.stringify(makeBatch(5, Date.UTC(2025, 0, 11, 12), 'noheader-'));
    expect((await t.postBatch(body)).status).toBe(200);
    expect((await t.postBatch(body)).status).toBe(200);
    await t.loaded();
    expect(await rowCount("event_id LIKE 'noheader-%'")).toBe(5);
  });

  it('keeps one row for an event that arrives in two different batches, and counts the duplicate', async () => {
    const shared = makeEvent({ ts: Date.UTC(2025, 0, 12, 8), id: 'shared-1' });
    const a = [shared, makeEvent({ ts: Date.UTC(2025, 0, 12, 8), id: 'only-a' })];
    const b = [makeEvent({ ts: Date.UTC(2025, 0, 12, 9), id: 'only-b' }), shared];
    expect((await t.postBatch(JSON.stringify(a), { batchId: 'two-batches-a' })).status).toBe(200);
    expect((await t.postBatch(JSON.stringify(b), { batchId: 'two-batches-b' })).status).toBe(200);
    await t.loaded();
    expect(await rowCount("event_id = 'shared-1'")).toBe(1);
    expect(await rowCount("event_id IN ('only-a', 'only-b')")).toBe(2);
    const counts = await t.database.db.query<{ inserted_count: number; duplicate_count: number }>(
      "SELECT inserted_count, duplicate_count FROM batches WHERE batch_id = 'two-batches-b'",
    );
    expect(counts.rows[0]).toEqual({ inserted_count: 1, duplicate_count: 1 });
  });

  it('splits a batch spanning midnight UTC across two day partitions', async () => {
    const midnight = Date.UTC(2025, 5, 1);
    const batch = makeBatch(10, midnight - 5000, 'midnight-');
    expect((await t.postBatch(JSON.stringify(batch), { batchId: 'midnight' })).status).toBe(200);
    await t.loaded();
    const partitions = await t.database.db.query<{ partition: string; n: string }>(
      "SELECT tableoid::regclass::text AS partition, count(*) AS n FROM events WHERE event_id LIKE 'midnight-%' GROUP BY 1 ORDER BY 1",
    );
    expect(partitions.rows).toEqual([
      { partition: 'events_20250531', n: '5' },
      { partition: 'events_20250601', n: '5' },
    ]);
  });
});

describe('bad webhook requests', () => {
  it('refuses invalid JSON with 400 in SparkPost error shape and stores nothing', async () => {
    const before = await storedBatchFiles();
    const response = await t.postBatch('[{"msys": {"message_event": ', { batchId: 'broken-json' });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body).toEqual({
      errors: [expect.objectContaining({ message: 'Invalid JSON body', code: expect.any(String) })],
    });
    expect(await storedBatchFiles()).toEqual(before);
  });

  it('refuses a JSON body that is not an array with 400', async () => {
    const response = await t.postBatch('{"msys":{}}', { batchId: 'not-array' });
    expect(response.status).toBe(400);
    expect((await json(response)).errors[0].message).toBe('Invalid batch');
  });

  it.each([
    ['a wrong password', basic(WEBHOOK_USER, 'wrong')],
    ['a wrong user name', basic('someone', 'webhook-secret')],
    ['no credentials', null],
    ['a malformed header', 'Basic !!!'],
  ])('refuses %s with 401 and stores nothing', async (_label, auth) => {
    const before = await storedBatchFiles();
    const response = await t.postBatch(JSON.stringify(makeBatch(1, Date.UTC(2025, 0, 1), 'unauth-')), {
      batchId: 'unauth',
      auth,
    });
    expect(response.status).toBe(401);
    expect((await json(response)).errors[0].message).toBe('Unauthorized.');
    expect(await storedBatchFiles()).toEqual(before);
  });

  it('refuses a body over the size limit with 413', async () => {
    const big = `[${' '.repeat(10 * 1024 * 1024)}]`;
    const response = await t.postBatch(big, { batchId: 'too-big' });
    expect(response.status).toBe(413);
  });

  it('answers unknown paths with 404 and wrong methods with 405, both in SparkPost error shape', async () => {
    const missing = await t.get('/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect((await json(missing)).errors[0].message).toBeDefined();
    const wrongMethod = await fetch(`${t.service.url}/webhook`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('GET /api/v1/events/message', () => {
  const window = 'from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z';

  beforeAll(async () => {
    const start = Date.UTC(2024, 2, 1, 6);
    const batch = makeBatch(250, start, 'page-', 60_000).map((element, i) =>
      i % 5 === 0
        ? makeEvent({
            ts: start + i * 60_000,
            id: `page-${String(i).padStart(6, '0')}`,
            type: 'bounce',
            rcpt: 'bounce-me@example.com',
          })
        : element,
    );
    expect((await t.postBatch(JSON.stringify(batch), { batchId: 'paging' })).status).toBe(200);
    await t.loaded();
  });

  it('returns SparkPost shape: results in the Events API representation, total_count and links', async () => {
    const response = await t.get(`/api/v1/events/message?${window}&per_page=2`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual(['links', 'results', 'total_count']);
    expect(body.total_count).toBe(250);
    expect(body.results).toHaveLength(2);
    const [first] = body.results;
    expect(first.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(first.customer_id).toBe(1);
    expect(body.links.next).toMatch(/^\/api\/v1\/events\/message\?/);
  });

  it('filters by events and recipients', async () => {
    const byType = await json(await t.get(`/api/v1/events/message?${window}&events=bounce`));
    expect(byType.total_count).toBe(50);
    expect(byType.results.every((event: { type: string }) => event.type === 'bounce')).toBe(true);
    const byRecipient = await json(
      await t.get(
        `/api/v1/events/message?${window}&recipients=BOUNCE-ME@example.com,user-nobody@example.com`,
      ),
    );
    expect(byRecipient.total_count).toBe(50);
    const both = await json(
      await t.get(`/api/v1/events/message?${window}&events=delivery&recipients=bounce-me@example.com`),
    );
    expect(both.total_count).toBe(0);
    expect(both.links).toEqual({});
  });

  it('splits list parameters on a custom delimiter', async () => {
    const body = await json(
      await t.get(`/api/v1/events/message?${window}&delimiter=;&events=bounce;delivery`),
    );
    expect(body.total_count).toBe(250);
  });

  it('pages with the cursor: every match exactly once, newest first, even while new events arrive', async () => {
    const seen: string[] = [];
    const times: number[] = [];
    let next: string | undefined = `/api/v1/events/message?${window}&per_page=40`;
    let pages = 0;
    while (next) {
      const response = await t.get(next);
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body.total_count).toBeGreaterThanOrEqual(250);
      for (const event of body.results) {
        seen.push(event.event_id);
        times.push(Date.parse(event.timestamp));
      }
      next = body.links.next;
      pages += 1;
      if (pages === 1) {
        // A newer event and an older one arrive between pages.
        const arrivals = [
          makeEvent({ ts: Date.UTC(2024, 2, 1, 23), id: 'late-newer' }),
          makeEvent({ ts: Date.UTC(2024, 2, 1, 0, 30), id: 'late-older' }),
        ];
        expect((await t.postBatch(JSON.stringify(arrivals), { batchId: 'arrivals' })).status).toBe(200);
        await t.loaded();
      }
      expect(pages).toBeLessThan(20);
    }
    // 250 seeded + 1 that arrived behind the cursor, 40 per page.
    expect(pages).toBe(7);
    const original = seen.filter((id) => id.startsWith('page-'));
    expect(original).toHaveLength(250);
    expect(new Set(seen).size).toBe(seen.length);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // Arrived behind the cursor position: returned once; ahead of it: not on later pages.
    expect(seen.filter((id) => id === 'late-older')).toHaveLength(1);
    expect(seen).not.toContain('late-newer');
  });

  it.each([
    ['per_page=0', 'per_page'],
    ['per_page=10001', 'per_page'],
    ['per_page=abc', 'per_page'],
    ['cursor=not-a-cursor!', 'cursor'],
    [`cursor=${Buffer.from('[1,2]').toString('base64')}`, 'cursor'],
    ['from=yesterday', 'from'],
    ['from=2024-03-02T00:00&to=2024-03-01T00:00', 'time range'],
    ['events=bounce,teleport', 'events'],
  ])('refuses %s with 400 in SparkPost error shape', async (query, word) => {
    const response = await t.get(`/api/v1/events/message?${query}`);
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].message.toLowerCase()).toContain(word);
    expect(typeof body.errors[0].description).toBe('string');
  });

  it('requires the API key', async () => {
    expect((await t.get(`/api/v1/events/message?${window}`, { auth: null })).status).toBe(401);
    expect((await t.get(`/api/v1/events/message?${window}`, { auth: 'wrong-key' })).status).toBe(401);
    expect(
      (await t.get(`/api/v1/events/message?${window}`, { auth: basic('test-api-key', '') })).status,
    ).toBe(200);
  });
});

describe('stored batches', () => {
  it('keeps each raw batch gzip-compressed under batches/<batch id>.json.gz', async () => {
    const files = await storedBatchFiles();
    expect(files).toContain('samples-2016.json.gz');
    const { readFile } = await import('node:fs/promises');
    const raw = gunzipSync(await readFile(join(t.dataDir, 'batches', 'samples-2016.json.gz'))).toString(
      'utf8',
    );
    expect(JSON.parse(raw)).toEqual(fixture('webhook-samples-2016.json'));
  });
});
