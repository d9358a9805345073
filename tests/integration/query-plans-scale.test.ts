import { rowsOfBatch } from '../../src/core/events/rows';
import type { EventReader } from '../../src/core/ports';
import { parseEventsApiQuery } from '../../src/core/query/events-api';
import { type SearchDeps, searchLegacyMessageEvents, searchMessageEvents } from '../../src/core/query/search';
import { buildPageQuery, type SqlQuery } from '../../src/core/query/sql';
import { DAY_MS, utcDaysBetween } from '../../src/core/time';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import type { Queryable } from '../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * The plans the service runs on a realistic volume: 1,000,000 events in a 24-hour window over two day
 * partitions. With this many rows the planner, which cannot tell how rare a term is, would walk the time
 * index newest first and filter nearly every row of the window for a rare or absent value (seconds at 1M
 * rows, 20 s at 3.4M). For every filter parameter of both APIs, a rare value (three events) and an
 * absent one, at every page size, the statements search.ts issues must fetch the matches through an
 * index: never a walk of the time index that filters rows on the way, never a sequential scan.
 *
 * The data: BASE distinct events loaded through the real path (rowsOfBatch + the event store), copied
 * COPIES times in SQL at later times (each copy keeps its original's terms and body; only ts and
 * event_id change), the indexes rebuilt, then three events carrying a rare value for every filter, then
 * ANALYZE. Set PLAN_TIMINGS=1 to print how long each search took (timings are never asserted).
 */
const FROM = Date.UTC(2025, 9, 15, 12);
const TO = FROM + DAY_MS;
const BASE = 10_000;
const COPIES = 100;
const NOW = Date.UTC(2025, 10, 1);
const EVENTS_WINDOW = 'from=2025-10-15T12:00:00Z&to=2025-10-16T12:00:00Z';
const LEGACY_WINDOW = 'from=2025-10-15T12:00&to=2025-10-16T12:00';
const PAGE_SIZES = [1, 100, 1000, 10_000];

let database: TestDatabase;
let deps: SearchDeps;
/** The statements the current search has issued, in order. */
const issued: SqlQuery[] = [];
const timings: string[] = [];

/** Realistic events with pools of values of very different sizes (a few per cent down to 0.01%). */
function baseElement(i: number) {
  const type = i % 50 === 0 ? 'bounce' : i % 3 === 0 ? 'injection' : i % 3 === 1 ? 'delivery' : 'open';
  const ts = FROM + Math.floor((i * DAY_MS) / (BASE * COPIES));
  const domain = `domain${i % 700}.example`;
  const event: Record<string, unknown> = {
    type,
    event_id: String(8_000_000_000_000_000 + i * COPIES),
    timestamp: (ts / 1000).toFixed(3),
    injection_time: new Date(ts - 1500).toISOString(),
    rcpt_to: `user${i % 9000}@${domain}`,
    raw_rcpt_to: `User${i % 9000}@${domain}`,
    routing_domain: domain,
    rcpt_type: 'to',
    rcpt_tags: ['newsletter', `segment-${i % 10}`],
    rcpt_meta: { customer: `c${i % 1000}`, plan: 'pro' },
    friendly_from: `news@brand${i % 300}.example`,
    msg_from: `bounces@brand${i % 300}.example`,
    sending_domain: `mail.brand${i % 300}.example`,
    subject: `Offer ${i % 400} for week ${i % 52}`,
    campaign_id: i % 5 === 0 ? 'weekly-newsletter' : `campaign-${i % 200}`,
    template_id: `template_${i % 150}`,
    template_version: '3',
    sending_ip: `10.1.${i % 100}.${i % 7}`,
    ip_address: `10.1.${i % 100}.${i % 7}`,
    ip_pool: `pool_${i % 120}`,
    customer_id: '1234',
    subaccount_id: String(i % 250),
    message_id: `0e0${(i * 7919).toString(16)}a1b2c3`,
    transmission_id: String(500_000 + Math.floor(i / 40)),
    mailbox_provider: `Provider ${i % 90}`,
    mailbox_provider_region: `Region ${i % 80}`,
    ab_test_id: `test-${i % 100}`,
    ab_test_version: String(i % 5),
    msg_size: String(1000 + (i % 5000)),
    num_retries: '0',
    queue_time: String(i % 900),
    recv_method: 'rest',
    delv_method: 'esmtp',
    transactional: '0',
  };
  if (type === 'bounce') {
    event.bounce_class = String(10 + ((i / 50) % 40));
    event.reason = `550 5.1.${i % 9} mailbox ${i % 600} unavailable`;
    event.raw_reason = event.reason;
    event.error_code = '550';
  }
  if (type === 'open') {
    event.user_agent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)';
    event.geo_ip = { country: 'US', region: 'MD', city: 'Columbia', latitude: 39.1, longitude: -76.8 };
  }
  return { msys: { [type === 'open' ? 'track_event' : 'message_event']: event } };
}

