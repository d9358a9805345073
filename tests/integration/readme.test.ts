import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { OAUTH_TOKEN_PATH } from '../../src/core/paths';
import { CSV_DEFAULT_COLUMNS } from '../../src/core/query/export';
import { searchMessageEvents } from '../../src/core/query/search';
import { HOUR_MS } from '../../src/core/time';
import { createEventReader } from '../../src/db/event-reader';
import { throwawayDataDir } from '../../src/local/database';
import { runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ndjson, parseCsv } from '../helpers/export';
import { makeEvent } from '../helpers/make-events';
import { EVENTS_API_RULES, expectedEvents, LEGACY_RULES } from '../helpers/oracle';
import { seedElements, seedEvents } from '../helpers/seed';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * The README's examples, run as a reader would run them: an example that no test runs stops being true.
 */
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The bodies of the README's fenced blocks in a language. */
function blocks(language: string): string[] {
  return [...README.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (match) => match[1] as string,
  );
}

describe('README: the SQL examples', () => {
  let test: TestService;
  let database: TestDatabase;
  beforeAll(async () => {
    test = await startTestService();
    database = test.database;
  });
  afterAll(async () => {
    await test.stop();
  });

  it('has exactly the two SQL examples tested here', () => {
    expect(blocks('sql').map((sql) => /FROM (\w+)/.exec(sql)?.[1])).toEqual(['batches', 'events']);
  });

  it('shows how to find the batches and events that were not stored, and why', async () => {
    const sql = blocks('sql').find((block) => block.includes('FROM batches')) as string;
    const nested = `{"msys":{"message_event":{"type":"delivery","event_id":"readme-deep","timestamp":"1","rcpt_meta":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}}}`;
    const body = `[${nested},${JSON.stringify(makeEvent({ ts: Date.now() - HOUR_MS, id: 'readme-ok' }))}]`;
    expect((await test.postBatch(body, { batchId: 'readme-rejections' })).status).toBe(200);
    await test.loaded();
    const result = await database.db.query(sql);
    expect(result.rows).toEqual([
      expect.objectContaining({
        batch_id: 'readme-rejections',
        status: 'loaded',
        inserted_count: 1,
        rejected_count: 1,
        rejections: { 'nested deeper than 64 levels': 1 },
      }),
    ]);
  });

  it('has ad-hoc SQL that runs on the schema and finds the events it says it finds', async () => {
    const sql = blocks('sql').find((block) => block.includes('FROM events'));
    const now = Date.now();
    const batch = [
      makeEvent({ ts: now - HOUR_MS, id: 'readme-1', rcpt: 'alice@example.com' }),
      makeEvent({ ts: now - 2 * HOUR_MS, id: 'readme-2', type: 'open', rcpt: 'alice@example.com' }),
      makeEvent({ ts: now - HOUR_MS, id: 'readme-3', rcpt: 'bob@example.com' }),
    ];
    expect((await test.postBatch(JSON.stringify(batch), { batchId: 'readme' })).status).toBe(200);
    await test.loaded();
    const result = await database.db.query<{ ts: Date; type: string }>(sql as string);
    expect(result.rows.map((row) => row.type).sort()).toEqual(['delivery', 'open']);
  });
});

