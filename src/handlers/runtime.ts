import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  type DbConfig,
  DEFAULT_MAX_BATCH_BYTES,
  type Env,
  EnvReader,
  readApiAuth,
  readDbConfig,
  readWebhookAuth,
} from '../config';
import { createDb, type Db } from '../db/pool';
import { ConfigError } from '../errors';
import { createLogger, type Logger } from '../logger';
import type { BatchStore } from '../storage/batch-store';
import { s3BatchStore } from '../storage/s3';

/**
 * What the Lambda handlers build once per cold start, from the environment. Configuration problems are
 * collected and thrown together, so a bad deploy fails on its first invocation with every cause named.
 *
 * Secrets never sit in the environment on AWS: it holds the ARNs of Secrets Manager secrets, read here
 * at cold start and kept in memory only (never written back to `process.env`, never logged).
 */
export const logger: Logger = createLogger();

/** Reads a secret's string value by ARN (Secrets Manager on AWS; tests pass their own). */
export type SecretReader = (secretId: string) => Promise<string>;

/** Secrets Manager through the SDK; inside the VPC its interface endpoint answers. */
export function secretsManagerReader(client: Pick<SecretsManagerClient, 'send'>): SecretReader {
  return async (secretId) => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (result.SecretString === undefined) throw new ConfigError([`secret ${secretId} has no string value`]);
    return result.SecretString;
  };
}

let defaultReader: SecretReader | undefined;
function awsSecrets(): SecretReader {
  defaultReader ??= secretsManagerReader(new SecretsManagerClient({}));
  return defaultReader;
}

/** A secret holding a JSON object. Errors name the secret, never echo its content. */
async function readJsonSecret(read: SecretReader, secretId: string): Promise<Record<string, unknown>> {
  const text = await read(secretId);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input: it must not reach a log.
    throw new ConfigError([`secret ${secretId} is not a JSON object`]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError([`secret ${secretId} is not a JSON object`]);
  }
  return value as Record<string, unknown>;
}

/**
 * The environment with the values of the JSON secret named by `arnVariable` overlaid on the variables
 * they stand for (`{ jsonKey: VARIABLE }`). Without that variable the environment is returned as is, so
 * plain variables keep working for `sam local invoke` and tests.
 */
async function withSecret(
  env: Env,
  arnVariable: string,
  fields: Readonly<Record<string, string>>,
  readSecret: SecretReader | undefined,
): Promise<Env> {
  const secretId = env[arnVariable];
  if (!secretId) return env;
  const clashing = Object.values(fields).filter((name) => env[name]);
  if (clashing.length) {
    throw new ConfigError([`set ${arnVariable} or ${clashing.join(', ')}, not both`]);
  }
  const secret = await readJsonSecret(readSecret ?? awsSecrets(), secretId);
  const overlay: Record<string, string> = {};
  for (const [key, variable] of Object.entries(fields)) {
    const value = secret[key];
    if (typeof value === 'string' && value !== '') overlay[variable] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      overlay[variable] = value.join(',');
    }
  }
  if (Object.keys(overlay).length === 0) {
    throw new ConfigError([
      `secret ${env[arnVariable]} (${arnVariable}) holds none of ${Object.keys(fields).join(', ')}`,
    ]);
  }
  return { ...env, ...overlay };
}

/** The raw-batch bucket (BATCH_BUCKET). */
export function storeFromEnv(env: Env): BatchStore {
  const r = new EnvReader(env);
  const bucket = r.required('BATCH_BUCKET');
  r.done();
  return s3BatchStore(new S3Client({}), bucket);
}

/**
 * Who may post batches: WEBHOOK_USERNAME/WEBHOOK_PASSWORD and/or WEBHOOK_TOKEN, or on AWS the JSON secret
 * WEBHOOK_SECRET_ARN (`{"username","password"}` and/or `{"token"}`).
 */
export async function webhookSettingsFromEnv(env: Env, readSecret?: SecretReader) {
  const resolved = await withSecret(
    env,
    'WEBHOOK_SECRET_ARN',
    { username: 'WEBHOOK_USERNAME', password: 'WEBHOOK_PASSWORD', token: 'WEBHOOK_TOKEN' },
    readSecret,
  );
  const r = new EnvReader(resolved);
  const auth = readWebhookAuth(r);
  const maxBatchBytes = r.int('MAX_BATCH_BYTES', DEFAULT_MAX_BATCH_BYTES, { min: 1024 });
  if (!auth.disabled && !auth.basic && !auth.token) {
    r.problem(
      'set WEBHOOK_SECRET_ARN, or WEBHOOK_USERNAME and WEBHOOK_PASSWORD, or WEBHOOK_TOKEN, or AUTH_DISABLED=webhook',
    );
  }
  r.done();
  return { auth, maxBatchBytes };
}

