import { createApp } from '../../src/app';
import { UsageError } from '../../src/cli/command';
import { keysCommand } from '../../src/cli/commands/keys';
import { createApiKeyService } from '../../src/core/api-keys';
import { createApiKeyStore } from '../../src/db/api-key-store';
import { createEventReader } from '../../src/db/event-reader';
import { silentLogger } from '../../src/logger';
import { runCommand } from '../helpers/run-command';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * The `keys` command module, run with a real database as the CLI's entry point runs it (parsed
 * arguments, --json, the database on demand), locally and, with --url/--key, against a running service
 * over HTTP. The child-process test of `sparkpost-event-db keys` is keys-cli.test.ts.
 */
const ADMIN_KEY = 'test-api-key';
const EVENTS = '/api/v1/events/message?from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z';

let t: TestService;
const keys = (...args: string[]) => runCommand(keysCommand, args, async () => t.database.db);
const query = (key: string) => fetch(`${t.service.url}${EVENTS}`, { headers: { authorization: key } });

beforeAll(async () => {
  t = await startTestService();
});
afterAll(async () => {
  await t.stop();
});

describe('keys, on the local database', () => {
  it('creates a key, prints it once; list never shows it; revoke stops it', async () => {
    const created = await keys('create', '--label', 'reporting', '--subaccount', '101');
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    const key = created.stdout.split('\n')[0] as string;
    expect(key).toMatch(/^[0-9a-f]{48}$/);
    expect(created.stdout).toContain('This is the only time it is shown');
    expect(created.stdout).toMatch(/label: +reporting/);
    expect(created.stdout).toMatch(/grants: +message_events\/view/);
    expect(created.stdout).toMatch(/subaccount: +101/);
    const id = /id: +([0-9a-f]+)/.exec(created.stdout)?.[1] as string;

    // The running service takes it at once (it reads the same database).
    expect((await query(key)).status).toBe(200);

    const list = await keys('list');
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(key);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +SHORT +LABEL +GRANTS +SUBACCOUNT +CREATED +LAST USED$/);
    const line = list.stdout.split('\n').find((row) => row.startsWith(id)) as string;
    expect(line).toContain(key.slice(0, 4));
    expect(line).toContain('reporting');
    expect(line).toContain('101');

    const listed = await keys('list', '--json');
    expect(listed.stdout).not.toContain(key);
    const entry = JSON.parse(listed.stdout).results.find((k: { id: string }) => k.id === id);
    expect(entry).toEqual({
      id,
      label: 'reporting',
      short_key: key.slice(0, 4),
      grants: ['message_events/view'],
      subaccount_id: 101,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
    });

    const revoked = await keys('revoke', id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`API key ${id} revoked`);
    // The service verified the key a moment ago and trusts it for at most its cache time (30 s; see
    // api-keys.test.ts for the bound); another instance on the same database refuses it at once.
    const other = createApp({
      logger: silentLogger,
      query: {
        reader: createEventReader(t.database.db),
        now: Date.now,
        auth: { disabled: false, apiKeys: [] },
        keys: createApiKeyService({ store: createApiKeyStore(t.database.db), logger: silentLogger }),
      },
    });
    const ask = (authorization: string) =>
      other({
        method: 'GET',
        path: '/api/v1/events/message',
        rawQuery: '',
        headers: { authorization },
        body: Buffer.alloc(0),
      });
    expect((await ask(key)).statusCode).toBe(401);
    expect((await ask(ADMIN_KEY)).statusCode).toBe(401);
    const stillThere = await keys('create', '--json');
    expect((await ask(JSON.parse(stillThere.stdout).results.key)).statusCode).toBe(200);
    expect(
      JSON.parse((await keys('list', '--json')).stdout).results.map((k: { id: string }) => k.id),
    ).not.toContain(id);
  });

  it('creates with the grants asked for, and prints the API’s JSON with --json', async () => {
    const created = await keys('create', '--grants', 'api_keys/manage, message_events/view', '--json');
    expect(created.code).toBe(0);
    const { results } = JSON.parse(created.stdout);
    expect(results).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^[0-9a-f]{48}$/),
      short_key: results.key.slice(0, 4),
      label: expect.stringMatching(/^created \d{4}-/),
      grants: ['message_events/view', 'api_keys/manage'],
      created_at: expect.any(String),
      last_used_at: null,
      link: { href: `/api/v1/api-keys/${results.id}` },
    });
    expect(
      (await fetch(`${t.service.url}/api/v1/api-keys`, { headers: { authorization: results.key } })).status,
    ).toBe(200);
    const revoked = await keys('revoke', results.id, '--json');
    expect(JSON.parse(revoked.stdout)).toEqual({ results: { id: results.id, revoked: true } });
  });

  it('says so on stderr, exit 1, when the key to revoke does not exist', async () => {
    const run = await keys('revoke', 'no-such-key');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('keys revoke: Resource could not be found: No API key with id no-such-key\n');
  });

  it.each([
    [[], 'keys needs create, list or revoke'],
    [['rotate'], 'unknown keys command: rotate'],
    [['revoke'], 'keys revoke takes the id of the key to revoke'],
    [['list', 'extra'], 'keys list takes no arguments'],
    [['create', '--grants', 'metrics/view'], 'Invalid grants: Unknown grant(s): metrics/view'],
    [['create', '--subaccount', 'abc'], '--subaccount takes a subaccount id'],
    [['create', '--subaccount', '0'], '--subaccount takes a subaccount id'],
    [
      ['create', '--subaccount', '5', '--grants', 'api_keys/manage'],
      "A subaccount's key cannot hold api_keys/manage",
    ],
    [['create', '--label', ''], 'Invalid label'],
    [['list', '--label', 'x'], '--label, --grants and --subaccount are for keys create'],
    [['list', '--key', 'k'], '--key is for --url'],
    [['list', '--url', 'http://127.0.0.1:1'], '--url needs --key'],
    [['list', '--url', 'not a url', '--key', 'k'], '--url: not a URL'],
  ])('keys %p is a usage mistake: %s', async (args, message) => {
    const error = await keys(...(args as string[])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
  });
});