describe('README: the metadata and tag examples, on the seeded events', () => {
  let test: TestService;
  beforeAll(async () => {
    test = await startTestService();
    expect((await test.postBatch(JSON.stringify(seedElements()), { batchId: 'seed' })).status).toBe(200);
    await test.loaded();
  });
  afterAll(async () => {
    await test.stop();
  });

  /** The paths (with query) of the curl examples that use the extensions, in README order. */
  const examples = blocks('sh')
    .flatMap((block) =>
      [...block.matchAll(/'http:\/\/127\.0\.0\.1:3000(\/[^']+)'/g)].map((match) => match[1] as string),
    )
    .filter((path) => /[?&](meta\.[^=]+|tags)=|\/metadata-keys/.test(path));
  /** The comment line that follows an example in the README: the answer it shows. */
  const shownAnswer = (path: string) =>
    README.slice(README.indexOf(path))
      .split('\n')
      .find((line) => line.startsWith('# {'));

  /** The example's parameters as the oracle takes them, and its window. */
  function oracleCase(path: string) {
    const params = new URL(`http://x${path}`).searchParams;
    const lists: Record<string, string[]> = {};
    for (const [name, value] of params) if (name !== 'from' && name !== 'to') lists[name] = value.split(',');
    const time = (name: string) =>
      Date.parse(`${params.get(name)}${/Z$/.test(params.get(name) ?? '') ? '' : 'Z'}`);
    return { lists, window: { from: time('from'), to: time('to') } };
  }

  it('has an example for meta.<key>, for tags and for the metadata keys', () => {
    expect(examples.map((path) => path.split('?')[0])).toEqual([
      '/api/v1/events/message',
      '/api/v1/message-events',
      '/api/v1/events/message/metadata-keys',
    ]);
  });

  it.each([
    ['Events API', 0, EVENTS_API_RULES],
    ['legacy API', 1, LEGACY_RULES],
  ] as const)('the %s example finds exactly the events its filters describe', async (_api, index, rules) => {
    const path = examples[index] as string;
    const body = await json(await test.get(path));
    const { lists, window } = oracleCase(path);
    const expected = expectedEvents(seedEvents(), lists, rules, window).map((e) => e.event_id);
    expect(expected.length).toBeGreaterThan(0);
    expect(body.results.map((e: { event_id: string }) => e.event_id)).toEqual(expected);
    expect(body.total_count).toBe(expected.length);
    // What the answer shown beneath it says every result holds.
    const shown = shownAnswer(path) as string;
    if (shown.includes('"links":{}')) expect(body.links).toEqual({});
    if (shown.includes('"links":[]')) expect(body.links).toEqual([]);
    for (const e of body.results) {
      if (shown.includes('"user_id":"u-1001"')) expect(e.rcpt_meta.user_id).toBe('u-1001');
      if (shown.includes('"plan":{"tier":"gold"}')) expect(e.rcpt_meta.plan).toEqual({ tier: 'gold' });
      if (shown.includes('"rcpt_tags":['))
        expect(e.rcpt_tags).toEqual(expect.arrayContaining([expect.stringMatching(/^(vip|newsletter)$/)]));
    }
  });

  it('the metadata keys example lists, in order, the keys its answer shows', async () => {
    const path = examples[2] as string;
    const response = await test.get(path);
    expect(response.status).toBe(200);
    const { results } = await json(response);
    const shown = [
      ...(shownAnswer(path) as string).matchAll(/\{"key":"([^"]+)","last_seen":"([^"]+)"\}/g),
    ].map((match) => ({ key: match[1], last_seen: match[2] }));
    expect(shown.length).toBeGreaterThan(1);
    expect(results).toEqual(expect.arrayContaining(shown));
    expect(results.filter((entry: { key: string }) => shown.some((s) => s.key === entry.key))).toEqual(shown);
    expect(results.map((entry: { key: string }) => entry.key)).toEqual(
      results.map((entry: { key: string }) => entry.key).sort(),
    );
  });
});

