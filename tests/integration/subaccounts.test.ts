import { searchMessageEvents } from '../../src/core/query/search';
import { buildCountQuery, type SqlQuery } from '../../src/core/query/sql';
import { createEventReader } from '../../src/db/event-reader';
import { migrate } from '../../src/db/migrate';
import { MIGRATIONS } from '../../src/db/migrations';
import { silentLogger } from '../../src/logger';
import { createTestDatabase } from '../helpers/database';
import { makeEvent } from '../helpers/make-events';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * Subaccounts as SparkPost scopes them: a key created for a subaccount sees only that subaccount's events
 * on every query endpoint, whatever the parameters say; X-MSYS-SUBACCOUNT on the Events API (and the
 * metadata keys) narrows a primary-account key to one subaccount, 0 being the primary account; the
 * legacy Message Events API ignores the header. Over HTTP, on a real PostgreSQL.
 */
const ADMIN_KEY = 'test-api-key';
const FROM = Date.parse('2025-06-01T00:00:00Z');
const WINDOW = 'from=2025-06-01T00:00:00Z&to=2025-06-02T00:00:00Z';
const LEGACY_WINDOW = 'from=2025-06-01T00:00&to=2025-06-02T00:00';

/** How the events carry their subaccount, in turn: the last three are the primary account's too. */
const SUBACCOUNTS: ReadonlyArray<{ readonly value: unknown; readonly id: number }> = [
  { value: undefined, id: 0 },
  { value: '101', id: 101 },
  { value: '0', id: 0 },
  { value: '102', id: 102 },
  { value: 0, id: 0 },
  { value: 'abc', id: 0 },
];

/** 48 events, 30 minutes apart, newest last; rcpt_meta holds a key only its subaccount's events carry. */
const ELEMENTS = Array.from({ length: 48 }, (_, i) => {
  const { value, id } = SUBACCOUNTS[i % SUBACCOUNTS.length] as (typeof SUBACCOUNTS)[number];
  return makeEvent({
    ts: FROM + i * 30 * 60_000,
    id: `sub-${String(i).padStart(3, '0')}`,
    type: i % 4 === 0 ? 'open' : 'delivery',
    fields: {
      ...(value !== undefined ? { subaccount_id: value } : {}),
      rcpt_meta: { [`only_${id}`]: 'x', shared: 'y' },
    },
  });
});
const inner = (element: (typeof ELEMENTS)[number]) =>
  Object.values(element.msys)[0] as { event_id: string; timestamp: string; subaccount_id?: unknown };
const subaccountOf = (eventId: string) =>
  (SUBACCOUNTS[Number(eventId.slice(4)) % SUBACCOUNTS.length] as (typeof SUBACCOUNTS)[number]).id;
/** The event ids of one subaccount (0: the primary account), newest first, as both APIs order them. */
const idsOf = (id: number) =>
  ELEMENTS.map(inner)
    .filter((event) => subaccountOf(event.event_id) === id)
    .map((event) => event.event_id)
    .reverse();
const ALL = ELEMENTS.map(inner)
  .map((event) => event.event_id)
  .reverse();

let t: TestService;
let sub101: string;

