import { resolve } from 'node:path';
import { ConfigError } from './errors';
import { LOG_LEVELS, type LogLevel } from './logger';

/**
 * Configuration: every environment variable the service reads, its default, range and meaning, in one
 * place. Each entry point calls `loadConfig(env, sections)` once at start; every bad variable is named in
 * one ConfigError. Core code receives values, never `process.env`.
 *
 * Where the rules differ by target they are an option of `loadConfig`: on AWS (`target: 'aws'`) the raw
 * batch bucket and credentials are required; locally they are generated when absent.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** Every variable, with the line that documents it (.env.example and docs/DEPLOY.md list them all). */
export const VARIABLES = {
  DATA_DIR: 'local: raw batches (DATA_DIR/batches), embedded PostgreSQL and generated credentials; ./.data',
  HOST: 'local: HTTP listener address; 127.0.0.1',
  PORT: 'local: HTTP listener port; 3000',
  BATCH_BUCKET: 'AWS: the raw-batch S3 bucket',
  DATABASE_URL: 'PostgreSQL connection string; locally, unset means the embedded PostgreSQL',
  DB_HOST: 'AWS: PostgreSQL host (with DB_SECRET_ARN)',
  DB_READ_HOST: 'AWS: host the query APIs read events from (Aurora reader endpoint); DB_HOST if unset',
  DB_PORT: 'AWS: PostgreSQL port; 5432',
  DB_NAME: 'AWS: database name; events',
  DB_SECRET_ARN: 'AWS: Secrets Manager secret holding {"username","password"} for the database',
  PG_POOL_MAX: 'database connections per process; 4',
  PG_STATEMENT_TIMEOUT_MS: 'server-side statement timeout in ms, 0 for none; 30000',
  PG_SSL: 'connect to PostgreSQL over TLS, verifying the certificate; false',
  PG_ROLE:
    'role every session takes at connection start (as SET ROLE), e.g. events_reader for the query APIs',
  WEBHOOK_USERNAME: 'HTTP Basic user name SparkPost sends (with WEBHOOK_PASSWORD)',
  WEBHOOK_PASSWORD: 'HTTP Basic password SparkPost sends',
  WEBHOOK_PASSWORD_PREVIOUS: 'while rotating: the old Basic password, still accepted (same user name)',
  WEBHOOK_OAUTH_CLIENT_ID: 'OAuth 2.0 client id SparkPost sends to POST /oauth/token (with the secret)',
  WEBHOOK_OAUTH_CLIENT_SECRET:
    'OAuth 2.0 client secret, 16+ printable ASCII characters; it also keys the tokens',
  WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS:
    'while rotating: the old client secret, still accepted, its tokens valid',
  WEBHOOK_OAUTH_TOKEN_TTL_SECONDS: 'lifetime of an issued access token (expires_in), 60 to 86400; 3600',
  WEBHOOK_HEADER: 'a custom header SparkPost sends, "Name: value" (its custom_headers)',
  WEBHOOK_HEADER_PREVIOUS: 'while rotating: the old "Name: value", still accepted',
  WEBHOOK_TOKEN: 'also accept "Authorization: Bearer <token>" or "X-MessageSystems-Webhook-Token: <token>"',
  WEBHOOK_SECRET_ARN:
    'AWS: Secrets Manager secret holding {"username","password"}, {"oauth_client_id","oauth_client_secret"}, {"header"} and/or {"token"}',
  WEBHOOK_OAUTH_SECRET_ARN: 'AWS: Secrets Manager secret holding {"oauth_client_id","oauth_client_secret"}',
  API_KEYS: 'comma-separated query API keys, sent as "Authorization: <key>"',
  API_KEY: 'a single query API key (API_KEYS wins)',
  API_KEYS_SECRET_ARN: 'AWS: Secrets Manager secret holding {"api_keys": "k1,k2"}',
  AUTH_DISABLED: 'webhook, api or webhook,api: turn authentication off explicitly',
  CORS_ORIGINS:
    'browser origins allowed to call the query APIs (CORS), comma-separated, or *; unset: none, as at SparkPost',
  MAX_BATCH_BYTES: 'largest webhook body accepted, in bytes; 10485760',
  RETENTION_DAYS: 'drop day partitions older than this many days, 0 keeps everything; 0',
  PARTITIONS_AHEAD_DAYS: 'create day partitions this many days ahead; 3',
  RECONCILE_DAYS:
    'maintain: raw batches stored in the last this many days that the database does not know are loaded, 0 for none; 14',
  MAINTAIN_INTERVAL_SECONDS: 'local: how often maintenance and the scan for unloaded batches run; 3600',
  DISK_BUDGET_GB:
    'local: disk the data may use (database + raw batches), GB of 10^9 bytes, for status; 0 (none)',
  LOG_LEVEL: 'DEBUG, INFO, WARN, ERROR or SILENT; INFO',
} as const;
export type VariableName = keyof typeof VARIABLES;

