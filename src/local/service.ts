import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createApp } from '../app';
import {
  type ApiAuthConfig,
  DEFAULT_MAX_BATCH_BYTES,
  type Env,
  EnvReader,
  readApiAuth,
  readDbConfig,
  readWebhookAuth,
  type WebhookAuthConfig,
} from '../config';
import { createEventStore } from '../db/load';
import { maintain } from '../db/maintain';
import { migrate, readMigrations } from '../db/migrate';
import { createDb, type Db } from '../db/pool';
import { createEventReader } from '../db/read';
import type { Logger } from '../logger';
import { localDirBatchStore } from '../storage/local-dir';
import { loadOrCreateCredentials } from './credentials';
import { type EmbeddedPg, startEmbeddedPg } from './embedded-pg';
import { createLoadQueue, type LoadQueue } from './load-queue';
import { createHttpServer } from './server';

/** Where the numbered SQL migrations live in the repository. */
export const MIGRATIONS_DIR = resolve(__dirname, '..', '..', 'sql');

export interface LocalConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly maxBatchBytes: number;
  readonly databaseUrl?: string;
  readonly webhookAuth: WebhookAuthConfig;
  readonly apiAuth: ApiAuthConfig;
  readonly retentionDays: number;
  readonly partitionsAhead: number;
  readonly maintainEveryMs: number;
  readonly poolMax: number;
}

/** Reads the local service's configuration; every bad variable is reported at once. */
export function readLocalConfig(env: Env): LocalConfig {
  const r = new EnvReader(env);
  const db = readDbConfig(r);
  const config: LocalConfig = {
    dataDir: resolve(r.string('DATA_DIR', './.data')),
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 3000, { max: 65535 }),
    maxBatchBytes: r.int('MAX_BATCH_BYTES', DEFAULT_MAX_BATCH_BYTES, { min: 1024 }),
    ...(db.connectionString !== undefined ? { databaseUrl: db.connectionString } : {}),
    webhookAuth: readWebhookAuth(r),
    apiAuth: readApiAuth(r),
    retentionDays: r.int('RETENTION_DAYS', 0),
    partitionsAhead: r.int('PARTITIONS_AHEAD_DAYS', 3, { max: 366 }),
    maintainEveryMs: r.int('MAINTAIN_INTERVAL_SECONDS', 3600, { min: 1 }) * 1000,
    poolMax: db.poolMax,
  };
  r.done();
  return Object.freeze(config);
}

export interface LocalService {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly webhookAuth: WebhookAuthConfig;
  readonly apiAuth: ApiAuthConfig;
  /** True when credentials were generated on this start (print them). */
  readonly credentialsCreated: boolean;
  readonly usingEmbeddedPg: boolean;
  readonly db: Db;
  readonly loads: LoadQueue;
  stop(): Promise<void>;
}

/**
 * Starts everything `npm start` runs: PostgreSQL (embedded unless DATABASE_URL), migrations, the local
 * batch folder, the in-process loader (plus a scan for batches stored but not loaded), the maintenance
 * timer and the HTTP server.
 */
export async function startLocalService(config: LocalConfig, logger: Logger): Promise<LocalService> {
  const { webhookAuth, apiAuth, credentialsCreated } = await withGeneratedCredentials(config);

  let embedded: EmbeddedPg | undefined;
  let connectionString = config.databaseUrl;
  if (connectionString === undefined) {
    embedded = await startEmbeddedPg(join(config.dataDir, 'pg'), logger);
    connectionString = embedded.connectionString;
  }
  const db = createDb(
    { connectionString, poolMax: config.poolMax, statementTimeoutMs: 30_000, ssl: false },
    logger,
  );
  try {
    await migrate(db, await readMigrations(MIGRATIONS_DIR), logger);
  } catch (error) {
    await db.end();
    await embedded?.stop();
    throw error;
  }

  const store = localDirBatchStore(config.dataDir);
  const loads = createLoadQueue({ store, events: createEventStore(db), logger });
  const runMaintenance = () =>
    maintain(
      db,
      { daysAhead: config.partitionsAhead, retentionDays: config.retentionDays, now: Date.now() },
      logger,
    ).catch((error: unknown) => logger.error('maintenance failed', { error: (error as Error).message }));
  await runMaintenance();
  const timer = setInterval(() => {
    void runMaintenance();
    void loads.scan();
  }, config.maintainEveryMs);
  timer.unref();

  const app = createApp({
    logger,
    webhook: {
      store,
      auth: webhookAuth,
      maxBatchBytes: config.maxBatchBytes,
      logger,
      onStored: (key) => void loads.load(key),
    },
    query: { reader: createEventReader(db), now: Date.now, auth: apiAuth },
  });
  const server = createHttpServer(app, { maxBodyBytes: config.maxBatchBytes, logger });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  void loads.scan();

  return {
    url: `http://${host}:${address.port}`,
    webhookAuth,
    apiAuth,
    credentialsCreated,
    usingEmbeddedPg: embedded !== undefined,
    db,
    loads,
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeAllConnections();
      await loads.idle();
      await db.end();
      await embedded?.stop();
    },
  };
}

/** Fills in webhook and API credentials the environment leaves unset with generated ones. */
async function withGeneratedCredentials(config: LocalConfig) {
  let { webhookAuth, apiAuth } = config;
  const needWebhook = !webhookAuth.disabled && !webhookAuth.basic && !webhookAuth.token;
  const needApi = !apiAuth.disabled && apiAuth.apiKeys.length === 0;
  if (!needWebhook && !needApi) return { webhookAuth, apiAuth, credentialsCreated: false };
  const { credentials, created } = await loadOrCreateCredentials(join(config.dataDir, 'credentials.json'));
  if (needWebhook) {
    webhookAuth = {
      ...webhookAuth,
      basic: { username: credentials.webhookUsername, password: credentials.webhookPassword },
    };
  }
  if (needApi) apiAuth = { ...apiAuth, apiKeys: [credentials.apiKey] };
  return { webhookAuth, apiAuth, credentialsCreated: created };
}