function get(path: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.service.url}${path}`, { headers: { authorization: key, ...headers } });
}

/** Every page of an Events API search, following links.next; each page's total_count is checked. */
async function eventsPages(query: string, key: string, headers: Record<string, string> = {}) {
  const ids: string[] = [];
  const totals: number[] = [];
  let path: string | undefined = `/api/v1/events/message?${query}`;
  let pages = 0;
  while (path) {
    const response = await get(path, key, headers);
    expect(response.status).toBe(200);
    const body = await json(response);
    ids.push(...body.results.map((event: { event_id: string }) => event.event_id));
    totals.push(body.total_count);
    path = body.links.next;
    pages += 1;
    if (pages > 100) throw new Error('too many pages');
  }
  return { ids, totals, pages };
}

/** Every page of a legacy search, by page number, until a page comes back empty. */
async function legacyPages(query: string, key: string, headers: Record<string, string> = {}) {
  const ids: string[] = [];
  const totals: number[] = [];
  for (let page = 1; page < 100; page += 1) {
    const response = await get(`/api/v1/message-events?${query}&page=${page}`, key, headers);
    expect(response.status).toBe(200);
    const body = await json(response);
    totals.push(body.total_count);
    if (body.results.length === 0) break;
    ids.push(...body.results.map((event: { event_id: string }) => event.event_id));
  }
  return { ids, totals };
}

const metadataKeys = async (key: string, headers: Record<string, string> = {}) => {
  const response = await get('/api/v1/events/message/metadata-keys', key, headers);
  expect(response.status).toBe(200);
  return (await json(response)).results.map((entry: { key: string }) => entry.key);
};

beforeAll(async () => {
  t = await startTestService();
  expect((await t.postBatch(JSON.stringify(ELEMENTS), { batchId: 'subaccounts' })).status).toBe(200);
  await t.loaded();
  const created = await fetch(`${t.service.url}/api/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: ADMIN_KEY, 'content-type': 'application/json', 'x-msys-subaccount': '101' },
    body: JSON.stringify({ label: 'subaccount 101', grants: ['message_events/view'] }),
  });
  expect(created.status).toBe(200);
  sub101 = (await json(created)).results.key;
});
afterAll(async () => {
  await t.stop();
});

describe('a key created for a subaccount', () => {
  it('sees only its events on the Events API, page after page, and total_count counts only them', async () => {
    const { ids, totals, pages } = await eventsPages(`${WINDOW}&per_page=3`, sub101);
    expect(ids).toEqual(idsOf(101));
    expect(pages).toBe(Math.ceil(idsOf(101).length / 3));
    expect(new Set(totals)).toEqual(new Set([idsOf(101).length]));
    // The admin key sees them all, to show that the others are there.
    expect((await eventsPages(`${WINDOW}&per_page=1000`, ADMIN_KEY)).ids).toEqual(ALL);
  });

  it('sees only its events on the legacy Message Events API, page after page', async () => {
    const { ids, totals } = await legacyPages(`${LEGACY_WINDOW}&per_page=3`, sub101);
    expect(ids).toEqual(idsOf(101));
    expect(new Set(totals)).toEqual(new Set([idsOf(101).length]));
  });

  it('lists only the metadata keys of its own events', async () => {
    expect(await metadataKeys(sub101)).toEqual(['only_101', 'shared']);
    expect(await metadataKeys(ADMIN_KEY)).toEqual(['only_0', 'only_101', 'only_102', 'shared']);
  });

  it('cannot widen its scope: another subaccount in subaccounts= matches nothing, in X-MSYS-SUBACCOUNT is a 403', async () => {
    for (const subaccounts of ['102', '0', '102,0']) {
      const response = await get(`/api/v1/events/message?${WINDOW}&subaccounts=${subaccounts}`, sub101);
      expect(await json(response)).toEqual({ results: [], total_count: 0, links: {} });
      const legacy = await json(
        await get(`/api/v1/message-events?${LEGACY_WINDOW}&subaccounts=${subaccounts}`, sub101),
      );
      expect(legacy.results).toEqual([]);
      expect(legacy.total_count).toBe(0);
    }
    const both = await eventsPages(`${WINDOW}&subaccounts=101,102`, sub101);
    expect(both.ids).toEqual(idsOf(101));

    for (const path of ['/api/v1/events/message', '/api/v1/events/message/metadata-keys']) {
      for (const header of ['102', '0']) {
        const response = await get(`${path}?${WINDOW}`, sub101, { 'x-msys-subaccount': header });
        expect(response.status).toBe(403);
        expect(await json(response)).toEqual({
          errors: [
            { message: 'Forbidden.', description: 'This API key is limited to subaccount 101', code: '1100' },
          ],
        });
      }
      expect((await get(`${path}?${WINDOW}`, sub101, { 'x-msys-subaccount': '101' })).status).toBe(200);
    }
    // The legacy API ignores the header: the key's own events, no 403.
    const legacy = await legacyPages(`${LEGACY_WINDOW}&per_page=100`, sub101, { 'x-msys-subaccount': '102' });
    expect(legacy.ids).toEqual(idsOf(101));
  });

  it('gets only its own events from a cursor taken from a wider search', async () => {
    const first = await json(await get(`/api/v1/events/message?${WINDOW}&per_page=5`, ADMIN_KEY));
    const next = first.links.next as string;
    const { ids } = await eventsPages(next.slice(next.indexOf('?') + 1), sub101);
    expect(ids).toEqual(idsOf(101).filter((id) => ALL.indexOf(id) > 4));
    expect(ids.length).toBeGreaterThan(0);
  });

  it('cannot manage keys', async () => {
    expect((await get('/api/v1/api-keys', sub101)).status).toBe(403);
  });
});

