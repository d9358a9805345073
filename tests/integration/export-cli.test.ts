import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { rowsOfBatch } from '../../src/core/events/rows';
import { CSV_DEFAULT_COLUMNS } from '../../src/core/query/export';
import { searchMessageEvents } from '../../src/core/query/search';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import { throwawayDataDir } from '../../src/local/database';
import { type CliRun, runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ndjson, parseCsv } from '../helpers/export';
import { SEED_WINDOW, seedElements } from '../helpers/seed';

/**
 * The CLI's `query` and `export` as a user runs them (a process of their own, stdout, stderr, exit code)
 * on the seeded events in a database of their own: what they print is what the Events API answers for
 * the same parameters.
 */
jest.setTimeout(120_000);

let database: TestDatabase;
let dataDir: string;
let env: Record<string, string>;

const lines = (text: string) => text.split('\n').filter(Boolean);
const cli = (args: string[]): Promise<CliRun> => runCli(args, env);
/** Every event of the Events API for the query, in-process (one page of up to 10,000). */
async function searched(query: string) {
  const page = await searchMessageEvents(`${query}&per_page=10000`, {
    reader: createEventReader(database.db),
    now: Date.now,
  });
  expect(page.links.next).toBeUndefined();
  return page.results;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const { rows, skipped } = rowsOfBatch(seedElements(), 0);
  await createEventStore(database.db).load({
    batchId: 'seed',
    objectKey: 'batches/seed.json.gz',
    receivedAt: new Date(),
    rows,
    skipped,
  });
  dataDir = await throwawayDataDir('sparkpost-event-db-export-cli-');
  env = { DATA_DIR: dataDir, DATABASE_URL: database.connectionString };
});
afterAll(async () => {
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('query', () => {
  const query = `${SEED_WINDOW}&events=bounce,delay&per_page=7`;

  it('--json prints the Events API’s answer itself', async () => {
    const run = await cli(['query', query, '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const expected = await searchMessageEvents(query, {
      reader: createEventReader(database.db),
      now: Date.now,
    });
    expect(JSON.parse(run.stdout)).toEqual(expected);
    expect(expected.results).toHaveLength(7);
  });

  it('--format ndjson (the default off a terminal) prints the page’s events, one a line', async () => {
    const expected = (
      await searchMessageEvents(query, { reader: createEventReader(database.db), now: Date.now })
    ).results;
    for (const args of [
      ['query', query],
      ['query', query, '--format', 'ndjson'],
    ]) {
      const run = await cli(args);
      expect(run.code).toBe(0);
      expect(ndjson(run.stdout)).toEqual(expected);
    }
  });

  it('--format csv prints the export’s default columns, or --columns', async () => {
    const run = await cli(['query', query, '--format', 'csv']);
    expect(run.code).toBe(0);
    const [header, ...records] = parseCsv(run.stdout);
    expect(header).toEqual([...CSV_DEFAULT_COLUMNS]);
    expect(records).toHaveLength(7);
    const picked = await cli(['query', query, '--format', 'csv', '--columns', 'event_id,meta.user_id']);
    const expected = await searched(`${SEED_WINDOW}&events=bounce,delay`);
    expect(parseCsv(picked.stdout)).toEqual([
      ['event_id', 'meta.user_id'],
      ...expected.slice(0, 7).map((event) => {
        const meta = (event.rcpt_meta ?? {}) as Record<string, unknown>;
        return [event.event_id as string, (meta.user_id as string | undefined) ?? ''];
      }),
    ]);
  });

  it('--format table prints aligned columns, how many of the total, and the next page’s query', async () => {
    const run = await cli(['query', query, '--format', 'table']);
    expect(run.code).toBe(0);
    const printed = lines(run.stdout);
    expect(printed[0]).toMatch(/^TIMESTAMP +TYPE +RCPT_TO +SUBJECT +CAMPAIGN_ID +REASON$/);
    expect(printed).toHaveLength(1 + 7 + 1);
    const total = (await searched(`${SEED_WINDOW}&events=bounce,delay`)).length;
    const footer = printed.at(-1) as string;
    expect(footer).toMatch(new RegExp(`^7 of ${total} events; next page: sparkpost-event-db query '(.+)'$`));
    // The next page's query is one to paste: it gives the next events.
    const next = /'(.+)'$/.exec(footer)?.[1] as string;
    const second = await cli(['query', next, '--json']);
    const all = await searched(`${SEED_WINDOW}&events=bounce,delay`);
    expect(JSON.parse(second.stdout).results).toEqual(all.slice(7, 14));
  });

  it.each([
    [['query', 'events=nope'], /^error: Invalid events parameter: Unknown event type\(s\): nope/],
    [['query', SEED_WINDOW, '--format', 'xml'], /^error: --format takes table, ndjson, csv, not "xml"$/],
    [
      ['query', SEED_WINDOW, '--format', 'csv', '--columns', 'nope'],
      /^error: Invalid columns parameter: Unknown column "nope"/,
    ],
  ])('%j is a usage mistake: exit 2, the help, the reason last', async (args, error) => {
    const run = await cli(args);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('usage: sparkpost-event-db query');
    expect(lines(run.stderr).at(-1)).toMatch(error);
  });
});

describe('export', () => {
  it('writes every event as NDJSON on stdout, with plain progress lines on stderr off a terminal', async () => {
    const run = await cli(['export', SEED_WINDOW]);
    expect(run.code).toBe(0);
    const expected = await searched(SEED_WINDOW);
    expect(ndjson(run.stdout)).toEqual(expected);
    expect(lines(run.stderr)).toEqual([
      `export: ${expected.length} events to write`,
      expect.stringMatching(
        new RegExp(`^export: ${expected.length}/${expected.length} events, [\\d,]+ events/s$`),
      ),
    ]);
  });

  it('--output FILE --format csv --columns: the file, a summary with --json', async () => {
    const file = join(dataDir, 'tags.csv');
    const run = await cli([
      'export',
      `${SEED_WINDOW}&tags=vip`,
      '--format',
      'csv',
      '--columns',
      'timestamp,type,rcpt_tags,meta.plan.tier',
      '--output',
      file,
      '--json',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const expected = await searched(`${SEED_WINDOW}&tags=vip`);
    expect(JSON.parse(run.stdout)).toEqual({
      events: expected.length,
      output: file,
      format: 'csv',
      columns: ['timestamp', 'type', 'rcpt_tags', 'meta.plan.tier'],
      seconds: expect.any(Number),
    });
    const records = parseCsv(await readFile(file, 'utf8'));
    expect(records[0]).toEqual(['timestamp', 'type', 'rcpt_tags', 'meta.plan.tier']);
    expect(records.slice(1)).toEqual(
      expected.map((event) => {
        const plan = ((event.rcpt_meta ?? {}) as { plan?: { tier?: string } }).plan;
        return [event.timestamp, event.type, JSON.stringify(event.rcpt_tags), plan?.tier ?? ''];
      }),
    );
    await expect(readFile(`${file}.partial`)).rejects.toThrow();
  });

  it('says where it wrote, without --json', async () => {
    const file = join(dataDir, 'bounces.ndjson');
    const run = await cli(['export', `${SEED_WINDOW}&events=bounce`, '--output', file]);
    expect(run).toMatchObject({ code: 0, stdout: '' });
    const expected = await searched(`${SEED_WINDOW}&events=bounce`);
    expect(lines(run.stderr).at(-1)).toBe(`export: ${expected.length} events written to ${file}`);
    expect(ndjson(await readFile(file, 'utf8'))).toEqual(expected);
  });

  it.each([
    [
      ['export', SEED_WINDOW, '--format', 'xml'],
      /^error: Invalid format parameter: format must be one of ndjson, csv/,
    ],
    [
      ['export', SEED_WINDOW, '--format', 'csv', '--columns', 'event_id,nope'],
      /^error: Invalid columns parameter/,
    ],
    [['export', SEED_WINDOW, '--json'], /^error: --json writes a summary on stdout: give --output FILE/],
    [['export', 'from=2025-09-02T00:00:00Z&to=2025-09-01T00:00:00Z'], /^error: Invalid time range/],
  ])('%j is a usage mistake: exit 2, the help, the reason last', async (args, error) => {
    const run = await cli(args);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('usage: sparkpost-event-db export');
    expect(lines(run.stderr).at(-1)).toMatch(error);
  });
});
