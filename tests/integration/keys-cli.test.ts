import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliRun, runCli } from '../helpers/cli';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * `sparkpost-event-db keys …` as a user runs it: a child process of the CLI's entry point, its stdout,
 * stderr and exit code, on the database of a running service (DATABASE_URL), and with --url/--key
 * against that service over HTTP. The entry point, src/cli/main.ts, comes with the CLI framework: until
 * it is there (and registers `keys`), there is nothing to run, and this file has no test to run.
 */
const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const ADMIN_KEY = 'test-api-key';

let t: TestService;
let dataDir: string;

function cli(args: readonly string[], stdin = ''): Promise<CliRun> {
  const env = { DATABASE_URL: t.database.connectionString, DATA_DIR: dataDir, LOG_LEVEL: 'SILENT' };
  return runCli(['keys', ...args], env, { cwd: ROOT, stdin });
}

const describeWithCli = existsSync(MAIN) ? describe : describe.skip;

describeWithCli('sparkpost-event-db keys (child process)', () => {
  beforeAll(async () => {
    t = await startTestService();
    dataDir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-cli-'));
  });
  afterAll(async () => {
    await t?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a key (printed once), lists it without the key, revokes it; exit 0 each time', async () => {
    const created = await cli(['create', '--label', 'child', '--subaccount', '42', '--json']);
    expect(created.code).toBe(0);
    const { results } = JSON.parse(created.stdout);
    expect(results.key).toMatch(/^[0-9a-f]{48}$/);
    const events = `${t.service.url}/api/v1/events/message`;
    expect((await fetch(events, { headers: { authorization: results.key } })).status).toBe(200);

    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(results.id);
    expect(list.stdout).not.toContain(results.key);

    const revoked = await cli(['revoke', results.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`API key ${results.id} revoked`);
  });

  it('exits 1 with a readable message, no stack trace, for a key that does not exist', async () => {
    const run = await cli(['revoke', 'no-such-key']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No API key with id no-such-key');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 with the command’s help for a usage mistake', async () => {
    const run = await cli(['create', '--grants', 'metrics/view']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown grant(s): metrics/view');
    expect(run.stderr).toContain('usage: sparkpost-event-db keys');
  });

  it('manages a deployment over HTTP with --url and the key read from stdin (--key -)', async () => {
    const created = await cli(
      ['create', '--label', 'remote', '--url', t.service.url, '--key', '-', '--json'],
      `${ADMIN_KEY}\n`,
    );
    expect(created.code).toBe(0);
    const { results } = JSON.parse(created.stdout);
    const listed = await json(
      await fetch(`${t.service.url}/api/v1/api-keys`, { headers: { authorization: ADMIN_KEY } }),
    );
    expect(listed.results.map((key: { id: string }) => key.id)).toContain(results.id);
  });
});