describe('README: the export examples, on the seeded events', () => {
  let test: TestService;
  let cwd: string;
  beforeAll(async () => {
    test = await startTestService();
    expect((await test.postBatch(JSON.stringify(seedElements()), { batchId: 'seed' })).status).toBe(200);
    await test.loaded();
    cwd = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-readme-export-'));
  });
  afterAll(async () => {
    await test.stop();
    await rm(cwd, { recursive: true, force: true });
  });
  const block = () => blocks('sh').find((text) => text.includes('/api/v1/events/message/export')) as string;
  /** Every event of the Events API for an example's query (one page: the seed holds 240). */
  const searched = async (path: string) => {
    const query = `${path.split('?')[1]}&per_page=10000`;
    return (await json(await test.get(`/api/v1/events/message?${query}`))).results as Array<
      Record<string, unknown>
    >;
  };

  it('documents the CSV’s default columns as the export writes them', () => {
    expect(README).toContain(`\`${CSV_DEFAULT_COLUMNS.join(',')}\``);
  });

  it('runs as shown with curl: the NDJSON holds the Events API’s events, the gzipped CSV the columns asked for', async () => {
    const script = block().replaceAll('http://127.0.0.1:3000', test.service.url);
    await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: { PATH: process.env.PATH ?? '', KEY: 'test-api-key' },
    });
    const [ndjsonPath, csvPath] = [...script.matchAll(/'http:[^']+(\/api[^']+)'/g)].map(
      (m) => m[1] as string,
    );
    const problems = ndjson(await readFile(join(cwd, 'problems.ndjson'), 'utf8'));
    const expected = await searched(ndjsonPath as string);
    expect(expected.length).toBeGreaterThan(0);
    expect(problems).toEqual(expected);
    const [header, ...records] = parseCsv(await readFile(join(cwd, 'events.csv'), 'utf8'));
    expect(header).toEqual(['timestamp', 'type', 'rcpt_to', 'meta.user_id', 'meta.plan.tier']);
    const all = await searched(csvPath as string);
    expect(records).toEqual(
      all.map((event) => {
        const meta = (event.rcpt_meta ?? {}) as { user_id?: string; plan?: { tier?: string } };
        return [event.timestamp, event.type, event.rcpt_to, meta.user_id ?? '', meta.plan?.tier ?? ''];
      }),
    );
  });
});

