import type { StoredRow } from '../../src/core/ports';
import { parseEventsApiQuery } from '../../src/core/query/events-api';
import { buildPageQuery } from '../../src/core/query/sql';
import { createEventReader } from '../../src/db/event-reader';
import { type Element, fixture, inner } from '../helpers/fixtures';
import { makeEvent } from '../helpers/make-events';
import { EVENTS_API_RULES, expectedEvents, LEGACY_RULES } from '../helpers/oracle';
import { type FlatEvent, SEED_FROM, SEED_TO, SEED_WINDOW, seedElements, seedEvents } from '../helpers/seed';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * Parameter by parameter, both query APIs against real PostgreSQL, compared with an independent
 * statement of each parameter's meaning (helpers/oracle.ts). The data (helpers/seed.ts plus SparkPost's
 * sample batches) gives every parameter matching and non-matching rows.
 */
let t: TestService;
const seeded = seedEvents();
const samples2016 = fixture<Element[]>('webhook-samples-2016.json');
const samples2020 = fixture<Element[]>('webhook-samples-2020.json');
const sampleEvents: FlatEvent[] = [...samples2016, ...samples2020].map(inner);

/** A deterministic text of `length` letters and digits, which a URL carries as they are. */
function longText(length: number, salt: string): string {
  const seed = [...salt].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261);
  return Array.from({ length: Math.ceil(length / 7) }, (_, i) =>
    ((Math.imul(i + 1, 2654435761) ^ seed) >>> 0).toString(36).padStart(7, '0'),
  )
    .join('')
    .slice(0, length);
}
const LONG_DAY = Date.UTC(2025, 8, 6, 12);
const LONG_WINDOW = 'from=2025-09-06T00:00:00Z&to=2025-09-07T00:00:00Z';
/** The same window as both APIs take it. */
const LONG_WINDOW_MINUTES = 'from=2025-09-06T00:00&to=2025-09-07T00:00';
const META_3K = longText(3000, 'meta');
const TAG_3K = longText(3000, 'tag');
const META_100K = longText(100_000, 'meta-big');
const TAG_100K = longText(100_000, 'tag-big');
const KEY_3K = longText(3000, 'key');
const KEY_100K = longText(100_000, 'key-big');
/**
 * Events with values of every length and with control characters in rcpt_meta and rcpt_tags, on a day
 * of their own. Each long value has a decoy differing only in its last character.
 */
const longElements = [
  makeEvent({ ts: LONG_DAY, id: 'long-meta-3k', fields: { rcpt_meta: { ref: META_3K } } }),
  makeEvent({
    ts: LONG_DAY + 1000,
    id: 'long-meta-3k-decoy',
    fields: { rcpt_meta: { ref: `${META_3K.slice(0, -1)}!` } },
  }),
  makeEvent({ ts: LONG_DAY + 2000, id: 'long-tag-3k', fields: { rcpt_tags: ['short', TAG_3K] } }),
  makeEvent({
    ts: LONG_DAY + 3000,
    id: 'long-tag-3k-decoy',
    fields: { rcpt_tags: [`${TAG_3K.slice(0, -1)}!`] },
  }),
  makeEvent({
    ts: LONG_DAY + 4000,
    id: 'long-100k',
    fields: { rcpt_meta: { ref: META_100K }, rcpt_tags: [TAG_100K] },
  }),
  makeEvent({ ts: LONG_DAY + 5000, id: 'long-key-3k', fields: { rcpt_meta: { [KEY_3K]: 'x' } } }),
  makeEvent({ ts: LONG_DAY + 5500, id: 'long-key-100k', fields: { rcpt_meta: { [KEY_100K]: 'x' } } }),
  makeEvent({
    ts: LONG_DAY + 5800,
    id: 'dotted-key',
    fields: { rcpt_meta: { 'plan.tier': 'dotted', maybe: null, empty: {}, none: [] } },
  }),
  makeEvent({
    ts: LONG_DAY + 6000,
    id: 'control-characters',
    fields: {
      rcpt_meta: { 'nul\u0000key': 'v', note: 'tab\there\u0000and\u001fthere' },
      rcpt_tags: ['nul\u0000tag', 'line\nbreak'],
    },
  }),
];
const longEvents: FlatEvent[] = longElements.map((element) => inner(element));