/**
 * Three events of one message, early, midway and late in the window, each value found nowhere else (a
 * rare tag beside a common one, rare rcpt_meta values under a common key and a nested one).
 */
function rareElements() {
  return [1, 12, 23].map((hour, n) => ({
    msys: {
      message_event: {
        type: 'out_of_band',
        event_id: `rare-event-${n}`,
        timestamp: String((FROM + hour * 3_600_000) / 1000),
        rcpt_to: 'quokka@wombat-rare.example',
        friendly_from: 'hello@numbat.example',
        subject: 'Axolotl spotted',
        bounce_class: '77',
        reason: '554 5.7.1 quetzal policy',
        campaign_id: 'zephyr-launch',
        template_id: 'okapi_template',
        sending_ip: '10.99.99.99',
        ip_pool: 'pangolin_pool',
        subaccount_id: '9001',
        message_id: 'rare-message',
        transmission_id: '999001',
        mailbox_provider: 'Tapir Mail',
        mailbox_provider_region: 'Antarctica',
        ab_test_id: 'kakapo-test',
        ab_test_version: '42',
        rcpt_tags: ['newsletter', 'axolotl-tag'],
        rcpt_meta: { customer: 'c-rare-quokka', plan: 'pro', account: { region: 'antarctica' } },
      },
    },
  }));
}

/** [parameter(s), rare value, absent value]; the rare value matches the three rare events. */
const EVENTS_API_CASES: ReadonlyArray<readonly [string, string, string]> = [
  ['events', 'events=out_of_band', 'events=amp_initial_open'],
  ['event_ids', 'event_ids=rare-event-1', 'event_ids=no-such-event'],
  ['recipients', 'recipients=quokka@wombat-rare.example', 'recipients=nobody@nowhere.example'],
  ['recipient_domains', 'recipient_domains=wombat', 'recipient_domains=nowhere'],
  ['from_addresses', 'from_addresses=hello@numbat.example', 'from_addresses=nobody@nowhere.example'],
  ['sending_domains', 'sending_domains=numbat', 'sending_domains=nowhere'],
  ['subjects', 'subjects=axolotl', 'subjects=nosuchword'],
  ['subjects (phrase)', 'subjects=axolotl spotted', 'subjects=offer nosuchword'],
  ['bounce_classes', 'bounce_classes=77', 'bounce_classes=78'],
  ['reasons', 'reasons=quetzal', 'reasons=nosuchword'],
  ['campaigns', 'campaigns=zephyr', 'campaigns=nomatch'],
  ['campaigns (phrase)', 'campaigns=zephyr launch', 'campaigns=weekly launch'],
  ['templates', 'templates=okapi', 'templates=nosuchword'],
  ['sending_ips', 'sending_ips=10.99.99.99', 'sending_ips=10.99.99.98'],
  ['ip_pools', 'ip_pools=pangolin', 'ip_pools=nosuchword'],
  ['subaccounts', 'subaccounts=9001', 'subaccounts=9002'],
  ['messages', 'messages=rare-message', 'messages=no-such-message'],
  ['transmissions', 'transmissions=999001', 'transmissions=999002'],
  ['mailbox_providers', 'mailbox_providers=tapir', 'mailbox_providers=nosuchword'],
  ['mailbox_provider_regions', 'mailbox_provider_regions=antarctica', 'mailbox_provider_regions=atlantis'],
  ['ab_tests', 'ab_tests=kakapo', 'ab_tests=nosuchword'],
  ['ab_test_versions', 'ab_tests=test&ab_test_versions=42', 'ab_tests=test&ab_test_versions=43'],
  ['tags', 'tags=axolotl-tag', 'tags=no-such-tag'],
  ['meta.<key>', 'meta.customer=c-rare-quokka', 'meta.customer=c-nobody'],
  ['meta.<nested key>', 'meta.account.region=antarctica', 'meta.account.region=atlantis'],
];