describe('X-MSYS-SUBACCOUNT, with a primary-account key', () => {
  it.each([
    ['101', 101],
    ['102', 102],
    ['0', 0],
    [' 0101 ', 101],
  ])(
    '%p on the Events API: that subaccount only (0: the primary account), in pages and totals',
    async (header, id) => {
      const { ids, totals } = await eventsPages(`${WINDOW}&per_page=4`, ADMIN_KEY, {
        'x-msys-subaccount': header,
      });
      expect(ids).toEqual(idsOf(id));
      expect(new Set(totals)).toEqual(new Set([idsOf(id).length]));
    },
  );

  it('0 is every event without an integer subaccount: none, 0, "0" or not a number', () => {
    const primary = new Set(idsOf(0));
    const kinds = ELEMENTS.map(inner)
      .filter((event) => primary.has(event.event_id))
      .map((event) => JSON.stringify(event.subaccount_id ?? null));
    expect(new Set(kinds)).toEqual(new Set(['null', '"0"', '0', '"abc"']));
  });

  it('ANDs with the filters: subaccounts= in the header’s subaccount, or not', async () => {
    const header = { 'x-msys-subaccount': '102' };
    expect((await eventsPages(`${WINDOW}&subaccounts=102`, ADMIN_KEY, header)).ids).toEqual(idsOf(102));
    expect((await eventsPages(`${WINDOW}&subaccounts=101`, ADMIN_KEY, header)).ids).toEqual([]);
    const opens = await eventsPages(`${WINDOW}&events=open`, ADMIN_KEY, { 'x-msys-subaccount': '0' });
    const openIds = new Set(
      ELEMENTS.map(inner)
        .filter((_, i) => i % 4 === 0)
        .map((event) => event.event_id),
    );
    expect(opens.ids).toEqual(idsOf(0).filter((id) => openIds.has(id)));
    expect(opens.ids.length).toBeGreaterThan(0);
  });

  it('narrows the metadata keys to the subaccount’s', async () => {
    expect(await metadataKeys(ADMIN_KEY, { 'x-msys-subaccount': '102' })).toEqual(['only_102', 'shared']);
    expect(await metadataKeys(ADMIN_KEY, { 'x-msys-subaccount': '0' })).toEqual(['only_0', 'shared']);
    expect(await metadataKeys(ADMIN_KEY, { 'x-msys-subaccount': '7' })).toEqual([]);
  });

  it.each(['abc', '-1', '1.5', '1e3', '', '99999999999999999999'])(
    '%p is a 400 in SparkPost shape, on the Events API and the metadata keys',
    async (header) => {
      for (const path of [`/api/v1/events/message?${WINDOW}`, '/api/v1/events/message/metadata-keys']) {
        const response = await get(path, ADMIN_KEY, { 'x-msys-subaccount': header });
        expect(response.status).toBe(400);
        expect(await json(response)).toEqual({
          errors: [
            {
              message: 'Invalid X-MSYS-SUBACCOUNT header',
              description: 'X-MSYS-SUBACCOUNT must be a subaccount id: a number, 0 for the primary account',
              code: '1200',
            },
          ],
        });
      }
    },
  );

  it('is ignored by the legacy Message Events API, as SparkPost ignores it, even when malformed', async () => {
    for (const header of ['101', '0', 'abc']) {
      const { ids } = await legacyPages(`${LEGACY_WINDOW}&per_page=20`, ADMIN_KEY, {
        'x-msys-subaccount': header,
      });
      expect(ids).toEqual(ALL);
    }
  });
});