describe('keys --url --key, on a deployment over HTTP', () => {
  const remote = (...args: string[]) =>
    runCommand(keysCommand, [...args, '--url', t.service.url, '--key', ADMIN_KEY], async () => {
      throw new Error('remote mode never opens the local database');
    });

  it('creates, lists and revokes through the API keys resource', async () => {
    const created = await remote('create', '--label', 'remote', '--subaccount', '7', '--json');
    expect(created.code).toBe(0);
    const { results } = JSON.parse(created.stdout);
    expect(results).toEqual(
      expect.objectContaining({ label: 'remote', subaccount_id: 7, key: expect.any(String) }),
    );
    expect((await query(results.key)).status).toBe(200);

    const list = await remote('list', '--json');
    expect(list.stdout).not.toContain(results.key);
    expect(JSON.parse(list.stdout).results).toContainEqual(
      expect.objectContaining({ id: results.id, subaccount_id: 7 }),
    );
    const table = await remote('list');
    expect(table.stdout).toContain(results.id);

    expect((await remote('revoke', results.id)).code).toBe(0);
    const after = await json(
      await fetch(`${t.service.url}/api/v1/api-keys`, { headers: { authorization: ADMIN_KEY } }),
    );
    expect(after.results.map((k: { id: string }) => k.id)).not.toContain(results.id);
  });

  it('shows the service’s error and exits 1: a wrong key, an unknown id, nothing listening', async () => {
    const wrongKey = await runCommand(
      keysCommand,
      ['list', '--url', t.service.url, '--key', 'wrong'],
      async () => t.database.db,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toBe(
      `keys list: 401 from ${t.service.url}/api/v1/api-keys: Unauthorized.: Send your API key in the Authorization header\n`,
    );
    const unknown = await remote('revoke', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404 from');
    expect(unknown.stderr).toContain('No API key with id nope');
    const closed = await runCommand(
      keysCommand,
      ['list', '--url', 'http://127.0.0.1:9', '--key', 'k'],
      async () => t.database.db,
    );
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/^keys list: cannot reach http:\/\/127\.0\.0\.1:9: /);
  });
});
