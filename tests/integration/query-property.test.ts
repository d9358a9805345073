import fc from 'fast-check';
import { EVENTS_API_RULES, expectedEvents, LEGACY_RULES } from '../helpers/oracle';
import { SEED_FROM, SEED_TO, SEED_VALUES, seedElements, seedEvents } from '../helpers/seed';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * Property-based: random combinations of parameters never produce a 5xx, always return exactly the
 * events the oracle selects (so never one that fails its filters), and pages concatenate to exactly the
 * unpaginated result.
 */
let t: TestService;
const seeded = seedEvents();

beforeAll(async () => {
  t = await startTestService();
  expect((await t.postBatch(JSON.stringify(seedElements()), { batchId: 'seed' })).status).toBe(200);
  await t.loaded();
});
afterAll(async () => {
  await t.stop();
});

const v = SEED_VALUES;
const keywordsOf = (values: readonly string[]) => [
  ...new Set(values.flatMap((value) => value.split(/[\s_.-]+/))),
];
const some = (pool: readonly string[]) =>
  fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: 3 });

/**
 * The filters both APIs add to SparkPost's: tags, and meta.<key> on the seed's keys (strings, numbers,
 * booleans, array members, nested and array-nested keys), on absent keys and on an empty key (a 400).
 */
function extensionValues(): Record<string, fc.Arbitrary<string[]>> {
  return {
    tags: some([...v.tags, 'VIP', 'nope']),
    'meta.user_id': some([...v.userIds, 'u-9999', 'U-1001']),
    'meta.score': some(['5', '12.5', '0', '-3', '5.0', 'five']),
    'meta.vip': some(['true', 'false', 'TRUE', '1']),
    'meta.interests': some(['shoes', 'travel', 'books', 'nested', 'Shoes']),
    'meta.plan.tier': some([...v.tiers, 'platinum']),
    'meta.orders.sku': some(['A1', 'B2', 'C3', 'D4']),
    'meta.plan': some(['gold']),
    'meta.nope': some(['x', 'u-1001']),
    'meta.': some(['x']),
  };
}

/** Values a user might send for each Events API parameter: present, absent, and a few malformed ones. */
const EVENTS_API_VALUES: Record<string, fc.Arbitrary<string[]>> = {
  events: some(['delivery', 'bounce', 'open', 'click', 'injection', 'relay_delivery', 'amp_click']),
  event_ids: some(['seed-0003', 'seed-0100', 'seed-0239', 'nope']),
  recipients: some([...v.recipients, 'nobody@example.com']),
  recipient_domains: some(['yahoo', 'gmail.com', 'co.uk', 'mail', 'example', 'yahoomail']),
  from_addresses: some([...v.froms, 'x@y.z']),
  sending_domains: some(['example.com', 'example', 'shop.io', 'com.uk', 'notexample']),
  subjects: some([...keywordsOf(v.subjects), 'black friday', 'deals are here!', 'weekly']),
  bounce_classes: some([...v.bounceClasses, '99', 'hard']),
  reasons: some(['5.4.7', 'user unknown', 'try', 'black list', 'a.b.c.d']),
  campaigns: some([...keywordsOf(v.campaigns), 'blackfriday specials', 'summer sale', 'fri']),
  templates: some(['welcome', 'email', 'reset password', 'digest', 'reset_password']),
  sending_ips: some([...v.sendingIps, '1.1.1.1']),
  ip_pools: some(['admin', 'notify', 'administrator', 'default', 'adm']),
  subaccounts: some([...v.subaccounts, '7', 'x']),
  messages: some(['msg-1', 'msg-40', 'msg-79', 'msg-999']),
  transmissions: some(['9000', '9011', '9023', '1']),
  mailbox_providers: some(['gmail', 'verizon media', 'group', 'outlook', 'yahoo']),
  mailbox_provider_regions: some(['europe', 'uk', 'north america', 'asia - japan', 'usa']),
  ab_tests: some(['subject', 'test', 'cta', 'subject test', 'nope']),
  ab_test_versions: some(['1', '2', '3', 'v2']),
  ...extensionValues(),
};