describe('README: the webhook authentication examples, against a service with generated credentials', () => {
  let test: TestService;
  beforeAll(async () => {
    // No webhook method in the environment: `npm start` generates Basic and OAuth 2.0 credentials.
    test = await startTestService({ WEBHOOK_USERNAME: '', WEBHOOK_PASSWORD: '' });
  });
  afterAll(async () => {
    await test.stop();
  });
  const credentials = () => JSON.parse(readFileSync(join(test.dataDir, 'credentials.json'), 'utf8'));

  it('the shell example runs as shown: a token (JSON, then Basic), and a batch sent with it', async () => {
    const block = blocks('sh').find((text) => text.includes(OAUTH_TOKEN_PATH)) as string;
    expect(block).toBeDefined();
    const script = block
      .replaceAll('http://127.0.0.1:3000', test.service.url)
      .replaceAll('./.data/', `${test.dataDir}/`);
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: join(__dirname, '..', '..'),
    });
    // curl -s prints each answer without a line break.
    const answers = stdout.trim().split(/(?<=\})\s*(?=\{)/);
    const shown = block
      .split('\n')
      .filter((line) => line.startsWith('# {'))
      .map((line) => line.slice(2));
    expect(answers).toHaveLength(shown.length);
    shown.forEach((expected, i) => {
      const pattern = expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('…', '[^"]+');
      expect(answers[i]).toMatch(new RegExp(`^${pattern}$`));
    });
  });

  it('the webhook JSON for SparkPost’s API names this token URL, and its body gets a token', async () => {
    const block = blocks('json').find((text) => text.includes('auth_request_details')) as string;
    const webhook = JSON.parse(block);
    expect(webhook.auth_type).toBe('oauth2');
    expect(new URL(webhook.auth_request_details.url.replace('<your host>', 'example.com')).pathname).toBe(
      OAUTH_TOKEN_PATH,
    );
    const { oauthClientId, oauthClientSecret } = credentials();
    const body = JSON.stringify(webhook.auth_request_details.body)
      .replace('<client ID>', oauthClientId)
      .replace('<client secret>', oauthClientSecret);
    const token = await fetch(`${test.service.url}${OAUTH_TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(token.status).toBe(200);
    const posted = await test.postBatch('[{"msys":{}}]', {
      auth: `Bearer ${(await json(token)).access_token}`,
    });
    expect(await json(posted)).toEqual({ results: { ping: true } });
  });
});

describe('README: the CLI section, run as its examples say', () => {
  const section = README.slice(README.indexOf('## The CLI'), README.indexOf('## Deploy to AWS'));
  /** The section's fenced blocks, with their language ('' for output). */
  const fenced: Array<{ language: string; text: string }> = [];
  let open: { language: string; lines: string[] } | undefined;
  for (const line of section.split('\n')) {
    if (!line.startsWith('```')) open?.lines.push(line);
    else if (open) {
      fenced.push({ language: open.language, text: open.lines.join('\n') });
      open = undefined;
    } else open = { language: line.slice(3), lines: [] };
  }
  /** Each `npx sparkpost-event-db …` line of the section's sh blocks: its variables and arguments. */
  const examples = fenced
    .filter((block) => block.language === 'sh')
    .flatMap((block) => block.text.split('\n'))
    .filter((line) => line.includes('npx sparkpost-event-db'))
    .map((line) => {
      const [before, after] = line.split('npx sparkpost-event-db');
      const env = Object.fromEntries(
        (before as string)
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map((pair) => pair.split('=') as [string, string]),
      );
      // A query string is quoted, as a shell needs it ('a=1&b=2'; no spaces inside).
      const args = (after as string)
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((arg) => arg.replace(/^'(.*)'$/, '$1'));
      return { line, env, args };
    });
  /** The section's plain (output) blocks. */
  const outputs = fenced.filter((block) => block.language === '').map((block) => block.text);

  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await throwawayDataDir('sparkpost-event-db-readme-cli-');
    await mkdir(join(dir, 'batches'));
    // The quick start's batch, stored twice over (as a second delivery would be).
    const batch = gzipSync(readFileSync(join(__dirname, '..', 'fixtures', 'webhook-real-batch-2017.json')));
    for (const id of ['quick-start-1', 'quick-start-2'])
      await writeFile(join(dir, 'batches', `${id}.json.gz`), batch);
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows every command, and --json and --help', () => {
    const commands = new Set(examples.map((example) => example.args[0]));
    expect([...commands].sort()).toEqual([
      '--help',
      'export',
      'keys',
      'maintain',
      'migrate',
      'query',
      'replay',
      'status',
    ]);
    expect(examples.some((example) => example.args.includes('--json'))).toBe(true);
  });

  it('has examples that all run, in order, and succeed', async () => {
    const env = { DATA_DIR: dir, DATABASE_URL: database.connectionString };
    for (const example of examples) {
      // In the data folder: an example's --output file goes there, and with it.
      const run = await runCli(example.args, { ...env, ...example.env }, { cwd: dir });
      expect({ example: example.line, code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
        example: example.line,
        code: 0,
        stderr: '',
      });
      if (example.args.includes('--json')) expect(() => JSON.parse(run.stdout)).not.toThrow();
    }
  });

  it('has query and export examples that print what the Events API answers', async () => {
    const env = { DATA_DIR: dir, DATABASE_URL: database.connectionString };
    await runCli(['replay', '--all'], env);
    const reader = createEventReader(database.db);
    const search = async (query: string) =>
      (await searchMessageEvents(`${query}&per_page=10000`, { reader, now: Date.now })).results;
    const query = examples.find((example) => example.args[0] === 'query' && example.args.includes('--json'));
    const answer = JSON.parse((await runCli(query?.args ?? [], env, { cwd: dir })).stdout);
    expect(answer.results.length).toBeGreaterThan(0);
    expect(answer).toEqual(await searchMessageEvents(query?.args[1] as string, { reader, now: Date.now }));
    const exported = examples.find((example) => example.args[0] === 'export') as (typeof examples)[number];
    const run = await runCli(exported.args, env, { cwd: dir });
    expect(run.code).toBe(0);
    const output = exported.args[exported.args.indexOf('--output') + 1] as string;
    const [header, ...records] = parseCsv(await readFile(join(dir, output), 'utf8'));
    const columns = (exported.args[exported.args.indexOf('--columns') + 1] as string).split(',');
    expect(header).toEqual(columns);
    const events = await search(exported.args[1] as string);
    expect(events.length).toBeGreaterThan(0);
    expect(records.map((record) => record.slice(0, 2))).toEqual(events.map((e) => [e.timestamp, e.type]));
  });

  it('shows status and replay output shaped as the commands write it', async () => {
    const env = { DATA_DIR: dir, DATABASE_URL: database.connectionString };
    const labels = (text: string) => [...text.matchAll(/^([A-Z][a-z]+(?: [a-z]+)?) {2,}/gm)].map((m) => m[1]);
    const status = outputs.find((block) => block.startsWith('Data folder')) as string;
    expect(labels((await runCli(['status'], env)).stdout)).toEqual(labels(status));
    // Shapes: numbers stand for any number; the indented detail lines name a batch of the README's own.
    const shape = (text: string) =>
      text
        .split('\n')
        .filter((line) => line && !line.startsWith(' '))
        .map((line) => line.replace(/\d[\d,.]*/g, 'N'));
    const replay = outputs.find((block) => block.startsWith('replayed')) as string;
    expect(shape((await runCli(['replay', '--all'], env)).stdout)).toEqual(shape(replay));
  });
});