/** Who may query: API_KEYS, or on AWS the JSON secret API_KEYS_SECRET_ARN (`{"api_keys": "k1,k2"}`). */
export async function apiAuthFromEnv(env: Env, readSecret?: SecretReader) {
  const resolved = await withSecret(env, 'API_KEYS_SECRET_ARN', { api_keys: 'API_KEYS' }, readSecret);
  const r = new EnvReader(resolved);
  const auth = readApiAuth(r);
  if (!auth.disabled && auth.apiKeys.length === 0)
    r.problem('set API_KEYS_SECRET_ARN or API_KEYS (or API_KEY), or AUTH_DISABLED=api');
  r.done();
  return auth;
}

/** How far ahead MaintainFunction creates day partitions, and how long events are kept (0: forever). */
export function maintainSettingsFromEnv(env: Env) {
  const r = new EnvReader(env);
  const settings = {
    daysAhead: r.int('PARTITIONS_AHEAD_DAYS', 3, { max: 366 }),
    retentionDays: r.int('RETENTION_DAYS', 0),
  };
  r.done();
  return settings;
}

/**
 * The database: DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME with the user name and password read from the
 * Secrets Manager secret DB_SECRET_ARN (never from the environment itself). RDS rotates a managed master
 * password every 7 days by default: when the server rejects the password, the secret is read again.
 */
export async function dbFromEnv(env: Env, readSecret?: SecretReader): Promise<Db> {
  const r = new EnvReader(env);
  const base = readDbConfig(r);
  if (base.connectionString !== undefined) {
    r.done();
    return createDb(base, logger);
  }
  const host = r.required('DB_HOST');
  const port = r.int('DB_PORT', 5432, { min: 1, max: 65535 });
  const database = r.string('DB_NAME', 'events');
  const secretArn = r.string('DB_SECRET_ARN');
  if (secretArn === undefined) r.problem('set DATABASE_URL, or DB_HOST with DB_SECRET_ARN');
  r.done();

  const read = readSecret ?? awsSecrets();
  const connect = async (): Promise<Db> => {
    const secret = await readJsonSecret(read, secretArn as string);
    if (typeof secret.username !== 'string' || typeof secret.password !== 'string') {
      throw new ConfigError([`secret ${secretArn} (DB_SECRET_ARN) has no username/password`]);
    }
    const url = new URL(`postgresql://${host}:${port}/${database}`);
    url.username = encodeURIComponent(secret.username);
    url.password = encodeURIComponent(secret.password);
    const config: DbConfig = { ...base, connectionString: url.toString() };
    return createDb(config, logger);
  };
  return reconnectOnPasswordChange(await connect(), connect, logger);
}

/** SQLSTATE 28P01 invalid_password: the password changed (rotation) since the secret was read. */
function isPasswordRejected(error: unknown): boolean {
  return (error as { code?: unknown }).code === '28P01';
}

/**
 * A Db that, when the server rejects the password, builds a new pool from a fresh read of the secret and
 * runs the operation once more. Safe to repeat: authentication fails before any statement runs.
 */
export function reconnectOnPasswordChange(initial: Db, rebuild: () => Promise<Db>, log: Logger): Db {
  let current = initial;
  let refreshing: Promise<Db> | undefined;

  const refresh = (failed: Db): Promise<Db> => {
    if (current !== failed) return Promise.resolve(current);
    refreshing ??= rebuild()
      .then((db) => {
        current = db;
        failed.end().catch(() => undefined);
        return db;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  const run = async <T>(operation: (db: Db) => Promise<T>): Promise<T> => {
    const db = current;
    try {
      return await operation(db);
    } catch (error) {
      if (!isPasswordRejected(error)) throw error;
      log.warn('database password rejected; reading the secret again');
      return operation(await refresh(db));
    }
  };

  return {
    query: ((text, values) => run((db) => db.query(text, values))) as Db['query'],
    transaction: (work) => run((db) => db.transaction(work)),
    withClient: (work) => run((db) => db.withClient(work)),
    end: () => current.end(),
  };
}

/** Builds a value once, on first use, and keeps it for the life of the execution environment. */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}