const LEGACY_VALUES: Record<string, fc.Arbitrary<string[]>> = {
  events: EVENTS_API_VALUES.events as fc.Arbitrary<string[]>,
  recipients: EVENTS_API_VALUES.recipients as fc.Arbitrary<string[]>,
  friendly_froms: EVENTS_API_VALUES.from_addresses as fc.Arbitrary<string[]>,
  bounce_classes: EVENTS_API_VALUES.bounce_classes as fc.Arbitrary<string[]>,
  subaccounts: EVENTS_API_VALUES.subaccounts as fc.Arbitrary<string[]>,
  transmission_ids: EVENTS_API_VALUES.transmissions as fc.Arbitrary<string[]>,
  campaign_ids: some([...v.campaigns, 'friday-x']),
  template_ids: some([...v.templates, 'welcome']),
  ab_test_ids: some([...v.abTests, 'cta']),
  message_ids: EVENTS_API_VALUES.messages as fc.Arbitrary<string[]>,
  reason: fc.constantFrom(['5.1.1'], ['unknown'], ['IP (A.B.C.D)'], ['zzz'], ['4.7']),
  ...extensionValues(),
};

/** Up to three of the parameters, each with random values. */
function paramsArbitrary(
  table: Record<string, fc.Arbitrary<string[]>>,
): fc.Arbitrary<Record<string, string[]>> {
  return fc
    .uniqueArray(fc.constantFrom(...Object.keys(table)), { minLength: 0, maxLength: 3 })
    .chain((names) =>
      fc.record(Object.fromEntries(names.map((name) => [name, table[name] as fc.Arbitrary<string[]>]))),
    );
}

const isInteger = (value: string) => /^-?\d+$/.test(value);

/** Whether SparkPost would refuse these parameters (the property then expects 400, never 5xx). */
function invalid(params: Record<string, string[]>): boolean {
  const integers = ['bounce_classes', 'subaccounts', 'ab_test_versions'];
  if (integers.some((name) => (params[name] ?? []).some((value) => !isInteger(value)))) return true;
  if (params['meta.'] !== undefined) return true;
  // Relay (and A/B-test, ingest) events are not served by the message searches, as at SparkPost.
  if ((params.events ?? []).includes('relay_delivery')) return true;
  return params.ab_test_versions !== undefined && params.ab_tests === undefined;
}

function toQuery(params: Record<string, string[]>, delimiter: string): string {
  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(params))
    query.set(name, values.join(name === 'reason' ? ',' : delimiter));
  if (delimiter !== ',') query.set('delimiter', delimiter);
  return query.toString();
}

const ids = (events: Array<Record<string, unknown>>) => events.map((event) => String(event.event_id));

/**
 * One query, unpaginated: never a 5xx; a 400 exactly when the parameters are invalid; otherwise exactly
 * the oracle's events and total. Returns their ids, or undefined for an invalid query.
 */
async function checkWhole(
  base: string,
  params: Record<string, string[]>,
  rules: typeof EVENTS_API_RULES,
): Promise<string[] | undefined> {
  const whole = await t.get(`${base}&per_page=10000`);
  expect(whole.status).toBeLessThan(500);
  if (invalid(params)) {
    expect(whole.status).toBe(400);
    return undefined;
  }
  expect(whole.status).toBe(200);
  const body = await json(whole);
  const expected = ids(expectedEvents(seeded, params, rules, { from: SEED_FROM, to: SEED_TO }));
  expect(ids(body.results)).toEqual(expected);
  expect(body.total_count).toBe(expected.length);
  return expected;
}

describe('property: random parameter combinations', () => {
  it('Events API: never 5xx, exactly the matching events, cursor pages add up to the whole', async () => {
    await fc.assert(
      fc.asyncProperty(
        paramsArbitrary(EVENTS_API_VALUES),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(',', '|', ';'),
        async (params, perPage, delimiter) => {
          const base = `/api/v1/events/message?from=2025-09-01T00:00:00Z&to=2025-09-02T00:00:00Z&${toQuery(params, delimiter)}`;
          const expected = await checkWhole(base, params, EVENTS_API_RULES);
          if (expected === undefined) return;

          const paged: string[] = [];
          let next: string | undefined = `${base}&per_page=${perPage}`;
          for (let pages = 0; next; pages += 1) {
            expect(pages).toBeLessThanOrEqual(expected.length / perPage + 1);
            const page = await t.get(next);
            expect(page.status).toBe(200);
            const pageBody = await json(page);
            paged.push(...ids(pageBody.results));
            next = pageBody.links.next;
          }
          expect(paged).toEqual(expected);
        },
      ),
      { numRuns: 120, seed: 20261127 },
    );
  });

  it('legacy API: never 5xx, exactly the matching events, numbered pages add up to the whole', async () => {
    await fc.assert(
      fc.asyncProperty(
        paramsArbitrary(LEGACY_VALUES),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'),
        async (params, perPage, timezone) => {
          // The same UTC window written in the chosen zone.
          const window =
            timezone === 'UTC'
              ? ['2025-09-01T00:00', '2025-09-02T00:00']
              : timezone === 'America/New_York'
                ? ['2025-08-31T20:00', '2025-09-01T20:00']
                : ['2025-09-01T05:30', '2025-09-02T05:30'];
          const base = `/api/v1/message-events?from=${window[0]}&to=${window[1]}&timezone=${timezone}&${toQuery(params, ',')}`;
          const expected = await checkWhole(base, params, LEGACY_RULES);
          if (expected === undefined) return;

          const paged: string[] = [];
          const last = Math.max(1, Math.ceil(expected.length / perPage));
          for (let page = 1; page <= last; page += 1) {
            const response = await t.get(`${base}&per_page=${perPage}&page=${page}`);
            expect(response.status).toBe(200);
            paged.push(...ids((await json(response)).results));
          }
          expect(paged).toEqual(expected);
        },
      ),
      { numRuns: 90, seed: 20261127 },
    );
  });
});