beforeAll(async () => {
  t = await startTestService();
  for (const [batchId, batch] of [
    ['seed', seedElements()],
    ['samples-2016', samples2016],
    ['samples-2020', samples2020],
    ['long-values', longElements],
  ] as const) {
    expect((await t.postBatch(JSON.stringify(batch), { batchId })).status).toBe(200);
  }
  await t.loaded();
});
afterAll(async () => {
  await t.stop();
});

const ids = (events: FlatEvent[]) => events.map((e) => String(e.event_id ?? '(none)'));
const resultIds = (results: Array<Record<string, unknown>>) =>
  results.map((e) => String(e.event_id ?? '(none)'));

function parseCase(query: string): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    params[name] =
      name === 'reason'
        ? [value]
        : value
            .split(',')
            .map((v) => v.trim())
            .filter(Boolean);
  }
  return params;
}

describe('Events API: each parameter selects what SparkPost’s definition says', () => {
  const cases: string[] = [
    'event_ids=seed-0001,seed-0005,seed-9999',
    'events=bounce,delay',
    'recipients=A@MAIL.yahoo.com',
    'recipient_domains=yahoo',
    'recipient_domains=co.uk',
    'from_addresses=news@info.example.com,TEAM@shop.io',
    'sending_domains=example.com',
    'subjects=friday',
    'subjects=black friday',
    'subjects=deals are',
    'bounce_classes=10',
    'reasons=5.4.7',
    'reasons=user unknown',
    'campaigns=blackfriday',
    'campaigns=friday',
    'campaigns=summer sale',
    'templates=reset',
    'templates=welcome-email',
    'sending_ips=10.0.0.2',
    'ip_pools=admin',
    'subaccounts=101,0',
    'messages=msg-3,msg-10',
    'transmissions=9003',
    'mailbox_providers=verizon',
    'mailbox_providers=media group',
    'mailbox_provider_regions=europe',
    'mailbox_provider_regions=North America - USA',
    'ab_tests=subject',
    'ab_tests=subject&ab_test_versions=2',
    'campaigns=friday&events=delivery,open&subaccounts=102',
  ];

  it.each(cases)('%s', async (query) => {
    const response = await t.get(`/api/v1/events/message?${SEED_WINDOW}&per_page=10000&${query}`);
    expect(response.status).toBe(200);
    const body = await json(response);
    const expected = expectedEvents(seeded, parseCase(query), EVENTS_API_RULES, {
      from: SEED_FROM,
      to: SEED_TO,
    });
    // Every case has both matching and non-matching rows in the window.
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(seeded.length);
    expect(resultIds(body.results)).toEqual(ids(expected));
    expect(body.total_count).toBe(expected.length);
  });

  it.each(cases.filter((query) => !query.startsWith('event_ids')))(
    '%s, on SparkPost’s sample events',
    async (query) => {
      const window = { from: Date.UTC(2016, 0, 1), to: Date.UTC(2016, 11, 31) };
      const response = await t.get(
        `/api/v1/events/message?from=2016-01-01T00:00&to=2016-12-31T00:00&per_page=10000&${query}`,
      );
      expect(response.status).toBe(200);
      const body = await json(response);
      const expected = expectedEvents(sampleEvents, parseCase(query), EVENTS_API_RULES, window);
      expect(resultIds(body.results).sort()).toEqual(ids(expected).sort());
    },
  );

  it('SPEC §3.2 examples: whole keywords, not substrings', async () => {
    const get = async (query: string) =>
      new Set(
        (
          await json(await t.get(`/api/v1/events/message?${SEED_WINDOW}&per_page=10000&${query}`))
        ).results.map(
          (e: FlatEvent) =>
            e[
              Object.keys(parseCase(query))[0] === 'campaigns'
                ? 'campaign_id'
                : Object.keys(parseCase(query))[0] === 'ip_pools'
                  ? 'ip_pool'
                  : 'rcpt_to'
            ],
        ),
      );
    expect(await get('campaigns=blackfriday')).toEqual(new Set(['blackfriday-specials']));
    expect(await get('campaigns=friday')).toEqual(new Set(['friday']));
    expect(await get('recipient_domains=yahoo')).toEqual(new Set(['a@mail.yahoo.com', 'b@yahoo.co.uk']));
    expect(await get('ip_pools=admin')).toEqual(new Set(['admin_notify']));
  });

  it('repeats every filter in links.next, and the pages add up to the whole', async () => {
    const query = 'campaigns=friday,newsletter&events=delivery,open,click&per_page=7';
    const all: string[] = [];
    let next: string | undefined = `/api/v1/events/message?${SEED_WINDOW}&${query}`;
    while (next) {
      const body = await json(await t.get(next));
      all.push(...resultIds(body.results));
      next = body.links.next;
      if (next) {
        const params = new URL(`http://x${next}`).searchParams;
        expect(params.get('campaigns')).toBe('friday,newsletter');
        expect(params.get('events')).toBe('delivery,open,click');
        expect(params.get('per_page')).toBe('7');
      }
    }
    const expected = expectedEvents(seeded, parseCase(query), EVENTS_API_RULES, {
      from: SEED_FROM,
      to: SEED_TO,
    });
    expect(all).toEqual(ids(expected));
  });

  it('writes links.next as SparkPost does (events.apib, 2web2ui fixtures): a space as %20, never +; `:` and `=` as they are', async () => {
    const body = await json(
      await t.get(`/api/v1/events/message?${SEED_WINDOW}&subjects=Summer+deals&per_page=2`),
    );
    const next = body.links.next as string;
    expect(next).toContain('&subjects=Summer%20deals');
    expect(next).not.toContain('+');
    expect(next).toMatch(/&from=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z&/);
  });

  it('links.next survives java-sparkpost’s nextMessageEvents (URI.getQuery() decodes, URIBuilder re-encodes): page 2 keeps the filter', async () => {
    const query = 'subjects=Summer+deals&campaigns=summer sale,friday&per_page=3';
    const expected = expectedEvents(
      seeded,
      { subjects: ['Summer deals'], campaigns: ['summer sale', 'friday'] },
      EVENTS_API_RULES,
      { from: SEED_FROM, to: SEED_TO },
    );
    expect(expected.length).toBeGreaterThan(6);
    const all: string[] = [];
    let next: string | undefined = `/api/v1/events/message?${SEED_WINDOW}&${query}`;
    while (next) {
      const body = await json(await t.get(next));
      expect(body.total_count).toBe(expected.length);
      all.push(...resultIds(body.results));
      next = body.links.next === undefined ? undefined : asJavaSparkpostFollows(body.links.next);
    }
    expect(all).toEqual(ids(expected));
  });
});