/**
 * Secrets Manager secrets and the variables their JSON keys stand for: on AWS the environment holds only
 * the ARN, and aws/secrets.ts overlays the secret's values before `loadConfig` reads them.
 */
export const SECRET_VARIABLES = {
  WEBHOOK_SECRET_ARN: {
    username: 'WEBHOOK_USERNAME',
    password: 'WEBHOOK_PASSWORD',
    password_previous: 'WEBHOOK_PASSWORD_PREVIOUS',
    oauth_client_id: 'WEBHOOK_OAUTH_CLIENT_ID',
    oauth_client_secret: 'WEBHOOK_OAUTH_CLIENT_SECRET',
    oauth_client_secret_previous: 'WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS',
    header: 'WEBHOOK_HEADER',
    header_previous: 'WEBHOOK_HEADER_PREVIOUS',
    token: 'WEBHOOK_TOKEN',
  },
  // The template generates the OAuth client into a secret of its own (one secret generates one value).
  WEBHOOK_OAUTH_SECRET_ARN: {
    oauth_client_id: 'WEBHOOK_OAUTH_CLIENT_ID',
    oauth_client_secret: 'WEBHOOK_OAUTH_CLIENT_SECRET',
    oauth_client_secret_previous: 'WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS',
  },
  API_KEYS_SECRET_ARN: { api_keys: 'API_KEYS' },
} as const satisfies Record<string, Readonly<Record<string, VariableName>>>;

/** Collects problems while reading variables; `done()` throws them all at once. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: VariableName): string | undefined;
  string(name: VariableName, fallback: string): string;
  string(name: VariableName, fallback?: string): string | undefined {
    if (!(name in VARIABLES)) throw new Error(`${name} is not a documented variable (config.ts VARIABLES)`);
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  required(name: VariableName): string {
    const value = this.string(name);
    if (value === undefined) this.problems.push(`${name} is required`);
    return value ?? '';
  }

  int(name: VariableName, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  bool(name: VariableName, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  /** A comma-separated list whose items must come from `allowed`. */
  list<T extends string>(name: VariableName, allowed: readonly T[], normalise = (item: string) => item): T[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    const items = raw
      .split(',')
      .map((item) => normalise(item.trim()))
      .filter(Boolean);
    const bad = items.filter((item) => !allowed.includes(item as T));
    if (bad.length) this.problems.push(`${name} accepts ${allowed.join(', ')} (got "${bad.join(', ')}")`);
    return items.filter((item): item is T => allowed.includes(item as T));
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}

export type Target = 'aws' | 'local';

/** The raw-batch bucket (AWS). Locally, batches live under `local.dataDir`. */
interface StorageConfig {
  readonly bucket: string;
}

/** The OAuth 2.0 client SparkPost is (`auth_type: oauth2`): it gets tokens at `POST /oauth/token`. */
export interface WebhookOAuthClient {
  readonly clientId: string;
  /** Authenticates the client and keys the tokens: a new secret invalidates every token issued before. */
  readonly clientSecret: string;
  /** While rotating: the old secret is still accepted, and the tokens it keyed still verify. */
  readonly previousClientSecret?: string;
}

/** A custom header SparkPost sends with every batch (its `custom_headers`); the name in any case. */
interface WebhookHeader {
  readonly name: string;
  readonly value: string;
}

/** Who may post batches. Any configured method is accepted; none configured means nobody can post. */
export interface WebhookAuthConfig {
  readonly disabled: boolean;
  /** While rotating, `previousPassword` is accepted too. */
  readonly basic?: {
    readonly username: string;
    readonly password: string;
    readonly previousPassword?: string;
  };
  /** `Authorization: Bearer <access token>` with a token `POST /oauth/token` issued to this client. */
  readonly oauth?: WebhookOAuthClient;
  /** While rotating, `previous` (name and value) is accepted too. */
  readonly header?: WebhookHeader & { readonly previous?: WebhookHeader };
  /** Accepted as `Authorization: Bearer <token>` or `X-MessageSystems-Webhook-Token: <token>`. */
  readonly token?: string;
}