const LEGACY_CASES: ReadonlyArray<readonly [string, string, string]> = [
  ['events', 'events=out_of_band', 'events=amp_initial_open'],
  ['recipients', 'recipients=quokka@wombat-rare.example', 'recipients=nobody@nowhere.example'],
  ['friendly_froms', 'friendly_froms=hello@numbat.example', 'friendly_froms=nobody@nowhere.example'],
  ['bounce_classes', 'bounce_classes=77', 'bounce_classes=78'],
  ['subaccounts', 'subaccounts=9001', 'subaccounts=9002'],
  ['transmission_ids', 'transmission_ids=999001', 'transmission_ids=999002'],
  ['campaign_ids', 'campaign_ids=zephyr-launch', 'campaign_ids=zephyr-landing'],
  ['template_ids', 'template_ids=okapi_template', 'template_ids=okapi_other'],
  ['ab_test_ids', 'ab_test_ids=kakapo-test', 'ab_test_ids=kea-test'],
  ['message_ids', 'message_ids=rare-message', 'message_ids=no-such-message'],
  ['reason', 'reason=quetzal', 'reason=xylophone'],
  ['tags', 'tags=axolotl-tag', 'tags=no-such-tag'],
  ['meta.<key>', 'meta.customer=c-rare-quokka', 'meta.customer=c-nobody'],
  ['meta.<nested key>', 'meta.account.region=antarctica', 'meta.account.region=atlantis'],
];

beforeAll(async () => {
  const started = performance.now();
  database = await createTestDatabase();
  const store = createEventStore(database.db);
  const load = async (batchId: string, elements: unknown[]) => {
    const { rows, skipped } = rowsOfBatch(elements, 0);
    await store.load({
      batchId,
      objectKey: `batches/${batchId}.json.gz`,
      receivedAt: new Date(),
      rows,
      skipped,
    });
  };
  for (let start = 0; start < BASE; start += 2000) {
    await load(
      `base-${start}`,
      Array.from({ length: 2000 }, (_, k) => baseElement(start + k)),
    );
  }
  for (const day of utcDaysBetween(FROM, TO - 1)) {
    await database.db.query('SELECT ensure_events_partition($1::date)', [day]);
  }
  await multiply(database.db);
  await load('rare', rareElements());
  await database.db.query('ANALYZE events');
  timings.push(`data set built in ${Math.round(performance.now() - started)} ms`);

  const reader = createEventReader(database.db);
  const recording: EventReader = {
    rows: (query) => {
      issued.push(query);
      return reader.rows(query);
    },
    count: (query) => {
      issued.push(query);
      return reader.count(query);
    },
    records: (query) => {
      issued.push(query);
      return reader.records(query);
    },
  };
  deps = { reader: recording, now: () => NOW };
}, 300_000);

afterAll(async () => {
  if (process.env.PLAN_TIMINGS) process.stdout.write(`${timings.join('\n')}\n`);
  await database?.drop();
});

/**
 * Copies the base events COPIES - 1 times, copy k shifted k × 24 h / COPIES into the window, into the
 * day partitions while they are detached and without indexes, then rebuilds the parent's indexes on each
 * (two partitions at once) and attaches them: building an index once is far faster than maintaining it
 * row by row. Written against information_schema and the catalog, so a schema change needs no edit here
 * unless `ts` or `event_id` change.
 */
