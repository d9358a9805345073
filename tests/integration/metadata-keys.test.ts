import { createHash } from 'node:crypto';
import { makeEvent } from '../helpers/make-events';
import { seedElements } from '../helpers/seed';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * GET /api/v1/events/message/metadata-keys on a loaded service: every rcpt_meta key path that
 * `meta.<key>` filters can name, with the newest day an event carried it, sorted by key.
 */
let t: TestService;
const PATH = '/api/v1/events/message/metadata-keys';
const LONG_KEY = 'k'.repeat(300);

beforeAll(async () => {
  t = await startTestService();
  const others = [
    makeEvent({ ts: Date.UTC(2025, 7, 20, 9), id: 'early', fields: { rcpt_meta: { early_key: 'x' } } }),
    makeEvent({
      ts: Date.UTC(2025, 8, 10, 9),
      id: 'late',
      fields: { rcpt_meta: { late_key: 1, user_id: 'u-1', 'nul\u0000key': 'x', [LONG_KEY]: true } },
    }),
  ];
  for (const [batchId, batch] of [
    ['seed', seedElements()],
    ['others', others],
  ] as const) {
    expect((await t.postBatch(JSON.stringify(batch), { batchId })).status).toBe(200);
  }
  await t.loaded();
});
afterAll(async () => {
  await t.stop();
});

const keysOf = async (query = '') => {
  const response = await t.get(`${PATH}${query}`);
  expect(response.status).toBe(200);
  return (await json(response)).results;
};

const HASHED_LONG_KEY = `#${createHash('sha256').update(LONG_KEY).digest('hex')}`;

describe('the metadata keys endpoint', () => {
  it('lists every key path seen, nested keys dotted, sorted by key, each with the day it was last seen', async () => {
    expect(await keysOf()).toEqual(
      [
        { key: HASHED_LONG_KEY, last_seen: '2025-09-10' },
        { key: 'early_key', last_seen: '2025-08-20' },
        { key: 'interests', last_seen: '2025-09-01' },
        { key: 'late_key', last_seen: '2025-09-10' },
        { key: 'note', last_seen: '2025-09-01' },
        { key: 'nul key', last_seen: '2025-09-10' },
        { key: 'orders.sku', last_seen: '2025-09-01' },
        { key: 'plan.seats', last_seen: '2025-09-01' },
        { key: 'plan.tier', last_seen: '2025-09-01' },
        { key: 'score', last_seen: '2025-09-01' },
        { key: 'user_id', last_seen: '2025-09-10' },
        { key: 'vip', last_seen: '2025-09-01' },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
  });

  it('lists only the keys last seen on a day the from/to window overlaps', async () => {
    const keys = async (query: string) => (await keysOf(query)).map((entry: { key: string }) => entry.key);
    expect(await keys('?from=2025-09-02T00:00:00Z')).toEqual([
      HASHED_LONG_KEY,
      'late_key',
      'nul key',
      'user_id',
    ]);
    expect(await keys('?to=2025-09-01T00:00:00Z')).toEqual(['early_key']);
    expect(await keys('?from=2025-09-01T12:00&to=2025-09-01T13:00')).toEqual([
      'interests',
      'note',
      'orders.sku',
      'plan.seats',
      'plan.tier',
      'score',
      'vip',
    ]);
    expect(await keys('?from=2025-08-01T00:00&to=2025-08-20T00:00')).toEqual([]);
  });

  it('names keys the way meta.<key> filters take them', async () => {
    const window = 'from=2025-09-10T00:00:00Z&to=2025-09-11T00:00:00Z';
    for (const query of ['meta.late_key=1', 'meta.nul%20key=x', `meta.${LONG_KEY}=true`]) {
      const body = await json(await t.get(`/api/v1/events/message?${window}&${query}`));
      expect([query, body.results.map((e: { event_id: string }) => e.event_id)]).toEqual([query, ['late']]);
    }
  });

  it('answers 401 without the API key, and 400 in SparkPost’s shape for a bad window', async () => {
    expect((await t.get(PATH, { auth: null })).status).toBe(401);
    for (const [query, message] of [
      ['?from=2025-09-02T00:00&to=2025-09-01T00:00', 'Invalid time range'],
      ['?from=yesterday', 'Invalid from parameter'],
      ['?to=2025-13-01T00:00', 'Invalid to parameter'],
    ]) {
      const response = await t.get(`${PATH}${query}`);
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({
        errors: [{ message, description: expect.any(String), code: '1200' }],
      });
    }
  });
});