interface WebhookConfig {
  readonly auth: WebhookAuthConfig;
  /** Upper bound for one webhook body, in bytes. */
  readonly maxBatchBytes: number;
  /** `expires_in` of the access tokens `POST /oauth/token` issues. */
  readonly tokenTtlSeconds: number;
}

/** Who may query. SparkPost clients send `Authorization: <key>` or Basic with the key as user name. */
export interface ApiAuthConfig {
  readonly disabled: boolean;
  readonly apiKeys: readonly string[];
}

interface ApiConfig {
  readonly auth: ApiAuthConfig;
  /**
   * Browser origins whose cross-origin calls are allowed (CORS): exact origins, or `*` for any. Empty (the
   * default): none, and a preflight gets SparkPost's 403.
   */
  readonly corsOrigins: readonly string[];
}

/**
 * The database: a connection string, or (on AWS) a host whose user name and password are read from a
 * Secrets Manager secret, never from the environment.
 */
export interface DbConfig {
  readonly connectionString?: string;
  readonly host?: string;
  /** Where the query APIs read events (an Aurora reader endpoint); `host` when unset. */
  readonly readHost?: string;
  readonly port: number;
  readonly database: string;
  readonly secretArn?: string;
  readonly poolMax: number;
  readonly statementTimeoutMs: number;
  readonly ssl: boolean;
  /** A role every session takes when it connects (sql/007_query_role.sql's events_reader). */
  readonly role?: string;
}

/** Housekeeping: partitions created ahead, partitions dropped past retention, how often it runs locally. */
export interface MaintenanceConfig {
  /** Create partitions for today and this many days ahead. */
  readonly daysAhead: number;
  /** Drop partitions older than this many days; 0 keeps everything. */
  readonly retentionDays: number;
  /** Locally: how often maintenance (and the scan for unloaded batches) runs. */
  readonly intervalMs: number;
  /**
   * `maintain` loads the raw batches stored in the last this many days that the database does not know
   * (core/reconcile.ts); 0 turns that off.
   */
  readonly reconcileDays: number;
}

interface LocalConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** The disk the data may use (`status` says when it is full); 0: no budget, only the disk's free space. */
  readonly diskBudgetBytes: number;
}

interface LoggingConfig {
  readonly level: LogLevel;
}

export interface Config {
  readonly storage: StorageConfig;
  readonly webhook: WebhookConfig;
  readonly api: ApiConfig;
  readonly db: DbConfig;
  readonly maintenance: MaintenanceConfig;
  readonly local: LocalConfig;
  readonly logging: LoggingConfig;
}
export type Section = keyof Config;

