import { ConfigError } from './errors';

/**
 * Configuration: read once from the environment (plus an optional `.env` in local mode), validated in
 * one pass so that every bad variable is named at start. Core code receives values, never `process.env`.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** Collects problems while reading variables; `done()` throws them all at once. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) this.problems.push(`${name} is required`);
    return value ?? '';
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  /** A comma-separated list whose items must come from `allowed`. */
  list<T extends string>(name: string, allowed: readonly T[]): T[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    const items = raw
      .split(',')
      .map((item) => item.trim().toLowerCase())
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

/** Who may post batches. Any configured method is accepted; none configured means nobody can post. */
export interface WebhookAuthConfig {
  readonly disabled: boolean;
  readonly basic?: { readonly username: string; readonly password: string };
  /** Accepted as `Authorization: Bearer <token>` or `X-MessageSystems-Webhook-Token: <token>`. */
  readonly token?: string;
}

/** Who may query. SparkPost clients send `Authorization: <key>` or Basic with the key as user name. */
export interface ApiAuthConfig {
  readonly disabled: boolean;
  readonly apiKeys: readonly string[];
}

export interface DbConfig {
  readonly connectionString?: string;
  readonly poolMax: number;
  readonly statementTimeoutMs: number;
  readonly ssl: boolean;
}

export const AUTH_SCOPES = ['webhook', 'api'] as const;
export type AuthScope = (typeof AUTH_SCOPES)[number];

/** Upper bound for one webhook body. API Gateway's own limit is 10 MB. */
export const DEFAULT_MAX_BATCH_BYTES = 10 * 1024 * 1024;

export function readWebhookAuth(r: EnvReader): WebhookAuthConfig {
  const disabled = r.list('AUTH_DISABLED', AUTH_SCOPES).includes('webhook');
  const username = r.string('WEBHOOK_USERNAME');
  const password = r.string('WEBHOOK_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    r.problem('WEBHOOK_USERNAME and WEBHOOK_PASSWORD must be set together');
  }
  const token = r.string('WEBHOOK_TOKEN');
  return Object.freeze({
    disabled,
    ...(username !== undefined && password !== undefined ? { basic: { username, password } } : {}),
    ...(token !== undefined ? { token } : {}),
  });
}

export function readApiAuth(r: EnvReader): ApiAuthConfig {
  const disabled = r.list('AUTH_DISABLED', AUTH_SCOPES).includes('api');
  const apiKeys = (r.string('API_KEYS') ?? r.string('API_KEY') ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  return Object.freeze({ disabled, apiKeys: Object.freeze(apiKeys) });
}

export function readDbConfig(r: EnvReader): DbConfig {
  const connectionString = r.string('DATABASE_URL');
  return Object.freeze({
    ...(connectionString !== undefined ? { connectionString } : {}),
    poolMax: r.int('PG_POOL_MAX', 4, { min: 1, max: 100 }),
    statementTimeoutMs: r.int('PG_STATEMENT_TIMEOUT_MS', 30_000, { min: 0 }),
    ssl: r.bool('PG_SSL', false),
  });
}