describe('subaccounts=0', () => {
  it('is the primary account on both APIs, with or without subaccount_id on the event', async () => {
    expect((await eventsPages(`${WINDOW}&subaccounts=0`, ADMIN_KEY)).ids).toEqual(idsOf(0));
    expect((await eventsPages(`${WINDOW}&subaccounts=0,102`, ADMIN_KEY)).ids).toEqual(
      ALL.filter((id) => [0, 102].includes(subaccountOf(id))),
    );
    expect((await legacyPages(`${LEGACY_WINDOW}&subaccounts=0&per_page=7`, ADMIN_KEY)).ids).toEqual(idsOf(0));
  });
});

describe('events stored before the primary account had a code (an upgraded database)', () => {
  let old: TestService;
  beforeAll(async () => {
    old = await startTestService();
    expect((await old.postBatch(JSON.stringify(ELEMENTS), { batchId: 'before-upgrade' })).status).toBe(200);
    await old.loaded();
    // As the previous version stored them: no code for an event without an integer subaccount_id, and
    // the code in use only from after the upgrade (migration 005 sets the day; this puts it after the data).
    const removed = await old.database.db.query(
      `UPDATE events SET codes = array_remove(codes, (SELECT id FROM terms_dict WHERE field = 's' AND value = '0'))
       WHERE event_id = ANY($1::text[])`,
      [
        ELEMENTS.map(inner)
          .filter(
            (event) => typeof event.subaccount_id !== 'number' && !/^\d+$/.test(String(event.subaccount_id)),
          )
          .map((event) => event.event_id),
      ],
    );
    expect(removed.rowCount).toBe(16);
    await old.database.db.query("UPDATE primary_account_code SET indexed_from = '2025-06-03T00:00:00Z'");
  });
  afterAll(async () => {
    await old.stop();
  });

  it('still finds every primary-account event, the old ones by the absence of another subaccount', async () => {
    const get0 = async (query: string, headers: Record<string, string> = {}) => {
      const ids: string[] = [];
      let path: string | undefined = `/api/v1/events/message?${query}`;
      while (path) {
        const body = await json(
          await fetch(`${old.service.url}${path}`, { headers: { authorization: ADMIN_KEY, ...headers } }),
        );
        expect(body.total_count).toBe(query.includes('0,102') ? 40 : 32);
        ids.push(...body.results.map((event: { event_id: string }) => event.event_id));
        path = body.links.next;
      }
      return ids;
    };
    expect(await get0(`${WINDOW}&per_page=5`, { 'x-msys-subaccount': '0' })).toEqual(idsOf(0));
    expect(await get0(`${WINDOW}&subaccounts=0&per_page=5`)).toEqual(idsOf(0));
    expect(await get0(`${WINDOW}&subaccounts=0,102`)).toEqual(
      ALL.filter((id) => [0, 102].includes(subaccountOf(id))),
    );
  });

  it('would miss the old ones through the code alone: the SQL of such a window does not use it', async () => {
    const issued: SqlQuery[] = [];
    const reader = createEventReader(old.database.db);
    const recording = {
      rows: (query: SqlQuery) => {
        issued.push(query);
        return reader.rows(query);
      },
      count: (query: SqlQuery) => {
        issued.push(query);
        return reader.count(query);
      },
      records: (query: SqlQuery) => reader.records(query),
    };
    const body = await searchMessageEvents(
      WINDOW,
      { reader: recording, now: () => FROM + 2 * 86_400_000 },
      0,
    );
    expect(body.total_count).toBe(idsOf(0).length);
    const onEvents = issued.filter((query) => /\bFROM events\b/.test(query.text));
    expect(onEvents.length).toBeGreaterThan(0);
    expect(onEvents.every((query) => query.text.includes('NOT (codes &&'))).toBe(true);
    // The same selection, as if every day carried the code: the events stored before are not found.
    const indexedOnly = buildCountQuery({
      from: FROM,
      to: FROM + 86_400_000,
      filters: [{ kind: 'exact', field: 'subaccount', values: ['0'] }],
      primaryIndexedFrom: Number.NEGATIVE_INFINITY,
    });
    expect(indexedOnly.text).not.toContain('NOT (codes &&');
    expect(await reader.count(indexedOnly)).toBe(idsOf(0).length - 16);
    expect(idsOf(0).length).toBe(32);
  });
});