async function multiply(db: TestDatabase['db']): Promise<void> {
  const columns = (
    await db.query<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'events' ORDER BY ordinal_position`,
    )
  ).rows.map((row) => row.name);
  const step = DAY_MS / COPIES;
  const copied = columns.map((name) =>
    name === 'ts'
      ? `ts + copy.k * interval '${step} milliseconds' AS ts`
      : name === 'event_id'
        ? `event_id || '.' || copy.k AS event_id`
        : name,
  );
  const indexes = (
    await db.query<{ definition: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indrelid = 'events'::regclass`,
    )
  ).rows.map((row) => row.definition);
  const partitions = (
    await db.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`,
    )
  ).rows;
  await db.query('CREATE UNLOGGED TABLE scale_base AS SELECT * FROM events');
  for (const { name } of partitions) {
    await db.query(`ALTER TABLE events DETACH PARTITION ${name}`);
    const own = await db.query<{ name: string }>(
      'SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = $1::regclass',
      [name],
    );
    for (const index of own.rows) await db.query(`DROP INDEX ${index.name}`);
  }
  await Promise.all(
    partitions.map(({ name, bound }) =>
      db.withClient(async (client: Queryable) => {
        const [, lower, upper] = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(bound) ?? [];
        await client.query("SET maintenance_work_mem = '256MB'");
        // In time order, as the loader writes them, so the heap correlates with ts as in production.
        await client.query(
          `INSERT INTO ${name} (${columns.join(', ')})
           SELECT * FROM (SELECT ${copied.join(', ')} FROM scale_base CROSS JOIN generate_series(1, $1) AS copy(k)) AS c
           WHERE ts >= $2 AND ts < $3 ORDER BY ts`,
          [COPIES - 1, lower, upper],
        );
        for (const definition of indexes) {
          await client.query(
            definition.replace(/^(CREATE (UNIQUE )?INDEX) \S+ ON ONLY \S+/, `$1 ON ${name}`),
          );
        }
      }),
    ),
  );
  for (const { name, bound } of partitions)
    await db.query(`ALTER TABLE events ATTACH PARTITION ${name} ${bound}`);
  await db.query('DROP TABLE scale_base');
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

const flatten = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(flatten)];

async function explain(query: SqlQuery): Promise<PlanNode[]> {
  const result = await database.db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
    `EXPLAIN (FORMAT JSON) ${query.text}`,
    query.values,
  );
  const plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan;
  if (!plan) throw new Error('no plan');
  return flatten(plan);
}

const onPartition = (node: PlanNode) => node['Relation Name']?.startsWith('events_') === true;
const isEventsStatement = (query: SqlQuery) => /\bFROM events\b/.test(query.text);

/** The statements of one search and the time it took. */
async function search(api: 'events' | 'legacy', rawQuery: string): Promise<SqlQuery[]> {
  issued.length = 0;
  const started = performance.now();
  if (api === 'events') await searchMessageEvents(rawQuery, deps);
  else await searchLegacyMessageEvents(rawQuery, deps);
  timings.push(
    `${api}\t${rawQuery.replace(/^from=[^&]*&to=[^&]*&/, '')}\t${(performance.now() - started).toFixed(1)} ms`,
  );
  return issued.splice(0).filter(isEventsStatement);
}

/**
 * Every statement reads events through an index, and none walks a B-tree (the time index) filtering
 * rows on the way: the filtered indexes are GIN, which only bitmap scans read, so a plain index scan
 * with a Filter is the walk. (Said without column names, so that it holds whatever the index stores.)
 */
async function expectIndexBacked(statements: readonly SqlQuery[]): Promise<void> {
  expect(statements.length).toBeGreaterThan(0);
  for (const statement of statements) {
    const scans = (await explain(statement)).filter(onPartition);
    expect(scans.length).toBeGreaterThan(0);
    const offending = scans.filter(
      (node) =>
        node['Node Type'] === 'Seq Scan' ||
        (/^Index (Only )?Scan$/.test(node['Node Type']) && node.Filter !== undefined),
    );
    expect(
      offending.map((node) => `${node['Node Type']} ${node['Index Name'] ?? ''} ${node.Filter ?? ''}`),
    ).toEqual([]);
  }
}

/** Whether a page statement is the fenced plan (sql.ts): the matches in a subquery, sorted outside it. */
const isFenced = (query: SqlQuery) => query.text.includes(') AS matches ');

describe('query plans on 1,000,000 events in a 24-hour window', () => {
  it('has the events in the window', async () => {
    const result = await database.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE ts >= $1 AND ts < $2',
      [new Date(FROM), new Date(TO)],
    );
    expect(result.rows[0]?.n).toBe(BASE * COPIES + 3);
  });

  it('(control) the check does catch the plan rare values used to get: the time index walked, filtering on terms', async () => {
    const spec = parseEventsApiQuery(`${EVENTS_WINDOW}&per_page=100&campaigns=zephyr`, NOW);
    await expect(expectIndexBacked([buildPageQuery(spec, spec.perPage + 1)])).rejects.toThrow();
  });

  it.each(PAGE_SIZES.filter((perPage) => perPage < 10_000))(
    '(control) a common value (a fifth of the events) at per_page=%i walks the time index newest first',
    async (perPage) => {
      const statements = await search('events', `${EVENTS_WINDOW}&per_page=${perPage}&campaigns=weekly`);
      const page = statements.filter((statement) => statement.text.includes('ORDER BY'));
      expect(page).toHaveLength(1);
      expect(isFenced(page[0] as SqlQuery)).toBe(false);
      const scans = (await explain(page[0] as SqlQuery)).filter(onPartition);
      expect(scans.map((node) => node['Node Type'])).toEqual(scans.map(() => 'Index Scan'));
    },
  );

  it('(control) a common value at per_page=10000 is not fenced; the planner may walk or read the matches', async () => {
    // The dictionary lookup is an InitPlan, so the planner does not know how common the value is: for a
    // page this large it may prefer the codes index over the walk. Either reads no partition whole.
    const statements = await search('events', `${EVENTS_WINDOW}&per_page=10000&campaigns=weekly`);
    const page = statements.filter((statement) => statement.text.includes('ORDER BY'));
    expect(page).toHaveLength(1);
    expect(isFenced(page[0] as SqlQuery)).toBe(false);
    const scans = (await explain(page[0] as SqlQuery)).filter(onPartition);
    for (const node of scans) expect(['Index Scan', 'Bitmap Heap Scan']).toContain(node['Node Type']);
  });

  it('(control) without filters the page walks the time index, next to the count', async () => {
    const statements = await search('events', `${EVENTS_WINDOW}&per_page=1000`);
    expect(statements).toHaveLength(2);
    const page = statements.find((statement) => statement.text.includes('ORDER BY')) as SqlQuery;
    expect(isFenced(page)).toBe(false);
    const scans = (await explain(page)).filter(onPartition);
    expect(scans.map((node) => node['Node Type'])).toEqual(scans.map(() => 'Index Scan'));
  });

  describe.each(EVENTS_API_CASES)('Events API %s', (_name, rare, absent) => {
    it.each(PAGE_SIZES)(`${rare} at per_page=%i reads the matches through an index`, async (perPage) => {
      const statements = await search('events', `${EVENTS_WINDOW}&per_page=${perPage}&${rare}`);
      await expectIndexBacked(statements);
      expect(statements.filter((statement) => statement.text.includes('ORDER BY')).every(isFenced)).toBe(
        true,
      );
    });
    it.each(PAGE_SIZES)(`${absent} at per_page=%i runs one statement, through an index`, async (perPage) => {
      const statements = await search('events', `${EVENTS_WINDOW}&per_page=${perPage}&${absent}`);
      expect(statements).toHaveLength(1);
      await expectIndexBacked(statements);
    });
  });

  describe.each(LEGACY_CASES)('legacy %s', (_name, rare, absent) => {
    it.each(PAGE_SIZES)(`${rare} at per_page=%i reads the matches through an index`, async (perPage) => {
      const statements = await search('legacy', `${LEGACY_WINDOW}&per_page=${perPage}&${rare}`);
      await expectIndexBacked(statements);
      expect(statements.filter((statement) => statement.text.includes('ORDER BY')).every(isFenced)).toBe(
        true,
      );
    });
    it.each(PAGE_SIZES)(`${absent} at per_page=%i runs one statement, through an index`, async (perPage) => {
      const statements = await search('legacy', `${LEGACY_WINDOW}&per_page=${perPage}&${absent}`);
      expect(statements).toHaveLength(1);
      await expectIndexBacked(statements);
    });
  });
});
