import { encodeEvent } from '../../src/core/events/body-codec';
import { rowsOfBatch, unwrap } from '../../src/core/events/rows';
import { searchLegacyMessageEvents, searchMessageEvents } from '../../src/core/query/search';
import { utcDay } from '../../src/core/time';
import { convertV1 } from '../../src/db/convert-v1';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import { migrate } from '../../src/db/migrate';
import { MIGRATIONS } from '../../src/db/migrations';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { type Element, fixture } from '../helpers/fixtures';
import { SEED_TO, SEED_WINDOW, seedElements } from '../helpers/seed';

/**
 * The upgrade from storage v1: a database loaded by the v1 schema (migrations 001–002) is migrated and
 * converted, and then answers every query exactly as a database loaded with v2 from the start.
 */
const V1_MIGRATIONS = MIGRATIONS.filter((migration) => migration.version < '003');
const elements: Element[] = [
  ...seedElements(),
  ...fixture<Element[]>('webhook-samples-2016.json'),
  ...fixture<Element[]>('webhook-real-batch-2017.json'),
];

let upgraded: TestDatabase;
let fresh: TestDatabase;

/** What the v1 loader stored for each element: its time, id, type, reason and the deflated element. */
async function loadAsV1(database: TestDatabase): Promise<void> {
  const { rows } = rowsOfBatch(elements, SEED_TO);
  for (const day of new Set(rows.map((row) => utcDay(row.ts)))) {
    await database.db.query('SELECT ensure_events_partition($1::date)', [day]);
  }
  await database.db.query(
    `INSERT INTO events (ts, event_id, type, terms, reason, body)
     SELECT timestamptz 'epoch' + r.ms * interval '1 millisecond', r.event_id, r.type, '', r.reason, r.body
     FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::bytea[]) AS r(ms, event_id, type, reason, body)
     ON CONFLICT DO NOTHING`,
    [
      rows.map((row) => row.ts),
      rows.map((row) => row.eventId),
      rows.map((row) => row.type),
      rows.map((row) => row.reason),
      rows.map((row) => encodeEvent(row.element)),
    ],
  );
}

beforeAll(async () => {
  [upgraded, fresh] = await Promise.all([createTestDatabase({ migrate: false }), createTestDatabase()]);
  await migrate(upgraded.db, V1_MIGRATIONS, silentLogger);
  await loadAsV1(upgraded);
  await createEventStore(fresh.db).load({
    batchId: 'fresh',
    objectKey: 'batches/fresh.json.gz',
    receivedAt: new Date(SEED_TO),
    ...rowsOfBatch(elements, SEED_TO),
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([upgraded?.drop(), fresh?.drop()]);
});

const QUERIES = [
  `${SEED_WINDOW}&per_page=10000`,
  `${SEED_WINDOW}&recipients=c@gmail.com`,
  `${SEED_WINDOW}&campaigns=friday&events=delivery,open`,
  `${SEED_WINDOW}&subjects=black%20friday`,
  `${SEED_WINDOW}&reasons=5.1.1`,
  `${SEED_WINDOW}&recipient_domains=yahoo&per_page=7`,
  `${SEED_WINDOW}&messages=msg-1,msg-40`,
  `${SEED_WINDOW}&subaccounts=101&per_page=3`,
  'from=2016-02-01T00:00:00Z&to=2016-02-04T00:00:00Z&per_page=100',
  'from=2017-05-30T00:00:00Z&to=2017-05-31T00:00:00Z&campaigns=test',
];

describe('a v1 database, migrated and converted', () => {
  it('converts every event, then drops v1’s tables', async () => {
    const report = await convertV1(upgraded.db, createEventStore(upgraded.db), silentLogger);
    expect(report).toEqual({ converted: rowsOfBatch(elements, SEED_TO).rows.length, remainingDays: 0 });
    const left = await upgraded.db.query(
      "SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'events_v1%'",
    );
    expect(left.rows[0]?.n).toBe(0);
    // Converting again finds nothing to do.
    expect(await convertV1(upgraded.db, createEventStore(upgraded.db), silentLogger)).toEqual({
      converted: 0,
      remainingDays: 0,
    });
  });

  beforeAll(async () => {
    await migrate(upgraded.db, MIGRATIONS, silentLogger);
  });

  it.each(QUERIES)('answers the Events API the same as a v2 database: %s', async (query) => {
    const now = () => SEED_TO + 3_600_000;
    const [after, expected] = await Promise.all([
      searchMessageEvents(query, { reader: createEventReader(upgraded.db), now }),
      searchMessageEvents(query, { reader: createEventReader(fresh.db), now }),
    ]);
    expect(after).toEqual(expected);
    expect(after.total_count).toBeGreaterThan(0);
  });

  it('answers the legacy API the same too, each element as received', async () => {
    const query = `${SEED_WINDOW.replace(/:00Z/g, '')}&per_page=1000`.replace(/T00:00:00/g, 'T00:00');
    const now = () => SEED_TO + 3_600_000;
    const [after, expected] = await Promise.all([
      searchLegacyMessageEvents(query, { reader: createEventReader(upgraded.db), now }),
      searchLegacyMessageEvents(query, { reader: createEventReader(fresh.db), now }),
    ]);
    expect(after).toEqual(expected);
    const seeded = new Map(seedElements().map((element) => [unwrap(element)?.event.event_id, element]));
    for (const result of after.results) expect(seeded.has(result.event_id)).toBe(true);
  });
});
