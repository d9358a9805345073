import { CSV_DEFAULT_COLUMNS } from '../../src/core/query/export';
import { bodyText, ndjson, parseCsv, rawGet } from '../helpers/export';
import { SEED_WINDOW, seedElements } from '../helpers/seed';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * The export over HTTP on a small fixture set (the seeded events): each line is exactly what the Events
 * API returns for that event, in the same order, for the same filters and scope; the CSV's columns and
 * quoting; gzip; and every refusal in SparkPost's error shape. The large-volume behaviour (memory, a
 * client going away, the database failing midway) is in export-scale.test.ts.
 */
const API_KEY = 'test-api-key';
const EXPORT = '/api/v1/events/message/export';

let t: TestService;
let sub101: string;

beforeAll(async () => {
  t = await startTestService();
  expect((await t.postBatch(JSON.stringify(seedElements()), { batchId: 'seed' })).status).toBe(200);
  await t.loaded();
  const created = await fetch(`${t.service.url}/api/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: API_KEY, 'content-type': 'application/json', 'x-msys-subaccount': '101' },
    body: JSON.stringify({ label: 'subaccount 101', grants: ['message_events/view'] }),
  });
  expect(created.status).toBe(200);
  sub101 = (await json(created)).results.key;
}, 60_000);
afterAll(async () => {
  await t.stop();
});

function get(path: string, key: string | null = API_KEY, headers: Record<string, string> = {}) {
  return rawGet(`${t.service.url}${path}`, { ...(key === null ? {} : { authorization: key }), ...headers });
}

/** Every event of an Events API search, page after page (per_page=10000, links.next). */
async function searched(query: string, key = API_KEY, headers: Record<string, string> = {}) {
  const events: unknown[] = [];
  let path: string | undefined = `/api/v1/events/message?${query}&per_page=10000`;
  while (path) {
    const response = await get(path, key, headers);
    expect(response.status).toBe(200);
    const page = JSON.parse(bodyText(response));
    events.push(...page.results);
    path = page.links.next;
  }
  return events;
}

async function exported(query: string, key = API_KEY, headers: Record<string, string> = {}) {
  const response = await get(`${EXPORT}?${query}`, key, headers);
  expect(response.status).toBe(200);
  return response;
}

describe('format=ndjson (the default)', () => {
  it.each([
    ['no filter', ''],
    ['events', 'events=bounce,delay'],
    ['recipient_domains (keyword)', 'recipient_domains=yahoo.com'],
    ['subjects (phrase)', 'subjects=black friday'],
    ['campaigns and templates', 'campaigns=friday&templates=digest'],
    ['reasons', 'reasons=5.1.1'],
    ['subaccounts=0', 'subaccounts=0'],
    ['ab_tests with ab_test_versions', 'ab_tests=subject-test&ab_test_versions=2'],
    ['meta.<key>', 'meta.user_id=u-1001,u-1003'],
    ['meta.<nested key>', 'meta.plan.tier=gold'],
    ['tags', 'tags=vip,promo'],
    ['delimiter', 'delimiter=;&tags=vip;onboarding'],
  ])('%s: the Events API’s events for the same filters, line for line, newest first', async (_, filters) => {
    const query = `${SEED_WINDOW}${filters ? `&${filters}` : ''}`;
    const response = await exported(query);
    expect(response.headers['content-type']).toBe('application/x-ndjson');
    expect(response.headers['content-encoding']).toBeUndefined();
    const lines = ndjson(bodyText(response));
    const expected = await searched(query);
    expect(lines).toEqual(expected);
    if (filters === '') expect(lines.length).toBeGreaterThan(200);
  });

  it('an export matching nothing is an empty body, 200', async () => {
    const response = await exported(`${SEED_WINDOW}&recipients=nobody@nowhere.example`);
    expect(response.body.length).toBe(0);
  });

  it('HEAD answers the headers and no body, and the next export is whole', async () => {
    const head = await rawGet(`${t.service.url}${EXPORT}?${SEED_WINDOW}`, { authorization: API_KEY }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/x-ndjson');
    expect(head.body.length).toBe(0);
    expect(ndjson(bodyText(await exported(SEED_WINDOW)))).toEqual(await searched(SEED_WINDOW));
  });

  it('per_page does not cap it: every event, even past a page', async () => {
    const all = ndjson(bodyText(await exported(`${SEED_WINDOW}&per_page=5`)));
    expect(all).toEqual(await searched(SEED_WINDOW));
  });
});

describe('format=csv', () => {
  it('has the documented default columns, then one RFC 4180 record per event, in the same order', async () => {
    const response = await exported(`${SEED_WINDOW}&format=csv`);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header = [], ...records] = parseCsv(bodyText(response));
    expect(header).toEqual([...CSV_DEFAULT_COLUMNS]);
    const events = (await searched(SEED_WINDOW)) as Array<Record<string, unknown>>;
    expect(records).toHaveLength(events.length);
    const cell = (value: unknown) =>
      value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    expect(records).toEqual(events.map((event) => CSV_DEFAULT_COLUMNS.map((column) => cell(event[column]))));
    // rcpt_meta and rcpt_tags are JSON; a meta value with a newline and quotes survives the quoting.
    const withNote = records.find((record) => record[header.indexOf('rcpt_meta')]?.includes('"note"'));
    expect(JSON.parse(withNote?.[header.indexOf('rcpt_meta')] ?? '').note).toBe('call\nback\u0001later');
    expect(
      records.some((record) => Array.isArray(JSON.parse(record[header.indexOf('rcpt_tags')] || 'null'))),
    ).toBe(true);
  });

  it('columns= picks fields and meta.<key> values (a nested path; absent: empty)', async () => {
    const query = `${SEED_WINDOW}&events=bounce`;
    const response = await exported(
      `${query}&format=csv&columns=event_id,bounce_class,meta.user_id,meta.plan.tier,meta.note,geo_ip`,
    );
    const [header, ...records] = parseCsv(bodyText(response));
    expect(header).toEqual([
      'event_id',
      'bounce_class',
      'meta.user_id',
      'meta.plan.tier',
      'meta.note',
      'geo_ip',
    ]);
    const events = (await searched(query)) as Array<Record<string, unknown>>;
    expect(records).toEqual(
      events.map((event) => {
        const meta = (event.rcpt_meta ?? {}) as Record<string, unknown>;
        const plan = (meta.plan ?? {}) as Record<string, unknown>;
        return [
          event.event_id,
          event.bounce_class ?? '',
          meta.user_id ?? '',
          plan.tier ?? '',
          meta.note ?? '',
          '',
        ];
      }),
    );
    expect(records.some((record) => record[2] !== '')).toBe(true);
    expect(records.some((record) => record[4] === 'call\nback\u0001later')).toBe(true);
  });

  it('an export matching nothing is the header alone', async () => {
    const response = await exported(
      `${SEED_WINDOW}&format=csv&columns=type,event_id&recipients=nobody@x.example`,
    );
    expect(bodyText(response)).toBe('type,event_id\r\n');
  });
});

describe('gzip', () => {
  it.each(['gzip', 'deflate, gzip;q=0.8', '*'])(
    'Accept-Encoding: %s → gzipped, the same bytes once gunzipped',
    async (acceptEncoding) => {
      const plain = await exported(SEED_WINDOW);
      const gzipped = await exported(SEED_WINDOW, API_KEY, { 'accept-encoding': acceptEncoding });
      expect(gzipped.headers['content-encoding']).toBe('gzip');
      expect(gzipped.headers.vary).toBe('accept-encoding');
      expect(gzipped.body.length).toBeLessThan(plain.body.length / 3);
      expect(bodyText(gzipped)).toBe(plain.body.toString('utf8'));
    },
  );

  it.each(['identity', 'gzip;q=0', 'br'])('Accept-Encoding: %s → not compressed', async (acceptEncoding) => {
    const response = await exported(`${SEED_WINDOW}&format=csv`, API_KEY, {
      'accept-encoding': acceptEncoding,
    });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(parseCsv(response.body.toString('utf8')).length).toBeGreaterThan(200);
  });
});

describe('authentication and subaccount scope, as the Events API', () => {
  it.each([
    ['no key', null],
    ['a wrong key', 'not-a-key'],
  ])('%s → 401 in SparkPost’s shape', async (_, key) => {
    const response = await get(`${EXPORT}?${SEED_WINDOW}`, key);
    expect(response.status).toBe(401);
    expect(JSON.parse(bodyText(response))).toEqual({
      errors: [expect.objectContaining({ message: 'Unauthorized.' })],
    });
  });

  it('a subaccount’s key exports only its subaccount’s events, whatever subaccounts= asks', async () => {
    const ids = (events: Array<{ event_id: string }>) => events.map((event) => event.event_id);
    const own = ndjson(bodyText(await exported(SEED_WINDOW, sub101)));
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((event) => event.subaccount_id))).toEqual(new Set([101]));
    expect(own).toEqual(await searched(SEED_WINDOW, sub101));
    expect(ndjson(bodyText(await exported(`${SEED_WINDOW}&subaccounts=102`, sub101)))).toEqual([]);
    const all = ndjson(bodyText(await exported(SEED_WINDOW)));
    expect(ids(own)).toEqual(ids(all.filter((event) => event.subaccount_id === 101)));
  });

  it('X-MSYS-SUBACCOUNT narrows a primary-account key, 0 being the primary account', async () => {
    for (const subaccount of ['102', '0']) {
      const headers = { 'x-msys-subaccount': subaccount };
      const lines = ndjson(bodyText(await exported(SEED_WINDOW, API_KEY, headers)));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines).toEqual(await searched(SEED_WINDOW, API_KEY, headers));
    }
  });
});

describe('bad parameters → 400 in SparkPost’s shape, before any line', () => {
  it.each([
    ['an unknown format', 'format=xml', 'Invalid format parameter'],
    ['an unknown column', 'format=csv&columns=event_id,no_such_field', 'Invalid columns parameter'],
    ['a bare meta. column', 'format=csv&columns=meta.', 'Invalid columns parameter'],
    ['an unknown event type', 'events=nope', 'Invalid events parameter'],
    ['from after to', 'from=2025-09-02T00:00:00Z&to=2025-09-01T00:00:00Z', 'Invalid time range'],
    ['ab_test_versions alone', 'ab_test_versions=1', 'Missing ab_tests parameter'],
  ])('%s', async (_, query, message) => {
    const response = await get(`${EXPORT}?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(bodyText(response));
    expect(body).toEqual({ errors: [expect.objectContaining({ message })] });
    expect(JSON.stringify(body)).not.toMatch(/\bat \S+:\d+/);
  });
});
