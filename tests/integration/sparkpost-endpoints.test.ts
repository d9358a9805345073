import SparkPost from 'sparkpost';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * The SparkPost endpoints clients call besides the two searches: the ingest events search
 * (developers.sparkpost.com `content/api/events.apib`, "Search for Ingest Events") and the webhook
 * self-documentation (webhooks.apib; gosparkpost `EventDocumentation`, node-sparkpost
 * `webhooks.getDocumentation`/`getSamples`), through the local service as users run it.
 */

const DAY = '2026-11-20';
const WINDOW = `from=${DAY}T00:00:00Z&to=${DAY}T23:59:59Z`;
const at = (hour: number) => String(Date.UTC(2026, 10, 20, hour) / 1000);

/** Ingest events as the webhook carries them (`msys.ingest_event`; events.apib's result fields). */
const INGEST = [
  {
    type: 'success',
    event_id: 'a0000000-0000-4000-8000-000000000001',
    batch_id: 'b0000000-0000-4000-8000-000000000001',
    number_succeeded: 440,
    number_duplicates: 0,
    expiration_timestamp: '2026-11-30T01:00:00.000Z',
    customer_id: '8675308',
    timestamp: at(1),
  },
  {
    type: 'error',
    event_id: 'a0000000-0000-4000-8000-000000000002',
    batch_id: 'b0000000-0000-4000-8000-000000000002',
    error_type: 'validation',
    retryable: false,
    number_succeeded: 440,
    number_failed: 460,
    number_duplicates: 20,
    href: 'https://api.sparkpost.com/ingest/number_failed/b0000000-0000-4000-8000-000000000002',
    expiration_timestamp: '2026-11-30T02:00:00.000Z',
    customer_id: '8675308',
    subaccount_id: '38',
    timestamp: at(2),
  },
  {
    type: 'error',
    event_id: 'a0000000-0000-4000-8000-000000000003',
    batch_id: 'b0000000-0000-4000-8000-000000000003',
    error_type: 'system',
    retryable: true,
    number_succeeded: 0,
    number_failed: 12,
    number_duplicates: 0,
    customer_id: '8675308',
    timestamp: at(3),
  },
];

/** A type SparkPost might add: stored by the webhook like any other. */
const NEW_TYPE = {
  type: 'amp_unsubscribe',
  event_id: 'n-1',
  rcpt_to: 'bob@example.com',
  customer_id: '8675308',
  timestamp: at(5),
};

const RELAY = { type: 'relay_delivery', event_id: 'r-1', customer_id: '8675308', timestamp: at(6) };

const DELIVERY = {
  type: 'delivery',
  event_id: 'd-1',
  rcpt_to: 'alice@example.com',
  friendly_from: 'news@shop.example',
  customer_id: '8675308',
  timestamp: at(4),
};

let t: TestService;

beforeAll(async () => {
  t = await startTestService();
  const batch = [
    ...INGEST.map((event) => ({ msys: { ingest_event: event } })),
    { msys: { message_event: DELIVERY } },
    { msys: { unsubscribe_event: NEW_TYPE } },
    { msys: { relay_event: RELAY } },
  ];
  expect((await t.postBatch(JSON.stringify(batch), { batchId: 'ingest-batch' })).status).toBe(200);
  await t.loaded();
});
afterAll(async () => {
  await t?.stop();
});

const ids = (body: { results: Array<{ event_id: string }> }) => body.results.map((event) => event.event_id);

