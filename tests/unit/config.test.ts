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
          'set WEBHOOK_SECRET_ARN (or WEBHOOK_OAUTH_SECRET_ARN), or one of WEBHOOK_USERNAME with WEBHOOK_PASSWORD, ' +
            'WEBHOOK_OAUTH_CLIENT_ID with WEBHOOK_OAUTH_CLIENT_SECRET, WEBHOOK_HEADER, WEBHOOK_TOKEN; or AUTH_DISABLED=webhook',
          'set API_KEYS_SECRET_ARN or API_KEYS (or API_KEY), or AUTH_DISABLED=api',
          'set DATABASE_URL, or DB_HOST with DB_SECRET_ARN',
        ],
      }),
    );
  });

  it('returns only the sections asked for, frozen, with defaults', () => {
    const config = loadConfig({ AUTH_DISABLED: 'API' }, ['maintenance', 'api']);
    expect(config).toEqual({
      maintenance: { daysAhead: 3, retentionDays: 0, intervalMs: 3_600_000, reconcileDays: 14 },
      api: { auth: { disabled: true, apiKeys: [] }, corsOrigins: [] },
    });
    expect(Object.isFrozen(config.api.auth)).toBe(true);
  });
});

describe('webhook authentication settings', () => {
  const webhookAuth = (env: Record<string, string>, target: 'aws' | 'local' = 'local') =>
    loadConfig(env, ['webhook'], { target }).webhook.auth;
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env, ['webhook']);
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };
  const SECRET = 'a-client-secret-of-32-characters';

  it('reads every method, each with its previous value while rotating', () => {
    expect(
      webhookAuth({
        WEBHOOK_USERNAME: 'sparkpost',
        WEBHOOK_PASSWORD: 'new',
        WEBHOOK_PASSWORD_PREVIOUS: 'old',
        WEBHOOK_OAUTH_CLIENT_ID: 'sparkpost',
        WEBHOOK_OAUTH_CLIENT_SECRET: SECRET,
        WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS: `old-${SECRET}`,
        WEBHOOK_HEADER: 'X-Webhook-Key:  s3cr3t value ',
        WEBHOOK_HEADER_PREVIOUS: 'x-old-key:old',
        WEBHOOK_TOKEN: 'tok',
      }),
    ).toEqual({
      disabled: false,
      basic: { username: 'sparkpost', password: 'new', previousPassword: 'old' },
      oauth: { clientId: 'sparkpost', clientSecret: SECRET, previousClientSecret: `old-${SECRET}` },
      header: { name: 'X-Webhook-Key', value: 's3cr3t value', previous: { name: 'x-old-key', value: 'old' } },
      token: 'tok',
    });
  });

  it('on AWS, any one method is enough', () => {
    const env = { BATCH_BUCKET: 'b' };
    expect(webhookAuth({ ...env, WEBHOOK_HEADER: 'X-Key: v' }, 'aws').header).toEqual({
      name: 'X-Key',
      value: 'v',
    });
    expect(
      webhookAuth({ ...env, WEBHOOK_OAUTH_CLIENT_ID: 'c', WEBHOOK_OAUTH_CLIENT_SECRET: SECRET }, 'aws').oauth,
    ).toEqual({ clientId: 'c', clientSecret: SECRET });
    expect(webhookAuth({ AUTH_DISABLED: 'webhook' }, 'aws')).toEqual({ disabled: true });
  });

  it('the token lifetime defaults to an hour, within a minute and a day', () => {
    expect(loadConfig({}, ['webhook']).webhook.tokenTtlSeconds).toBe(3600);
    expect(loadConfig({ WEBHOOK_OAUTH_TOKEN_TTL_SECONDS: '300' }, ['webhook']).webhook.tokenTtlSeconds).toBe(
      300,
    );
    expect(problems({ WEBHOOK_OAUTH_TOKEN_TTL_SECONDS: '10' })).toEqual([
      'WEBHOOK_OAUTH_TOKEN_TTL_SECONDS must be an integer from 60 to 86400 (got "10")',
    ]);
  });

  it.each([
    [
      'X-Webhook-Key',
      'WEBHOOK_HEADER must be "Name: value" with a header name of letters, digits and !#$%&\'*+-.^_`|~ (got no colon)',
    ],
    [
      'X Webhook Key: v',
      'WEBHOOK_HEADER must be "Name: value" with a header name of letters, digits and !#$%&\'*+-.^_`|~ (got a malformed name)',
    ],
    [
      ': value',
      'WEBHOOK_HEADER must be "Name: value" with a header name of letters, digits and !#$%&\'*+-.^_`|~ (got a malformed name)',
    ],
    [
      'X-Wébhook: v',
      'WEBHOOK_HEADER must be "Name: value" with a header name of letters, digits and !#$%&\'*+-.^_`|~ (got a malformed name)',
    ],
    [
      'X-Webhook-Key:',
      'WEBHOOK_HEADER must have a value after "X-Webhook-Key:" (visible characters, no line breaks)',
    ],
    [
      'X-Webhook-Key: a\nb',
      'WEBHOOK_HEADER must have a value after "X-Webhook-Key:" (visible characters, no line breaks)',
    ],
    [
      'Authorization: Bearer x',
      'WEBHOOK_HEADER cannot use Authorization: that header has a meaning of its own here',
    ],
    [
      'x-messagesystems-webhook-token: x',
      'WEBHOOK_HEADER cannot use x-messagesystems-webhook-token: that header has a meaning of its own here',
    ],
  ])('refuses WEBHOOK_HEADER=%j, saying why without echoing the value', (value, problem) => {
    expect(problems({ WEBHOOK_HEADER: value })).toEqual([problem]);
  });

  it('refuses half an OAuth client, a weak or non-ASCII secret, and a previous value with nothing current', () => {
    expect(problems({ WEBHOOK_OAUTH_CLIENT_ID: 'sparkpost' })).toEqual([
      'WEBHOOK_OAUTH_CLIENT_ID and WEBHOOK_OAUTH_CLIENT_SECRET must be set together',
    ]);
    expect(problems({ WEBHOOK_OAUTH_CLIENT_ID: 'sparkpost', WEBHOOK_OAUTH_CLIENT_SECRET: 'short' })).toEqual([
      'WEBHOOK_OAUTH_CLIENT_SECRET must be at least 16 printable ASCII characters',
    ]);
    expect(
      problems({ WEBHOOK_OAUTH_CLIENT_ID: 'spark\tpost', WEBHOOK_OAUTH_CLIENT_SECRET: `${SECRET}\u00e9` }),
    ).toEqual([
      'WEBHOOK_OAUTH_CLIENT_ID must be printable ASCII characters',
      'WEBHOOK_OAUTH_CLIENT_SECRET must be at least 16 printable ASCII characters',
    ]);
    expect(
      problems({
        WEBHOOK_PASSWORD_PREVIOUS: 'old',
        WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS: SECRET,
        WEBHOOK_HEADER_PREVIOUS: 'X-Key: v',
      }),
    ).toEqual([
      'WEBHOOK_PASSWORD_PREVIOUS needs WEBHOOK_PASSWORD',
      'WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS needs WEBHOOK_OAUTH_CLIENT_SECRET',
      'WEBHOOK_HEADER_PREVIOUS needs WEBHOOK_HEADER',
    ]);
  });
});

describe('CORS_ORIGINS', () => {
  const origins = (value: string) => loadConfig({ CORS_ORIGINS: value }, ['api']).api.corsOrigins;

  it('reads a comma list of origins, or *, and none when unset (SparkPost allows no browser calls)', () => {
    expect(loadConfig({}, ['api']).api.corsOrigins).toEqual([]);
    expect(origins('https://App.example.com, http://localhost:5173/')).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(origins('*')).toEqual(['*']);
  });

  it('names a value that is not an origin, or * mixed with origins', () => {
    expect(() => origins('app.example.com')).toThrow(/CORS_ORIGINS takes origins/);
    expect(() => origins('https://app.example.com/path')).toThrow(/CORS_ORIGINS takes origins/);
    expect(() => origins('*,https://app.example.com')).toThrow(/either \* or a list/);
  });
});