/**
 * What java-sparkpost requests for a `links.next` (ResourceMessageEvents.nextMessageEvents @ ceae2d9):
 * `new URI(next).getQuery()` decodes every `%XX` but leaves `+` as it is; the query is split on `&` and
 * the first `=`; httpclient's URIBuilder then form-encodes each value again (a space as `+`, a `+` as
 * `%2B`).
 */
function asJavaSparkpostFollows(next: string): string {
  const [path, rawQuery = ''] = next.split('?');
  const decoded = rawQuery.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => decodeURIComponent(run));
  const reencoded = new URLSearchParams();
  for (const element of decoded.split('&')) {
    const at = element.indexOf('=');
    reencoded.append(element.slice(0, at), element.slice(at + 1));
  }
  return `${path}?${reencoded.toString()}`;
}

describe('legacy Message Events API: the old parameter names', () => {
  const cases: string[] = [
    'events=bounce,delay',
    'recipients=C@gmail.com',
    'friendly_froms=deals@example.com.uk',
    'bounce_classes=25',
    'reason=5.1.1',
    'reason=USER unknown',
    'reason=IP (a.b.c.d)',
    'subaccounts=102',
    'transmission_ids=9003,9004',
    'campaign_ids=friday',
    'campaign_ids=Summer_Sale 2025',
    'template_ids=reset_password',
    'ab_test_ids=subject',
    'message_ids=msg-7',
  ];

  it.each(cases)('%s', async (query) => {
    const response = await t.get(
      `/api/v1/message-events?from=2025-09-01T00:00&to=2025-09-02T00:00&per_page=10000&${query}`,
    );
    expect(response.status).toBe(200);
    const body = await json(response);
    const expected = expectedEvents(seeded, parseCase(query), LEGACY_RULES, { from: SEED_FROM, to: SEED_TO });
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(seeded.length);
    expect(resultIds(body.results)).toEqual(ids(expected));
    expect(body.total_count).toBe(expected.length);
    expect(body.links).toEqual([]);
  });

  it('campaign_ids matches whole ids only, unlike the Events API’s campaigns', async () => {
    const body = await json(
      await t.get(
        '/api/v1/message-events?from=2025-09-01T00:00&to=2025-09-02T00:00&per_page=10000&campaign_ids=friday',
      ),
    );
    expect(new Set(body.results.map((e: FlatEvent) => e.campaign_id))).toEqual(new Set(['friday']));
  });

  it('reads from and to in the given time zone', async () => {
    // 2025-08-31 20:00 in New York (EDT, UTC-4) is 2025-09-01 00:00 UTC.
    const body = await json(
      await t.get(
        '/api/v1/message-events?from=2025-08-31T20:00&to=2025-09-01T02:00&timezone=America/New_York&per_page=10000',
      ),
    );
    const expected = expectedEvents(seeded, {}, LEGACY_RULES, {
      from: SEED_FROM,
      to: SEED_FROM + 6 * 3_600_000,
    });
    expect(resultIds(body.results)).toEqual(ids(expected));
  });

  it('pages by number with first/previous/next/last links that repeat the filters', async () => {
    const base =
      '/api/v1/message-events?from=2025-09-01T00:00&to=2025-09-02T00:00&events=delivery&per_page=10';
    const first = await json(await t.get(base));
    const total = first.total_count;
    const last = Math.ceil(total / 10);
    expect(first.links.map((l: { rel: string }) => l.rel)).toEqual(['next', 'last']);
    const lastLink = first.links.find((l: { rel: string }) => l.rel === 'last').href;
    expect(lastLink).toBe(
      `/api/v1/message-events?page=${last}&per_page=10&from=2025-09-01T00:00&to=2025-09-02T00:00&timezone=UTC&events=delivery`,
    );
    const all: string[] = [];
    for (let page = 1; page <= last; page += 1) {
      const body = await json(await t.get(`${base}&page=${page}`));
      all.push(...resultIds(body.results));
      expect(body.links.map((l: { rel: string }) => l.rel)).toEqual(
        page === 1
          ? ['next', 'last']
          : page === last
            ? ['first', 'previous']
            : ['first', 'previous', 'next', 'last'],
      );
    }
    expect(all).toEqual(
      ids(expectedEvents(seeded, { events: ['delivery'] }, LEGACY_RULES, { from: SEED_FROM, to: SEED_TO })),
    );
  });
});