describe('GET /api/v1/events/ingest (events.apib "Search for Ingest Events")', () => {
  it('returns the success and error events by default (events defaults to success,error), newest first, in the Events API representation', async () => {
    const response = await t.get(`/api/v1/events/ingest?${WINDOW}`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.total_count).toBe(3);
    expect(ids(body)).toEqual([INGEST[2]?.event_id, INGEST[1]?.event_id, INGEST[0]?.event_id]);
    expect(body.links).toEqual({});
    const [, error, success] = body.results;
    expect(error).toMatchObject({
      type: 'error',
      retryable: false,
      customer_id: 8675308,
      subaccount_id: 38,
      number_failed: 460,
      timestamp: `${DAY}T02:00:00.000Z`,
    });
    // A success event, as in 2web2ui's ingest fixture: no subaccount_id when it has none, no domains.
    expect(success).not.toHaveProperty('subaccount_id');
    expect(success).not.toHaveProperty('recipient_domain');
  });

  it.each([
    ['events=success', [0]],
    ['events=error', [2, 1]],
    ['error_types=validation', [1]],
    ['error_types=system,validation', [2, 1]],
    ['retryable=true', [2]],
    ['retryable=false', [1]],
    ['batch_ids=b0000000-0000-4000-8000-000000000001,b0000000-0000-4000-8000-000000000003', [2, 0]],
    ['event_ids=a0000000-0000-4000-8000-000000000002', [1]],
    ['subaccounts=38', [1]],
    ['subaccounts=0', [2, 0]],
  ])('filters by %s as the ingest search documents it', async (query, expected) => {
    const body = await json(await t.get(`/api/v1/events/ingest?${WINDOW}&${query}`));
    expect(ids(body)).toEqual(expected.map((i) => INGEST[i]?.event_id));
    expect(body.total_count).toBe(expected.length);
  });

  it('pages with the cursor: links.next under /api/v1/events/ingest keeps the filters', async () => {
    const seen: string[] = [];
    let next: string | undefined = `/api/v1/events/ingest?${WINDOW}&per_page=1&events=success,error`;
    while (next) {
      const body = await json(await t.get(next));
      seen.push(...ids(body));
      next = body.links.next;
      if (next) expect(next).toMatch(/^\/api\/v1\/events\/ingest\?cursor=.*&events=success,error/);
    }
    expect(seen).toEqual([INGEST[2]?.event_id, INGEST[1]?.event_id, INGEST[0]?.event_id]);
  });

  it.each(['events=delivery', 'retryable=maybe', 'subaccounts=abc', 'per_page=0'])(
    'refuses %s with 400 in SparkPost error shape',
    async (query) => {
      const response = await t.get(`/api/v1/events/ingest?${WINDOW}&${query}`);
      expect(response.status).toBe(400);
      expect((await json(response)).errors[0].message).toEqual(expect.any(String));
    },
  );

  it('needs an API key, as every SparkPost search does', async () => {
    expect((await t.get(`/api/v1/events/ingest?${WINDOW}`, { auth: null })).status).toBe(401);
  });
});

describe('webhook self-documentation through node-sparkpost (webhooks.getDocumentation/getSamples)', () => {
  const client = () => new SparkPost('not-needed', { origin: t.service.url });

  it('answers getDocumentation with the categories of SparkPost’s webhook documentation, without a real key (public, as SparkPost’s)', async () => {
    const { results } = await client().webhooks.getDocumentation();
    expect(Object.keys(results)).toEqual(
      expect.arrayContaining([
        'message_event',
        'track_event',
        'gen_event',
        'unsubscribe_event',
        'relay_event',
      ]),
    );
    expect(results.message_event.events.bounce.event.customer_id.sampleValue).toBe('1');
  });

  it('answers getSamples({ events }) with batch elements in the order requested', async () => {
    const { results } = await client().webhooks.getSamples({ events: 'delivery,click' });
    expect(
      results.map((element: { msys: Record<string, { type: string }> }) => Object.keys(element.msys)[0]),
    ).toEqual(['message_event', 'track_event']);
    expect(results[0].msys.message_event.type).toBe('delivery');
  });

  it('serves both as application/json with no Authorization header at all (java-sparkpost’s generator sends none)', async () => {
    for (const path of [
      '/api/v1/webhooks/events/documentation',
      '/api/v1/webhooks/events/samples?events=bounce',
    ]) {
      const response = await t.get(path, { auth: null });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });
});

describe('event types in the message searches', () => {
  it.each(['/api/v1/events/message', '/api/v1/message-events'])(
    '%s takes in events= a type the service has stored, as it returns it by default',
    async (path) => {
      const window = path.includes('message-events') ? `from=${DAY}T00:00&to=${DAY}T23:59` : WINDOW;
      const all = await json(await t.get(`${path}?${window}`));
      expect(ids(all)).toEqual(['n-1', 'd-1']);
      const named = await t.get(`${path}?${window}&events=amp_unsubscribe`);
      expect(named.status).toBe(200);
      expect(ids(await json(named))).toEqual(['n-1']);
      expect((await t.get(`${path}?${window}&events=never_seen`)).status).toBe(400);
    },
  );

  it.each([
    ['/api/v1/events/message', 'relay_delivery'],
    ['/api/v1/events/message', 'success'],
    ['/api/v1/message-events', 'relay_delivery'],
    ['/api/v1/message-events', 'error'],
  ])(
    '%s refuses events=%s with 400 (not a message event: served where SparkPost serves it)',
    async (path, type) => {
      const response = await t.get(`${path}?events=${type}`);
      expect(response.status).toBe(400);
      expect((await json(response)).errors[0].description).toContain('/api/v1/events/ingest');
    },
  );
});