describe('migration 005: since when the primary account has its code', () => {
  const indexedFrom = async (db: { query: (text: string) => Promise<{ rows: Array<{ at: string }> }> }) =>
    (
      await db.query(
        "SELECT CASE WHEN indexed_from = '-infinity' THEN '-infinity' ELSE indexed_from::text END AS at FROM primary_account_code",
      )
    ).rows;

  it('is every day on a database without events', async () => {
    const fresh = await createTestDatabase();
    try {
      expect(await indexedFrom(fresh.db)).toEqual([{ at: '-infinity' }]);
    } finally {
      await fresh.drop();
    }
  });

  it('is after the newest event stored, and at least two days ahead, on a database upgraded with events', async () => {
    const upgraded = await createTestDatabase({ migrate: false });
    try {
      await migrate(
        upgraded.db,
        MIGRATIONS.filter((migration) => migration.version < '005'),
        silentLogger,
      );
      // Events written as is, on the schema before 005 (today's loader needs the later migrations): one
      // of an ordinary day, one dated 9 days ahead (a loader may refuse one that far ahead).
      const future = Date.now() + 9 * 86_400_000;
      for (const [ts, id] of [
        [FROM, 'old'],
        [future, 'future'],
      ] as const) {
        await upgraded.db.query('SELECT ensure_events_partition($1::date)', [
          new Date(ts).toISOString().slice(0, 10),
        ]);
        await upgraded.db.query(
          `INSERT INTO events (ts, eh, chunk, pos, event_id, type, codes, hcodes)
           VALUES ($1, 1, 1, 0, $2, 'delivery', '{}', '{}')`,
          [new Date(ts), id],
        );
      }
      await migrate(upgraded.db, MIGRATIONS, silentLogger);
      const dayAfter = (ms: number) => new Date(Math.floor(ms / 86_400_000 + 1) * 86_400_000).toISOString();
      const at = (
        await upgraded.db.query<{ at: Date }>('SELECT indexed_from AS at FROM primary_account_code')
      ).rows;
      expect(at.map((row) => row.at.toISOString())).toEqual([dayAfter(future)]);

      // Migration 005 once more, alone (the later ones stay applied).
      await upgraded.db.query("DELETE FROM schema_migrations WHERE version LIKE '005\\_%'");
      await upgraded.db.query('DROP TABLE api_keys, primary_account_code');
      await upgraded.db.query("DELETE FROM events WHERE event_id = 'future'");
      await migrate(upgraded.db, MIGRATIONS, silentLogger);
      const again = (
        await upgraded.db.query<{ at: Date }>('SELECT indexed_from AS at FROM primary_account_code')
      ).rows;
      expect(again.map((row) => row.at.toISOString())).toEqual([dayAfter(Date.now() + 86_400_000)]);
    } finally {
      await upgraded.drop();
    }
  });
});
