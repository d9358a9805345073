import { rowsOfBatch } from '../../src/core/events/rows';
import { parseEventsApiQuery } from '../../src/core/query/events-api';
import { parseLegacyQuery } from '../../src/core/query/legacy-api';
import {
  buildCountQuery,
  buildPageQuery,
  buildWindowRowsQuery,
  type EventsSelection,
  type SqlQuery,
} from '../../src/core/query/sql';
import { createEventStore } from '../../src/db/event-store';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * Every filter is index-backed: with enough rows in a day partition that the planner has a real choice,
 * no single-parameter query (page or count) reads a partition sequentially.
 */
const DAY = Date.UTC(2025, 9, 15);
const ROWS = 40_000;
let database: TestDatabase;

/** Distinct, realistic-enough events: large pools so that one value selects a small share of the day. */
function element(i: number) {
  const type = i % 50 === 0 ? 'bounce' : i % 3 === 0 ? 'injection' : i % 3 === 1 ? 'delivery' : 'open';
  const event: Record<string, unknown> = {
    type,
    event_id: `plan-${i}`,
    timestamp: String(Math.floor((DAY + (i * 86_399_000) / ROWS) / 1000)),
    rcpt_to: `user${i % 9000}@domain${i % 700}.example`,
    friendly_from: `news@brand${i % 300}.example`,
    subject: `Offer ${i % 400} for week ${i % 52}`,
    campaign_id: `campaign-${i % 200}`,
    template_id: `template_${i % 150}`,
    sending_ip: `10.1.${i % 100}.${i % 7}`,
    ip_pool: `pool_${i % 120}`,
    subaccount_id: String(i % 250),
    message_id: `m${Math.floor(i / 3)}`,
    transmission_id: String(500_000 + Math.floor(i / 40)),
    mailbox_provider: `Provider ${i % 90}`,
    mailbox_provider_region: `Region ${i % 80}`,
    ab_test_id: `test-${i % 100}`,
    ab_test_version: String(i % 5),
    rcpt_tags: [`tag-${i % 300}`, `group-${i % 40}`],
    rcpt_meta: {
      user_id: `u${i % 9000}`,
      score: i % 100,
      vip: i % 2 === 0,
      plan: { tier: `tier-${i % 30}` },
    },
  };
  if (type === 'bounce') {
    event.bounce_class = String(10 + (i % 40));
    event.reason = `550 5.1.${i % 9} mailbox ${i % 600} unavailable`;
  }
  return { msys: { message_event: event } };
}