describe('tags and meta.<key>: filters SparkPost lacks, on both APIs', () => {
  const EVENTS_BASE = `/api/v1/events/message?${SEED_WINDOW}&per_page=10000`;
  const LEGACY_BASE = '/api/v1/message-events?from=2025-09-01T00:00&to=2025-09-02T00:00&per_page=10000';
  const window = { from: SEED_FROM, to: SEED_TO };

  /** Each selects some but not all seeded events. */
  const cases: string[] = [
    'tags=vip',
    'tags=Promo',
    'tags=promo,onboarding',
    'meta.user_id=u-1003',
    'meta.user_id=u-1001,u-1005',
    'meta.score=5',
    'meta.score=12.5',
    'meta.score=-3,0',
    'meta.vip=true',
    'meta.vip=false',
    'meta.interests=travel',
    'meta.interests=books,shoes',
    'meta.plan.tier=gold',
    'meta.plan.seats=3',
    'meta.orders.sku=B2',
    'meta.note=call back later',
    'meta.note=call%0Aback%01later',
    'meta.user_id=u-1002&tags=vip',
    'meta.interests=shoes&meta.vip=false',
    'tags=newsletter&events=delivery,open',
    'meta.vip=true&recipients=C@gmail.com',
    'meta.plan.tier=silver&events=delivery,bounce,open&recipients=a@mail.yahoo.com,e@example.org',
  ];
  /** Each selects nothing: keys and values are exact, and an array in an array does not count. */
  const absentCases: string[] = [
    'tags=VIP',
    'tags=vi',
    'meta.nope=x',
    'meta.User_id=u-1001',
    'meta.user_id=U-1001',
    'meta.user_id=u-1001&recipients=c@gmail.com',
    'meta.plan=gold',
    'meta.tier=gold',
    'meta.plan.tier.x=gold',
    'meta.interests=nested',
    'meta.score=5.0',
    'meta.vip=TRUE',
    'meta.orders=C3',
  ];

  describe.each([
    ['Events API', EVENTS_BASE, EVENTS_API_RULES],
    ['legacy API', LEGACY_BASE, LEGACY_RULES],
  ] as const)('%s', (_api, base, rules) => {
    it.each(cases)('%s selects what the oracle selects', async (query) => {
      const response = await t.get(`${base}&${query}`);
      expect(response.status).toBe(200);
      const body = await json(response);
      const expected = expectedEvents(seeded, parseCase(query), rules, window);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(seeded.length);
      expect(resultIds(body.results)).toEqual(ids(expected));
      expect(body.total_count).toBe(expected.length);
    });

    it.each(absentCases)('%s selects nothing', async (query) => {
      const body = await json(await t.get(`${base}&${query}`));
      expect(expectedEvents(seeded, parseCase(query), rules, window)).toEqual([]);
      expect(body.results).toEqual([]);
      expect(body.total_count).toBe(0);
    });

    it.each(['tags=US', 'tags=male,nope', 'meta.customKey=customValue', 'meta.customkey=customValue'])(
      '%s, on SparkPost’s sample events',
      async (query) => {
        const sampleWindow = { from: Date.UTC(2016, 0, 1), to: Date.UTC(2016, 11, 31) };
        const response = await t.get(
          `${base.replace(/from=[^&]*&to=[^&]*/, 'from=2016-01-01T00:00&to=2016-12-31T00:00')}&${query}`,
        );
        expect(response.status).toBe(200);
        const expected = expectedEvents(sampleEvents, parseCase(query), rules, sampleWindow);
        expect(resultIds((await json(response)).results).sort()).toEqual(ids(expected).sort());
      },
    );

    it('meta.<key>=… → 400 in SparkPost’s shape when the key is empty', async () => {
      const response = await t.get(`${base}&meta.=x`);
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({
        errors: [{ message: 'Invalid meta parameter', description: expect.any(String), code: '1200' }],
      });
    });

    it('finds a 3 KB metadata value and a 3 KB tag by exact lookup, not their decoys', async () => {
      const longBase = base.replace(/from=[^&]*&to=[^&]*/, LONG_WINDOW_MINUTES);
      const metaBody = await json(await t.get(`${longBase}&meta.ref=${META_3K}`));
      expect(resultIds(metaBody.results)).toEqual(['long-meta-3k']);
      expect(metaBody.results[0].rcpt_meta).toEqual({ ref: META_3K });
      const tagBody = await json(await t.get(`${longBase}&tags=${TAG_3K}`));
      expect(resultIds(tagBody.results)).toEqual(['long-tag-3k']);
      expect(tagBody.results[0].rcpt_tags).toEqual(['short', TAG_3K]);
      const keyBody = await json(await t.get(`${longBase}&meta.${KEY_3K}=x`));
      expect(resultIds(keyBody.results)).toEqual(['long-key-3k']);
    });

    it('matches control characters in stored metadata and tags as spaces, sent either way', async () => {
      const longBase = base.replace(/from=[^&]*&to=[^&]*/, LONG_WINDOW_MINUTES);
      for (const query of [
        'meta.nul%20key=v',
        'meta.nul%00key=v',
        'meta.note=tab%20here%20and%20there',
        'meta.note=tab%09here%00and%1Fthere',
        'tags=nul%20tag',
        'tags=nul%00tag',
        'tags=line%0Abreak',
        'tags=line break',
      ]) {
        const body = await json(await t.get(`${longBase}&${query}`));
        const expected = expectedEvents(longEvents, parseCase(query), rules, {
          from: LONG_DAY - 3_600_000,
          to: LONG_DAY + 3_600_000,
        });
        expect([query, ids(expected)]).toEqual([query, ['control-characters']]);
        expect([query, resultIds(body.results)]).toEqual([query, ['control-characters']]);
      }
    });
  });

  it('stores a 100 KB metadata value, key and tag whole, and the query layer finds them by exact lookup', async () => {
    // A URI holds at most 4096 characters (SparkPost's limit), so the lookup is made below the API.
    const tooLong = await t.get(`/api/v1/events/message?${LONG_WINDOW}&meta.ref=${META_100K.slice(0, 5000)}`);
    expect(tooLong.status).toBe(404);
    expect((await json(tooLong)).errors[0]).toMatchObject({ message: 'URI too long', code: '1103' });
    const body = await json(await t.get(`/api/v1/events/message?${LONG_WINDOW}&event_ids=long-100k`));
    expect(body.results[0].rcpt_meta).toEqual({ ref: META_100K });
    expect(body.results[0].rcpt_tags).toEqual([TAG_100K]);
    const keyed = await json(await t.get(`/api/v1/events/message?${LONG_WINDOW}&event_ids=long-key-100k`));
    expect(keyed.results[0].rcpt_meta).toEqual({ [KEY_100K]: 'x' });
    const reader = createEventReader(t.service.db);
    const selection = { from: LONG_DAY - 3_600_000, to: LONG_DAY + 3_600_000 };
    for (const [filter, id] of [
      [{ kind: 'meta', key: 'ref', values: [META_100K] }, 'long-100k'],
      [{ kind: 'tags', values: [TAG_100K] }, 'long-100k'],
      [{ kind: 'meta', key: KEY_100K, values: ['x'] }, 'long-key-100k'],
    ] as const) {
      const rows = await reader.rows(buildPageQuery({ ...selection, filters: [filter] }, 10));
      expect(rows.map((row) => row.eventId)).toEqual([id]);
    }
  });

  it('Events API: links.next repeats tags and meta.<key> verbatim, and every page is filtered', async () => {
    const query = 'meta.interests=shoes|travel&tags=vip|promo|newsletter&delimiter=|&per_page=3';
    const all: string[] = [];
    let next: string | undefined = `/api/v1/events/message?${SEED_WINDOW}&${query}`;
    let pages = 0;
    while (next) {
      const body = await json(await t.get(next));
      all.push(...resultIds(body.results));
      pages += 1;
      next = body.links.next;
      if (next) {
        const params = new URL(`http://x${next}`).searchParams;
        expect(params.get('meta.interests')).toBe('shoes|travel');
        expect(params.get('tags')).toBe('vip|promo|newsletter');
        expect(params.get('delimiter')).toBe('|');
      }
    }
    const expected = expectedEvents(
      seeded,
      { 'meta.interests': ['shoes', 'travel'], tags: ['vip', 'promo', 'newsletter'] },
      EVENTS_API_RULES,
      window,
    );
    expect(pages).toBeGreaterThan(2);
    expect(all).toEqual(ids(expected));
  });

  it('legacy API: the page links repeat tags and meta.<key> verbatim, and page 2 is filtered', async () => {
    const base =
      '/api/v1/message-events?from=2025-09-01T00:00&to=2025-09-02T00:00&per_page=4&meta.plan.tier=gold&tags=vip,promo';
    const first = await json(await t.get(base));
    const nextLink = first.links.find((link: { rel: string }) => link.rel === 'next').href;
    const params = new URL(`http://x${nextLink}`).searchParams;
    expect(params.get('meta.plan.tier')).toBe('gold');
    expect(params.get('tags')).toBe('vip,promo');
    const second = await json(await t.get(nextLink));
    const expected = expectedEvents(
      seeded,
      { 'meta.plan.tier': ['gold'], tags: ['vip', 'promo'] },
      LEGACY_RULES,
      window,
    );
    expect(expected.length).toBeGreaterThan(8);
    expect([...resultIds(first.results), ...resultIds(second.results)]).toEqual(ids(expected.slice(0, 8)));
    expect(second.total_count).toBe(expected.length);
  });

  it('compares numbers and booleans by their JSON text: 5 matches 5 and "5", true matches true and "true"', async () => {
    const scores = new Set(
      (await json(await t.get(`${EVENTS_BASE}&meta.score=5`))).results.map(
        (e: FlatEvent) => (e.rcpt_meta as { score: unknown }).score,
      ),
    );
    expect(scores).toEqual(new Set([5, '5']));
    const vips = (await json(await t.get(`${EVENTS_BASE}&meta.vip=true`))).results.map(
      (e: FlatEvent) => (e.rcpt_meta as { vip: unknown }).vip,
    );
    expect(new Set(vips)).toEqual(new Set([true, 'true']));
  });

  it('names a key holding a dot like a nested key; null, {} and [] match nothing', async () => {
    const get = async (query: string) =>
      resultIds((await json(await t.get(`/api/v1/events/message?${LONG_WINDOW}&${query}`))).results);
    expect(await get('meta.plan.tier=dotted')).toEqual(['dotted-key']);
    for (const query of ['meta.maybe=null', 'meta.empty={}', 'meta.none=[]', 'meta.plan=dotted']) {
      expect([query, await get(query)]).toEqual([query, []]);
    }
  });

  it('matches a member of an array, and a key under objects inside an array', async () => {
    const travel = (await json(await t.get(`${EVENTS_BASE}&meta.interests=travel`))).results;
    expect(travel.length).toBeGreaterThan(0);
    for (const e of travel) expect((e.rcpt_meta as { interests: unknown[] }).interests).toContain('travel');
    const b2 = (await json(await t.get(`${EVENTS_BASE}&meta.orders.sku=B2`))).results;
    expect(b2.length).toBeGreaterThan(0);
    for (const e of b2) expect((e.rcpt_meta as { orders: unknown[] }).orders).toContainEqual({ sku: 'B2' });
  });
});