describe("README: SparkPost's client libraries, run against the service", () => {
  let test: TestService;
  beforeAll(async () => {
    test = await startTestService();
    const real = readFileSync(join(__dirname, '..', 'fixtures', 'webhook-real-batch-2017.json'));
    expect((await test.postBatch(real, { batchId: 'readme-clients' })).status).toBe(200);
    await test.loaded();
  });
  afterAll(async () => {
    await test.stop();
  });

  /** What the examples print, from the API itself: the count and the types, newest first. */
  async function expected(): Promise<string> {
    const response = await test.get(
      '/api/v1/events/message?events=delivery,open,click&from=2017-05-30T00:00:00Z&to=2017-05-31T00:00:00Z',
    );
    const body = await json(response);
    expect(body.results.length).toBeGreaterThan(2);
    return `${body.results.length} ${body.results.map((event: { type: string }) => event.type).join(',')}`;
  }

  /** Runs an example on stdin, with the service's URL and the test key, from the checkout's root. */
  async function run(command: string, args: string[], example: string): Promise<string> {
    const child = promisify(execFile)(command, args, {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, KEY: 'test-api-key' },
    });
    child.child.stdin?.end(example.replaceAll('http://127.0.0.1:3000', test.service.url));
    return (await child).stdout.trim();
  }

  it('names the node-sparkpost release that is installed and tested (npm sparkpost)', () => {
    const installed = JSON.parse(readFileSync(require.resolve('sparkpost/package.json'), 'utf8')).version;
    expect(README).toContain(`npm \`sparkpost\` ${installed}`);
  });

  it('node-sparkpost works by changing origin: the README example pages through the Events API', async () => {
    const [example] = blocks('js').filter((block) => block.includes("require('sparkpost')"));
    expect(example).toContain("origin: 'http://127.0.0.1:3000'");
    expect(await run(process.execPath, ['-'], example as string)).toBe(await expected());
  });

  // python-sparkpost has no events resource, so the README's Python example uses requests directly.
  const python = (() => {
    try {
      execFileSync('python3', ['-c', 'import requests']);
      return true;
    } catch {
      return false;
    }
  })();
  (python ? it : it.skip)(
    'the Python example (requests, as python-sparkpost has no events resource) pages through the Events API',
    async () => {
      const [example] = blocks('python');
      expect(await run('python3', ['-'], example as string)).toBe(await expected());
    },
  );
});
