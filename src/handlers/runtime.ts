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
import { createLogger, type Logger } from '../logger';
import type { BatchStore } from '../storage/batch-store';
import { s3BatchStore } from '../storage/s3';

/**
 * What the Lambda handlers build once per cold start, from the environment. Configuration problems are
 * collected and thrown together, so a bad deploy fails on its first invocation with every cause named.
 */
export const logger: Logger = createLogger();

/** The raw-batch bucket (BATCH_BUCKET). */
export function storeFromEnv(env: Env): BatchStore {
  const r = new EnvReader(env);
  const bucket = r.required('BATCH_BUCKET');
  r.done();
  return s3BatchStore(new S3Client({}), bucket);
}

export function webhookSettingsFromEnv(env: Env) {
  const r = new EnvReader(env);
  const auth = readWebhookAuth(r);
  const maxBatchBytes = r.int('MAX_BATCH_BYTES', DEFAULT_MAX_BATCH_BYTES, { min: 1024 });
  if (!auth.disabled && !auth.basic && !auth.token) {
    r.problem('set WEBHOOK_USERNAME and WEBHOOK_PASSWORD, or WEBHOOK_TOKEN, or AUTH_DISABLED=webhook');
  }
  r.done();
  return { auth, maxBatchBytes };
}

export function apiAuthFromEnv(env: Env) {
  const r = new EnvReader(env);
  const auth = readApiAuth(r);
  if (!auth.disabled && auth.apiKeys.length === 0)
    r.problem('set API_KEYS (or API_KEY), or AUTH_DISABLED=api');
  r.done();
  return auth;
}

/**
 * The database: DATABASE_URL, or DB_HOST/DB_PORT/DB_NAME with the user name and password read from the
 * Secrets Manager secret DB_SECRET_ARN (never from the environment itself).
 */
export async function dbFromEnv(env: Env): Promise<Db> {
  const r = new EnvReader(env);
  const base = readDbConfig(r);
  const secretArn = r.string('DB_SECRET_ARN');
  let config: DbConfig = base;
  if (base.connectionString === undefined) {
    const host = r.required('DB_HOST');
    const port = r.int('DB_PORT', 5432, { min: 1, max: 65535 });
    const database = r.string('DB_NAME', 'events');
    if (secretArn === undefined) r.problem('set DATABASE_URL, or DB_HOST with DB_SECRET_ARN');
    r.done();
    const secret = await readDbSecret(secretArn as string);
    const url = new URL(`postgresql://${host}:${port}/${database}`);
    url.username = encodeURIComponent(secret.username);
    url.password = encodeURIComponent(secret.password);
    config = { ...base, connectionString: url.toString() };
  } else {
    r.done();
  }
  return createDb(config, logger);
}

async function readDbSecret(arn: string): Promise<{ username: string; password: string }> {
  const result = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
  const parsed = JSON.parse(result.SecretString ?? '{}') as { username?: string; password?: string };
  if (!parsed.username || !parsed.password) throw new Error('the database secret has no username/password');
  return { username: parsed.username, password: parsed.password };
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