describe('page plans', () => {
  const selections: Array<[string, string]> = [
    ['every message event', ''],
    ['campaigns=friday,newsletter', 'campaigns=friday,newsletter'],
    ['recipients=c@gmail.com', 'recipients=c@gmail.com'],
    ['subjects=black friday', 'subjects=black friday'],
  ];

  it.each(selections)(
    '%s: the fenced and the ordered plan read the same rows, after a cursor and at an offset',
    async (_name, filter) => {
      const reader = createEventReader(t.service.db);
      const spec = parseEventsApiQuery(`${SEED_WINDOW}&${filter}`, SEED_TO);
      const all = await reader.rows(buildPageQuery(spec, 10_000));
      expect(all.length).toBeGreaterThan(3);
      const middle = all[Math.floor(all.length / 2)] as StoredRow;
      const after = { ts: middle.ts, eventId: middle.eventId, type: middle.type };
      for (const [limit, cursor, offset] of [
        [10_000, undefined, 0],
        [5, undefined, 0],
        [5, after, 0],
        [5, undefined, 3],
        [5, after, 2],
      ] as const) {
        const ordered = await reader.rows(buildPageQuery(spec, limit, cursor, offset, 'ordered'));
        const fenced = await reader.rows(buildPageQuery(spec, limit, cursor, offset, 'fenced'));
        expect(fenced.map((row) => row.eventId)).toEqual(ordered.map((row) => row.eventId));
      }
    },
  );
});