/** Upper bound for one webhook body. API Gateway's own limit is 10 MB. */
export const DEFAULT_MAX_BATCH_BYTES = 10 * 1024 * 1024;
/** Lifetime of an issued access token: the `expires_in` SparkPost's documentation shows. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

const AUTH_SCOPES = ['webhook', 'api'] as const;

const SECTIONS: { readonly [K in Section]: (r: EnvReader, target: Target) => Config[K] } = {
  storage: (r, target) => ({ bucket: target === 'aws' ? r.required('BATCH_BUCKET') : '' }),

  webhook(r, target) {
    const disabled = r.list('AUTH_DISABLED', AUTH_SCOPES, (item) => item.toLowerCase()).includes('webhook');
    const basic = webhookBasic(r);
    const oauth = webhookOAuthClient(r);
    const header = webhookHeader(r);
    const token = r.string('WEBHOOK_TOKEN');
    if (target === 'aws' && !disabled && !basic && !oauth && !header && token === undefined) {
      r.problem(
        'set WEBHOOK_SECRET_ARN (or WEBHOOK_OAUTH_SECRET_ARN), or one of WEBHOOK_USERNAME with WEBHOOK_PASSWORD, ' +
          'WEBHOOK_OAUTH_CLIENT_ID with WEBHOOK_OAUTH_CLIENT_SECRET, WEBHOOK_HEADER, WEBHOOK_TOKEN; or AUTH_DISABLED=webhook',
      );
    }
    return {
      auth: {
        disabled,
        ...(basic ? { basic } : {}),
        ...(oauth ? { oauth } : {}),
        ...(header ? { header } : {}),
        ...(token !== undefined ? { token } : {}),
      },
      maxBatchBytes: r.int('MAX_BATCH_BYTES', DEFAULT_MAX_BATCH_BYTES, { min: 1024 }),
      tokenTtlSeconds: r.int('WEBHOOK_OAUTH_TOKEN_TTL_SECONDS', DEFAULT_TOKEN_TTL_SECONDS, {
        min: 60,
        max: 86_400,
      }),
    };
  },

  api(r, target) {
    const disabled = r.list('AUTH_DISABLED', AUTH_SCOPES, (item) => item.toLowerCase()).includes('api');
    const apiKeys = (r.string('API_KEYS') ?? r.string('API_KEY') ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean);
    if (target === 'aws' && !disabled && apiKeys.length === 0) {
      r.problem('set API_KEYS_SECRET_ARN or API_KEYS (or API_KEY), or AUTH_DISABLED=api');
    }
    return { auth: { disabled, apiKeys }, corsOrigins: corsOrigins(r) };
  },

  db(r, target) {
    const connectionString = r.string('DATABASE_URL');
    const host = r.string('DB_HOST');
    const readHost = r.string('DB_READ_HOST');
    const secretArn = r.string('DB_SECRET_ARN');
    const role = r.string('PG_ROLE');
    if (role !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(role)) {
      r.problem('PG_ROLE must be a plain lower-case role name (letters, digits, underscores)');
    }
    if (
      target === 'aws' &&
      connectionString === undefined &&
      (host === undefined || secretArn === undefined)
    ) {
      r.problem('set DATABASE_URL, or DB_HOST with DB_SECRET_ARN');
    }
    return {
      ...(connectionString !== undefined ? { connectionString } : {}),
      ...(host !== undefined ? { host } : {}),
      ...(readHost !== undefined ? { readHost } : {}),
      ...(secretArn !== undefined ? { secretArn } : {}),
      port: r.int('DB_PORT', 5432, { min: 1, max: 65535 }),
      database: r.string('DB_NAME', 'events'),
      poolMax: r.int('PG_POOL_MAX', 4, { min: 1, max: 100 }),
      statementTimeoutMs: r.int('PG_STATEMENT_TIMEOUT_MS', 30_000),
      ssl: r.bool('PG_SSL', false),
      ...(role !== undefined ? { role } : {}),
    };
  },

  maintenance: (r) => ({
    daysAhead: r.int('PARTITIONS_AHEAD_DAYS', 3, { max: 366 }),
    retentionDays: r.int('RETENTION_DAYS', 0),
    reconcileDays: r.int('RECONCILE_DAYS', 14, { max: 3660 }),
    intervalMs: r.int('MAINTAIN_INTERVAL_SECONDS', 3600, { min: 1, max: 86_400 * 7 }) * 1000,
  }),

  local: (r) => ({
    dataDir: resolve(r.string('DATA_DIR', './.data')),
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 3000, { max: 65535 }),
    diskBudgetBytes: r.int('DISK_BUDGET_GB', 0, { max: 1_000_000 }) * 1e9,
  }),

  logging(r) {
    const [level = 'INFO'] = r.list('LOG_LEVEL', LOG_LEVELS, (item) => item.toUpperCase());
    return { level };
  },
};

/** An origin as a browser sends it: scheme, host and optional port, nothing after. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

function corsOrigins(r: EnvReader): string[] {
  const items = (r.string('CORS_ORIGINS') ?? '')
    .split(',')
    .map((item) => item.trim().replace(/\/$/, ''))
    .filter(Boolean);
  if (items.includes('*')) {
    if (items.length > 1) r.problem('CORS_ORIGINS is either * or a list of origins, not both');
    return ['*'];
  }
  const bad = items.filter((item) => !ORIGIN.test(item));
  if (bad.length > 0) {
    r.problem(`CORS_ORIGINS takes origins such as https://app.example.com (got "${bad.join(', ')}")`);
  }
  return items.filter((item) => ORIGIN.test(item)).map((item) => item.toLowerCase());
}

/** A `_PREVIOUS` variable only makes sense beside the one it is the previous value of. */
function previousOf(
  r: EnvReader,
  name: VariableName,
  of: VariableName,
  present: boolean,
): string | undefined {
  const value = r.string(name);
  if (value !== undefined && !present) r.problem(`${name} needs ${of}`);
  return present ? value : undefined;
}

function webhookBasic(r: EnvReader): WebhookAuthConfig['basic'] {
  const username = r.string('WEBHOOK_USERNAME');
  const password = r.string('WEBHOOK_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    r.problem('WEBHOOK_USERNAME and WEBHOOK_PASSWORD must be set together');
  }
  const present = username !== undefined && password !== undefined;
  const previousPassword = previousOf(r, 'WEBHOOK_PASSWORD_PREVIOUS', 'WEBHOOK_PASSWORD', present);
  if (!present) return undefined;
  return { username, password, ...(previousPassword !== undefined ? { previousPassword } : {}) };
}