const EVENTS_BASE = `/api/v1/events/message?${'from=2025-09-01T00:00:00Z&to=2025-09-02T00:00:00Z'}`;
const LEGACY_BASE = '/api/v1/message-events?from=2025-09-01T00:00&to=2025-09-02T00:00';
const cursorOf = (value: unknown) =>
  encodeURIComponent(Buffer.from(JSON.stringify(value)).toString('base64'));
const inWindow = fc.integer({ min: SEED_FROM, max: SEED_TO });

/** A status and, for a 400, that its body is SparkPost's error shape. */
async function statusOf(path: string): Promise<number> {
  const response = await t.get(path);
  if (response.status === 400) {
    const body = await json(response);
    expect(body.errors[0]).toEqual(expect.objectContaining({ code: '1200', message: expect.any(String) }));
  } else {
    await response.arrayBuffer();
  }
  return response.status;
}

describe('crafted inputs: a 400 in SparkPost’s shape or a 200, never a 5xx', () => {
  it.each([
    ['a cursor time of 2^53 - 1 ms', `${EVENTS_BASE}&cursor=${cursorOf([9007199254740991, 'a', 'b'])}`, 400],
    [
      'a cursor time of -(2^53 - 1) ms',
      `${EVENTS_BASE}&cursor=${cursorOf([-9007199254740991, 'a', 'b'])}`,
      400,
    ],
    [
      'a cursor time past what Date holds',
      `${EVENTS_BASE}&cursor=${cursorOf([8640000000000001, 'a', 'b'])}`,
      400,
    ],
    [
      'a cursor time in the year -5000',
      `${EVENTS_BASE}&cursor=${cursorOf([-219919104000000, 'a', 'b'])}`,
      400,
    ],
    ['a cursor time outside the window', `${EVENTS_BASE}&cursor=${cursorOf([SEED_TO + 1, 'a', 'b'])}`, 400],
    [
      'a NUL in a cursor event id',
      `${EVENTS_BASE}&cursor=${cursorOf([1496154610000, 'a\u0000b', 'open'])}`,
      400,
    ],
    [
      'a cursor inside the window',
      `${EVENTS_BASE}&cursor=${cursorOf([SEED_FROM + 3_600_000, 'a', 'b'])}`,
      200,
    ],
    ['a NUL in the legacy reason', `${LEGACY_BASE}&reason=a%00b`, 200],
    ['a legacy page of 2^53 - 1', `${LEGACY_BASE}&page=9007199254740991&per_page=10000`, 400],
    [
      'a legacy page of 10^15 with per_page=10000',
      `${LEGACY_BASE}&page=1000000000000000&per_page=10000`,
      400,
    ],
    ['a legacy page of 10^15 with per_page=1', `${LEGACY_BASE}&page=1000000000000000&per_page=1`, 200],
    [
      'the legacy page whose end is the last safe integer',
      `${LEGACY_BASE}&page=900719925474&per_page=10000`,
      200,
    ],
    ['a window from the year 0', '/api/v1/events/message?from=0000-01-01T00:00&to=2025-09-02T00:00', 200],
    [
      'a legacy window from the year 0',
      '/api/v1/message-events?from=0000-01-01T00:00&to=2025-09-02T00:00',
      200,
    ],
    [
      'a window ending in the year 9999',
      '/api/v1/events/message?from=2025-09-01T00:00&to=9999-12-31T23:59',
      200,
    ],
    ['an offset pushing the year 0 before it', '/api/v1/events/message?from=0000-01-01T00:00%2B01:00', 400],
  ])('%s', async (_what, path, expected) => {
    expect(await statusOf(path)).toBe(expected);
  });

  it('reads the year 0 as the year 0: links repeat it, and the events of 2025 are found', async () => {
    const response = await t.get(
      '/api/v1/events/message?from=0000-01-01T00:00&to=2025-09-02T00:00&per_page=1',
    );
    const body = await json(response);
    expect(body.total_count).toBe(seeded.filter((e) => e.type !== 'relay_delivery').length);
    expect(new URLSearchParams(body.links.next.split('?')[1]).get('from')).toBe('0000-01-01T00:00:00Z');
    const early = await json(await t.get('/api/v1/events/message?from=0000-01-01T00:00&to=0100-01-01T00:00'));
    expect(early.total_count).toBe(0);
  });

  it('legacy pages past the last are empty, up to the largest page allowed', async () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    const pageAndSize = fc.integer({ min: 1, max: 10_000 }).chain((perPage) => {
      const edge = max / BigInt(perPage);
      return fc.tuple(
        fc.oneof(
          fc.bigInt({ min: 1n, max: 300n }),
          fc.bigInt({ min: edge - 3n > 0n ? edge - 3n : 1n, max: edge + 3n }),
          fc.bigInt({ min: 1n, max }),
          fc.bigInt({ min: 1n, max: 10n ** 20n }),
        ),
        fc.constant(perPage),
      );
    });
    await fc.assert(
      fc.asyncProperty(pageAndSize, async ([page, perPage]) => {
        const response = await t.get(`${LEGACY_BASE}&page=${page}&per_page=${perPage}`);
        expect(response.status).toBe(page * BigInt(perPage) < max ? 200 : 400);
        const body = await json(response);
        if (response.status === 200 && page > 240n) expect(body.results).toEqual([]);
      }),
      { numRuns: 80, seed: 20261201 },
    );
  });

  it('random cursors: well-formed or not, inside the window or not', async () => {
    const anyTime = fc.oneof(
      inWindow,
      fc.maxSafeInteger(),
      fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
      fc.double(),
    );
    const anyText = fc.string({ unit: 'binary', maxLength: 12 });
    const cursor = fc.oneof(
      fc.tuple(anyTime, anyText, anyText).map(cursorOf),
      fc.tuple(inWindow, anyText, anyText).map(cursorOf),
      fc.json().map(cursorOf),
      fc.base64String({ maxLength: 40 }).map(encodeURIComponent),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(cursor, async (value) => {
        expect([200, 400]).toContain(await statusOf(`${EVENTS_BASE}&per_page=5&cursor=${value}`));
      }),
      { numRuns: 150, seed: 20261201 },
    );
  });

  /** A value with control characters (NUL included) and other awkward code points slipped in. */
  const controlled = fc
    .tuple(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('\u0000', '\u0001', '\t', '\n', '\u001f', '\u007f', '\u0085', '\u2028', '\ud800'),
      fc.string({ maxLength: 6 }),
    )
    .map((parts) => parts.join(''));

  it.each([
    [
      'Events API',
      '/api/v1/events/message?from=2025-09-01T00:00:00Z&to=2025-09-02T00:00:00Z',
      Object.keys(EVENTS_API_VALUES),
    ],
    ['legacy API', LEGACY_BASE, [...Object.keys(LEGACY_VALUES), 'timezone', 'delimiter']],
  ])('%s: control characters in every list parameter', async (_api, base, names) => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.array(controlled, { minLength: 1, maxLength: 3 }),
        async (name, values) => {
          const query = new URLSearchParams({ [name]: values.join(',') });
          expect([200, 400]).toContain(await statusOf(`${base}&${query.toString()}`));
        },
      ),
      { numRuns: 200, seed: 20261201 },
    );
  });

  it.each(['from', 'to', 'per_page', 'delimiter', 'cursor'])(
    'Events API: control characters in %s',
    async (name) => {
      await fc.assert(
        fc.asyncProperty(controlled, async (value) => {
          const query = new URLSearchParams({ [name]: value });
          expect([200, 400]).toContain(await statusOf(`/api/v1/events/message?${query.toString()}`));
        }),
        { numRuns: 30, seed: 20261201 },
      );
    },
  );
});
