import { fixture } from '../helpers/fixtures';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * Golden tests: SparkPost's own legacy Message Events responses (April 2017) are reproduced by loading
 * their events through the webhook, as SparkPost would have delivered them, and issuing their queries.
 */
interface LegacyFixture {
  links: Array<{ href: string; rel: string }>;
  results: Array<Record<string, unknown>>;
  total_count: number;
}

const CATEGORY: Record<string, string> = { click: 'track_event', open: 'track_event' };

/** A legacy result back to the webhook element it came from: epoch-seconds timestamp, no tdate. */
function asWebhookElement(result: Record<string, unknown>) {
  const { tdate: _tdate, timestamp, ...event } = result;
  const seconds = Date.parse(timestamp as string) / 1000;
  return {
    msys: { [CATEGORY[event.type as string] ?? 'message_event']: { ...event, timestamp: String(seconds) } },
  };
}

let t: TestService;

beforeAll(async () => {
  t = await startTestService();
  const all = fixture<LegacyFixture>('legacy-message-events-response.json');
  const response = await t.postBatch(JSON.stringify(all.results.map(asWebhookElement)), {
    batchId: 'legacy-golden',
  });
  expect(response.status).toBe(200);
  await t.loaded();
});
afterAll(async () => {
  await t.stop();
});

describe('legacy GET /api/v1/message-events reproduces SparkPost’s responses', () => {
  it('all three events on one page: same results, total_count 3, empty links', async () => {
    const expected = fixture<LegacyFixture>('legacy-message-events-response.json');
    const response = await t.get(
      '/api/v1/message-events?from=2017-04-26T00:00&to=2017-04-27T01:09&timezone=UTC',
    );
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual(expected);
  });

  it.each([
    ['legacy-message-events-response-1.json', 1],
    ['legacy-message-events-response-2.json', 2],
    ['legacy-message-events-response-3.json', 3],
  ])('%s: page %i of per_page=1, with its links', async (name, page) => {
    const expected = fixture<LegacyFixture>(name);
    // Each response's own links name the window it was queried with.
    const window = new URL(`http://x${expected.links[0]?.href}`).searchParams;
    const query = `page=${page}&per_page=1&from=${window.get('from')}&to=${window.get('to')}&timezone=UTC`;
    const response = await t.get(`/api/v1/message-events?${query}`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual(expected);
    // Value types, stated explicitly: strings where SparkPost sent strings.
    const [result] = body.results;
    expect(typeof result.customer_id).toBe('string');
    expect(typeof result.template_version).toBe('string');
    expect(typeof result.geo_ip.latitude).toBe('string');
    expect(result.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/);
  });
});