beforeAll(async () => {
  database = await createTestDatabase();
  const store = createEventStore(database.db);
  for (let start = 0; start < ROWS; start += 2000) {
    const batch = Array.from({ length: 2000 }, (_, k) => element(start + k));
    await store.load({
      batchId: `plan-${start}`,
      objectKey: `batches/plan-${start}.json.gz`,
      receivedAt: new Date(),
      rows: rowsOfBatch(batch, 0).rows,
      skipped: 0,
    });
  }
  await database.db.query('ANALYZE events');
}, 120_000);
afterAll(async () => {
  await database.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function explain(query: SqlQuery): Promise<PlanNode[]> {
  const result = await database.db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
    `EXPLAIN (FORMAT JSON) ${query.text}`,
    query.values,
  );
  const plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan;
  if (!plan) throw new Error('no plan');
  return nodes(plan);
}

const window = 'from=2025-10-15T00:00:00Z&to=2025-10-16T00:00:00Z';
const NOW = Date.UTC(2025, 9, 20);

const eventsApiCases = [
  'event_ids=plan-123',
  'events=bounce',
  'recipients=user77@domain77.example',
  'recipient_domains=domain123',
  'from_addresses=news@brand17.example',
  'sending_domains=brand17',
  'subjects=offer 17',
  'bounce_classes=17',
  'reasons=5.1.3',
  'campaigns=campaign-42',
  'templates=template_7',
  'sending_ips=10.1.33.5',
  'ip_pools=pool_99',
  'subaccounts=201',
  'messages=m4000',
  'transmissions=500123',
  'mailbox_providers=provider 12',
  'mailbox_provider_regions=region 33',
  'ab_tests=test-5',
  'tags=tag-17',
  'tags=no-such-tag',
  'meta.user_id=u77',
  'meta.user_id=nobody',
  'meta.plan.tier=tier-3',
  'meta.score=42',
  'meta.vip=true&tags=tag-3',
];
const legacyCases = [
  'recipients=user77@domain77.example',
  'friendly_froms=news@brand17.example',
  'bounce_classes=17',
  'reason=mailbox 123 unavailable',
  'subaccounts=201',
  'transmission_ids=500123',
  'campaign_ids=campaign-42',
  'template_ids=template_7',
  'ab_test_ids=test-5',
  'message_ids=m4000',
  'tags=tag-17',
  'meta.user_id=u77',
  'meta.plan.tier=no-such-tier',
];

/** Whichever page plan search.ts chooses, and the count, read the partition through an index. */
async function expectIndexed(selection: EventsSelection, limit: number, offset = 0) {
  for (const query of [
    buildPageQuery(selection, limit, undefined, offset, 'ordered'),
    buildPageQuery(selection, limit, undefined, offset, 'fenced'),
    buildCountQuery(selection),
  ]) {
    const plan = await explain(query);
    const scans = plan.filter(
      (node) => node['Node Type'].includes('Scan') && node['Relation Name']?.startsWith('events_'),
    );
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
  }
}

describe('query plans on a day partition of 40,000 events', () => {
  it('has the rows in one partition', async () => {
    const count = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events_20251015');
    expect(count.rows[0]?.n).toBe(ROWS);
  });

  it.each(eventsApiCases)('Events API %s uses an index', async (query) => {
    const spec = parseEventsApiQuery(`${window}&${query}`, NOW);
    await expectIndexed(spec, spec.perPage + 1);
  });

  it.each(legacyCases)('legacy %s uses an index', async (query) => {
    const spec = parseLegacyQuery(`from=2025-10-15T00:00&to=2025-10-16T00:00&${query}`, NOW);
    await expectIndexed(spec, spec.perPage);
  });

  it('(control) the check does see a sequential scan: counting a whole day with no filter reads it all', async () => {
    const plan = await explain(buildCountQuery(parseEventsApiQuery(window, NOW)));
    expect(plan.some((node) => node['Node Type'] === 'Seq Scan')).toBe(true);
  });

  it('estimates the rows of a window from the partitions’ statistics, prorated by the share of each day', async () => {
    const estimate = async (from: number, to: number) =>
      Number(
        (
          await database.db.query(
            buildWindowRowsQuery({ from, to }).text,
            buildWindowRowsQuery({ from, to }).values,
          )
        ).rows[0]?.count,
      );
    expect(await estimate(DAY, DAY + 86_400_000)).toBeGreaterThan(ROWS * 0.9);
    expect(await estimate(DAY, DAY + 86_400_000)).toBeLessThan(ROWS * 1.1);
    expect(await estimate(DAY - 86_400_000, DAY + 43_200_000)).toBeGreaterThan(ROWS * 0.45);
    expect(await estimate(DAY - 86_400_000, DAY + 43_200_000)).toBeLessThan(ROWS * 0.55);
    expect(await estimate(DAY + 86_400_000, DAY + 2 * 86_400_000)).toBe(0);
  });

  it('the legacy reason substring uses the trigram index', async () => {
    const spec = parseLegacyQuery('from=2025-10-15T00:00&to=2025-10-16T00:00&reason=box 12', NOW);
    const plan = await explain(buildCountQuery(spec));
    expect(
      plan.some(
        (node) =>
          'Index Name' in node && String((node as { 'Index Name': string })['Index Name']).includes('reason'),
      ),
    ).toBe(true);
  });
});
