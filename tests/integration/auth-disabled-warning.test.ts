import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { spawnService } from '../helpers/processes';

/**
 * AUTH_DISABLED never goes unnoticed: a WARN line naming what is off at every start of `npm start` and at
 * every Lambda cold start, read from the processes' own output as an operator (or CloudWatch) sees it.
 */
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly authDisabled?: string[];
}

/** The JSON log lines of a process's stdout and stderr. */
function logLines(...outputs: string[]): LogLine[] {
  return outputs
    .flatMap((output) => output.split('\n'))
    .map((line) => line.slice(line.indexOf('{"level"')))
    .filter((line) => line.startsWith('{"level"'))
    .map((line) => JSON.parse(line));
}
const warnings = (lines: LogLine[]) => lines.filter((line) => line.level === 'WARN' && line.authDisabled);

/**
 * A fresh Lambda execution environment: a new process that imports the deployed handler and invokes it
 * `times` times with a sample event from events/.
 */
async function coldStart(handler: string, event: string, env: Record<string, string>, times = 1) {
  const script = `
    const { handler } = require('./src/handlers/${handler}');
    const event = JSON.parse(require('node:fs').readFileSync('events/${event}', 'utf8'));
    (async () => {
      for (let i = 0; i < ${times}; i += 1) {
        const result = await handler(event);
        process.stdout.write('status ' + result.statusCode + '\\n');
      }
      process.exit(0);
    })();
  `;
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'INFO', ...env },
  });
  return {
    statuses: [...stdout.matchAll(/^status (\d+)$/gm)].map((m) => Number(m[1])),
    lines: logLines(stdout, stderr),
  };
}

describe('a Lambda cold start with AUTH_DISABLED', () => {
  it('ReceiveWebhookFunction warns once per execution environment that webhook authentication is off', async () => {
    const { statuses, lines } = await coldStart(
      'receive-webhook',
      'receive-webhook-ping.json',
      { BATCH_BUCKET: 'raw-batches', AUTH_DISABLED: 'webhook' },
      2,
    );
    expect(statuses).toEqual([200, 200]);
    expect(warnings(lines)).toEqual([
      expect.objectContaining({
        message: 'authentication is off (AUTH_DISABLED=webhook): anyone can post batches',
        authDisabled: ['webhook'],
      }),
    ]);
  });

  it('QueryEventsFunction warns that query authentication is off', async () => {
    const { statuses, lines } = await coldStart('query-events', 'query-events.json', {
      DATABASE_URL: database.connectionString,
      AUTH_DISABLED: 'api',
    });
    expect(statuses).toEqual([200]);
    expect(warnings(lines)).toEqual([
      expect.objectContaining({
        message: 'authentication is off (AUTH_DISABLED=api): anyone can read events and manage API keys',
        authDisabled: ['api'],
      }),
    ]);
  });

  it('says nothing of the kind when authentication is on (and still logs what it does)', async () => {
    const { statuses, lines } = await coldStart('receive-webhook', 'receive-webhook-oauth-token.json', {
      BATCH_BUCKET: 'raw-batches',
      WEBHOOK_OAUTH_CLIENT_ID: 'sparkpost',
      WEBHOOK_OAUTH_CLIENT_SECRET: 'change-me-oauth-client-secret',
    });
    expect(statuses).toEqual([200]);
    expect(lines.map((line) => line.message)).toContain('access token issued');
    expect(warnings(lines)).toEqual([]);
  });
});

describe('npm start with AUTH_DISABLED', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-auth-off-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('warns at every start, naming both, and the banner says so too', async () => {
    for (const start of [1, 2]) {
      const service = spawnService({
        DATA_DIR: dataDir,
        PORT: '0',
        DATABASE_URL: database.connectionString,
        AUTH_DISABLED: 'webhook,api',
      });
      try {
        await service.started();
        expect({ start, warnings: warnings(logLines(service.stdout(), service.stderr())) }).toEqual({
          start,
          warnings: [
            expect.objectContaining({
              message:
                'authentication is off (AUTH_DISABLED=webhook,api): anyone can post batches and anyone can read events and manage API keys',
              authDisabled: ['webhook', 'api'],
            }),
          ],
        });
        expect(service.stdout()).toContain('authentication disabled (AUTH_DISABLED)');
      } finally {
        service.child.kill('SIGINT');
        await service.exited;
      }
    }
  });
});