describe('self-documentation endpoints', () => {
  it.each([
    '/api/v1/events/message/documentation',
    '/api/v1/events/message/samples?events=bounce',
    '/api/v1/message-events/events/documentation',
    '/api/v1/message-events/events/samples',
  ])('%s answers without an API key, as SparkPost’s does', async (path) => {
    const response = await t.get(path, { auth: null });
    expect(response.status).toBe(200);
    expect((await json(response)).results.length).toBeGreaterThan(0);
  });

  it('samples round-trip: a sample posted as a webhook event is found by the Events API', async () => {
    const [sample] = (await json(await t.get('/api/v1/events/message/samples?events=delivery'))).results;
    const event = { ...sample, event_id: 'sample-roundtrip', timestamp: '1757000000' };
    const posted = await t.postBatch(JSON.stringify([{ msys: { message_event: event } }]), {
      batchId: 'sample-roundtrip',
    });
    expect(posted.status).toBe(200);
    await t.loaded();
    const body = await json(
      await t.get(
        `/api/v1/events/message?from=2025-09-04T00:00&to=2025-09-05T00:00&events=delivery&messages=${sample.message_id}`,
      ),
    );
    expect(resultIds(body.results)).toEqual(['sample-roundtrip']);
  });
});

describe('errors in SparkPost’s shape', () => {
  it.each([
    ['/api/v1/events/message?from=2025-13-01T00:00', 'Invalid from parameter'],
    ['/api/v1/events/message?from=2025-09-02T00:00&to=2025-09-01T00:00', 'Invalid time range'],
    ['/api/v1/events/message?per_page=10001', 'Invalid per_page parameter'],
    ['/api/v1/events/message?events=delivered', 'Invalid events parameter'],
    ['/api/v1/events/message?cursor=bm90IGEgY3Vyc29y', 'Invalid cursor parameter'],
    ['/api/v1/events/message?ab_test_versions=1', 'Missing ab_tests parameter'],
    ['/api/v1/events/message?bounce_classes=hard', 'Invalid bounce_classes parameter'],
    ['/api/v1/events/message?subaccounts=primary', 'Invalid subaccounts parameter'],
    ['/api/v1/message-events?timezone=Mars/Olympus', 'Invalid timezone parameter'],
    ['/api/v1/message-events?page=0', 'Invalid page parameter'],
    ['/api/v1/message-events?page=1000000000000000&per_page=10000', 'Invalid page parameter'],
    ['/api/v1/events/message?from=0000-01-01T00:00%2B05:00', 'Invalid from parameter'],
    ['/api/v1/message-events?from=yesterday', 'Invalid from parameter'],
    ['/api/v1/events/message?meta.=x', 'Invalid meta parameter'],
    ['/api/v1/message-events?meta.&tags=vip', 'Invalid meta parameter'],
  ])('%# → 400 %s', async (path, message) => {
    const response = await t.get(path);
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body).toEqual({
      errors: [{ message, description: expect.any(String), code: expect.stringMatching(/^\d+$/) }],
    });
  });

  it.each([['/api/v1/events/message'], ['/api/v1/message-events']])(
    'answers %s over SparkPost\'s 4096-character URI limit with 404, code 1103 ("invalid query string")',
    async (path) => {
      const response = await t.get(`${path}?recipients=${'x'.repeat(4100)}`);
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual({
        errors: [{ message: 'URI too long', description: expect.any(String), code: '1103' }],
      });
    },
  );

  it('ignores unknown parameters, as SparkPost does', async () => {
    const response = await t.get(`/api/v1/events/message?${SEED_WINDOW}&timezone=UTC&sort=asc&whatever=1`);
    expect(response.status).toBe(200);
    expect((await json(response)).total_count).toBe(
      expectedEvents(seeded, {}, EVENTS_API_RULES, { from: SEED_FROM, to: SEED_TO }).length,
    );
  });
});
