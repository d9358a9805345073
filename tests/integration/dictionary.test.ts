import { rowsOfBatch } from '../../src/core/events/rows';
import { searchMessageEvents } from '../../src/core/query/search';
import { DAY_MS } from '../../src/core/time';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import { maintain } from '../../src/db/maintain';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { makeEvent } from '../helpers/make-events';

/**
 * The dictionary under retention: an entry lives as long as a retained day uses it. Each entry records
 * the newest day that used it; dropping the old days' partitions deletes the entries no remaining day
 * uses, so the dictionary does not grow with the age of the installation.
 */
let database: TestDatabase;
let store: ReturnType<typeof createEventStore>;
const DAY1 = Date.UTC(2031, 0, 10, 12);
const DAY2 = DAY1 + 5 * DAY_MS;

beforeAll(async () => {
  database = await createTestDatabase();
  // One store for every load: its dictionary cache is part of what is tested.
  store = createEventStore(database.db);
});
afterAll(async () => {
  await database.drop();
});

async function load(batchId: string, events: ReturnType<typeof makeEvent>[]) {
  await store.load({
    batchId,
    objectKey: `batches/${batchId}.json.gz`,
    receivedAt: new Date(),
    ...rowsOfBatch(events, 0),
  });
}

async function entries(field: string): Promise<Record<string, string>> {
  const result = await database.db.query<{ value: string; last_seen: string }>(
    'SELECT value, last_seen::text FROM terms_dict WHERE field = $1 ORDER BY value',
    [field],
  );
  return Object.fromEntries(result.rows.map((row) => [row.value, row.last_seen]));
}

it('records the newest day each entry is used on, and deletes under retention those no retained day uses', async () => {
  await load('day1', [
    makeEvent({ ts: DAY1, id: 'd1-a', fields: { campaign_id: 'only-day-one', subject: 'Old news' } }),
    makeEvent({ ts: DAY1, id: 'd1-b', fields: { campaign_id: 'both-days' } }),
  ]);
  // A loader that has the entry cached still records the newer day.
  await load('day2', [makeEvent({ ts: DAY2, id: 'd2-a', fields: { campaign_id: 'both-days' } })]);
  expect(await entries('c')).toEqual({ 'only-day-one': '2031-01-10', 'both-days': '2031-01-15' });

  const result = await maintain(database.db, { daysAhead: 0, retentionDays: 2, now: DAY2 }, silentLogger);
  expect(result.dropped).toEqual(['events_20310110']);
  expect(await entries('c')).toEqual({ 'both-days': '2031-01-15' });
  expect(Object.keys(await entries('J'))).toEqual(['Test subject']);

  // A value seen again later gets an entry again, and finds the events of its new day.
  await load('day2-again', [
    makeEvent({ ts: DAY2 + 1000, id: 'd2-b', fields: { campaign_id: 'only-day-one' } }),
  ]);
  const found = await searchMessageEvents(
    'from=2031-01-15T00:00:00Z&to=2031-01-16T00:00:00Z&campaigns=only-day-one',
    {
      reader: createEventReader(database.db),
      now: () => DAY2 + DAY_MS,
    },
  );
  expect(found.results.map((event) => event.event_id)).toEqual(['d2-b']);
});

it('restores every field of a page when the reader’s dictionary cache is cleared while reading it', async () => {
  // 12 subjects: a first read caches 3 of them; the second read needs those 3 (cached) and 9 more, which
  // overflow a cache of 5 and clear it. The page must still be restored from what it fetched and had
  // (a 1M-event export stopped with "chunk field subject has no value to restore" before).
  const ts = DAY2 + 3_600_000;
  const events = Array.from({ length: 12 }, (_, i) =>
    makeEvent({ ts: ts + i * 1000, id: `cache-${i}`, fields: { subject: `Subject number ${i}` } }),
  );
  await load('cache-clear', events);
  const reader = createEventReader(database.db, { dictionaryCacheLimit: 5 });
  const deps = { reader, now: () => ts + DAY_MS };
  const window = `from=${new Date(ts - 60_000).toISOString().slice(0, 16)}&to=${new Date(ts + 60_000).toISOString().slice(0, 16)}`;
  const oldest = await searchMessageEvents(`${window}&per_page=3&events=delivery`, deps);
  expect(oldest.results).toHaveLength(3);
  const all = await searchMessageEvents(`${window}&per_page=12&events=delivery`, deps);
  expect(all.results.map((event) => event.subject).sort()).toEqual(
    events.map((_, i) => `Subject number ${i}`).sort(),
  );
});
