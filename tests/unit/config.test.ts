import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EnvReader, loadConfig, VARIABLES, type VariableName } from '../../src/config';
import { ConfigError } from '../../src/errors';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

describe('one config model (src/config.ts)', () => {
  it('documents every variable it reads in .env.example or docs/DEPLOY.md', () => {
    const docs = `${read('.env.example')}\n${read('docs/DEPLOY.md')}`;
    const undocumented = Object.keys(VARIABLES).filter((name) => !new RegExp(`\\b${name}\\b`).test(docs));
    expect(undocumented).toEqual([]);
  });

  it('reads only variables it documents: any other name is a programming error', () => {
    const reader = new EnvReader({ SOMETHING_ELSE: '1' });
    expect(() => reader.string('SOMETHING_ELSE' as VariableName)).toThrow(/not a documented variable/);
  });

  it('is the only module that reads a variable by name', () => {
    const offenders = [...sourceFiles('src'), ...sourceFiles('bench')].filter((file) => {
      if (file === join('src', 'config.ts')) return false;
      // process.env is handed to loadConfig (or resolveSecrets) whole; it is never indexed.
      return /process\.env(\.|\[)[A-Z_]/.test(read(file));
    });
    expect(offenders).toEqual([]);
  });

  it('names every bad variable in one error', () => {
    const env = { PORT: 'eighty', PG_SSL: 'maybe', LOG_LEVEL: 'LOUD', WEBHOOK_USERNAME: 'only-a-user' };
    let error: unknown;
    try {
      loadConfig(env, ['local', 'db', 'logging', 'webhook']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT must be an integer from 0 to 65535 (got "eighty")',
      'PG_SSL must be true or false (got "maybe")',
      'LOG_LEVEL accepts DEBUG, INFO, WARN, ERROR, SILENT (got "LOUD")',
      'WEBHOOK_USERNAME and WEBHOOK_PASSWORD must be set together',
    ]);
  });

  it('on AWS requires the bucket, the database and credentials; locally they are generated or embedded', () => {
    const sections = ['storage', 'webhook', 'api', 'db'] as const;
    expect(() => loadConfig({}, sections)).not.toThrow();
    expect(() => loadConfig({}, sections, { target: 'aws' })).toThrow(
      expect.objectContaining({
        problems: [
          'BATCH_BUCKET is required',
          'set WEBHOOK_SECRET_ARN, or WEBHOOK_USERNAME and WEBHOOK_PASSWORD, or WEBHOOK_TOKEN, or AUTH_DISABLED=webhook',
          'set API_KEYS_SECRET_ARN or API_KEYS (or API_KEY), or AUTH_DISABLED=api',
          'set DATABASE_URL, or DB_HOST with DB_SECRET_ARN',
        ],
      }),
    );
  });

  it('returns only the sections asked for, frozen, with defaults', () => {
    const config = loadConfig({ AUTH_DISABLED: 'API' }, ['maintenance', 'api']);
    expect(config).toEqual({
      maintenance: { daysAhead: 3, retentionDays: 0, intervalMs: 3_600_000 },
      api: { auth: { disabled: true, apiKeys: [] } },
    });
    expect(Object.isFrozen(config.api.auth)).toBe(true);
  });
});