/** RFC 6749 appendix A: client ids and secrets are printable ASCII (VSCHAR). */
const VSCHARS = /^[\x20-\x7e]+$/;
/**
 * The client secret is also the key material of the tokens, and a token seen on the wire lets anyone
 * try guesses offline: it must not be guessable.
 */
const MIN_CLIENT_SECRET_CHARS = 16;

function webhookOAuthClient(r: EnvReader): WebhookOAuthClient | undefined {
  const clientId = r.string('WEBHOOK_OAUTH_CLIENT_ID');
  const clientSecret = r.string('WEBHOOK_OAUTH_CLIENT_SECRET');
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    r.problem('WEBHOOK_OAUTH_CLIENT_ID and WEBHOOK_OAUTH_CLIENT_SECRET must be set together');
  }
  const present = clientId !== undefined && clientSecret !== undefined;
  const previousClientSecret = previousOf(
    r,
    'WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS',
    'WEBHOOK_OAUTH_CLIENT_SECRET',
    present,
  );
  if (clientId !== undefined && !VSCHARS.test(clientId)) {
    r.problem('WEBHOOK_OAUTH_CLIENT_ID must be printable ASCII characters');
  }
  const secrets = {
    WEBHOOK_OAUTH_CLIENT_SECRET: clientSecret,
    WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS: previousClientSecret,
  };
  for (const [name, secret] of Object.entries(secrets)) {
    // The value itself never goes into a message: it is a secret.
    if (secret !== undefined && (!VSCHARS.test(secret) || secret.length < MIN_CLIENT_SECRET_CHARS)) {
      r.problem(`${name} must be at least ${MIN_CLIENT_SECRET_CHARS} printable ASCII characters`);
    }
  }
  if (!present) return undefined;
  return {
    clientId,
    clientSecret,
    ...(previousClientSecret !== undefined ? { previousClientSecret } : {}),
  };
}

/** RFC 7230 §3.2.6: a header name is a token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 7230 §3.2: visible characters (and obs-text), with spaces or tabs only inside. */
const HEADER_VALUE = /^[\x21-\x7e\x80-\xff](?:[\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?$/;
/** Headers with a meaning of their own here, or that a proxy may rewrite: never a shared secret. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'x-messagesystems-webhook-token',
  'x-messagesystems-batch-id',
  'host',
  'connection',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
]);

/** `Name: value` → the header, or a problem that names the variable (never the value). */
function parseHeader(r: EnvReader, name: VariableName): WebhookHeader | undefined {
  const raw = r.string(name);
  if (raw === undefined) return undefined;
  const colon = raw.indexOf(':');
  const headerName = colon < 0 ? '' : raw.slice(0, colon).trim();
  const value = colon < 0 ? '' : raw.slice(colon + 1).trim();
  if (!HEADER_NAME.test(headerName)) {
    r.problem(
      `${name} must be "Name: value" with a header name of letters, digits and !#$%&'*+-.^_\`|~ (got ${colon < 0 ? 'no colon' : 'a malformed name'})`,
    );
    return undefined;
  }
  if (RESERVED_HEADERS.has(headerName.toLowerCase())) {
    r.problem(`${name} cannot use ${headerName}: that header has a meaning of its own here`);
    return undefined;
  }
  if (!HEADER_VALUE.test(value)) {
    r.problem(`${name} must have a value after "${headerName}:" (visible characters, no line breaks)`);
    return undefined;
  }
  return { name: headerName, value };
}

function webhookHeader(r: EnvReader): WebhookAuthConfig['header'] {
  const current = parseHeader(r, 'WEBHOOK_HEADER');
  const present = r.string('WEBHOOK_HEADER') !== undefined;
  const previous = present ? parseHeader(r, 'WEBHOOK_HEADER_PREVIOUS') : undefined;
  previousOf(r, 'WEBHOOK_HEADER_PREVIOUS', 'WEBHOOK_HEADER', present);
  if (!current) return undefined;
  return { ...current, ...(previous ? { previous } : {}) };
}

/**
 * Reads the named sections of the configuration in one pass: throws one ConfigError naming every bad or
 * missing variable, or returns a frozen object with exactly those sections.
 */
export function loadConfig<K extends Section>(
  env: Env,
  sections: readonly K[],
  { target = 'local' }: { target?: Target } = {},
): Pick<Config, K> {
  const r = new EnvReader(env);
  const config = Object.fromEntries(sections.map((name) => [name, deepFreeze(SECTIONS[name](r, target))]));
  r.done();
  return Object.freeze(config) as Pick<Config, K>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
