import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createApp } from '../app';
import type { ApiAuthConfig, Config, WebhookAuthConfig } from '../config';
import { createEventReader } from '../db/event-reader';
import { createEventStore } from '../db/event-store';
import { maintain } from '../db/maintain';
import { migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import { loadOrCreateCredentials } from './credentials';
import { connectLocalDatabase } from './database';
import { dirBatchStore } from './dir-batch-store';
import { createLoadQueue, type LoadQueue } from './load-queue';
import { createHttpServer } from './server';

/** The configuration sections `npm start` reads (config.ts). */
export const LOCAL_SECTIONS = ['local', 'webhook', 'api', 'db', 'maintenance', 'logging'] as const;
export type LocalServiceConfig = Pick<Config, (typeof LOCAL_SECTIONS)[number]>;

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
export async function startLocalService(config: LocalServiceConfig, logger: Logger): Promise<LocalService> {
  const { webhookAuth, apiAuth, credentialsCreated } = await withGeneratedCredentials(config);

  const database = await connectLocalDatabase(config.db, config.local.dataDir, logger);
  const { db } = database;
  try {
    await migrate(db, MIGRATIONS, logger);
  } catch (error) {
    await database.close();
    throw error;
  }

  const store = dirBatchStore(config.local.dataDir);
  const loads = createLoadQueue({ store, events: createEventStore(db), logger });
  const runMaintenance = () =>
    maintain(db, { ...config.maintenance, now: Date.now() }, logger).catch((error: unknown) =>
      logger.error('maintenance failed', { error: (error as Error).message }),
    );
  await runMaintenance();
  const timer = setInterval(() => {
    void runMaintenance();
    void loads.scan();
  }, config.maintenance.intervalMs);
  timer.unref();

  const app = createApp({
    logger,
    webhook: {
      store,
      auth: webhookAuth,
      maxBatchBytes: config.webhook.maxBatchBytes,
      logger,
      onStored: (key) => void loads.load(key),
    },
    query: { reader: createEventReader(db), now: Date.now, auth: apiAuth },
  });
  const server = createHttpServer(app, { maxBodyBytes: config.webhook.maxBatchBytes, logger });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.local.port, config.local.host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  void loads.scan();

  return {
    url: `http://${host}:${address.port}`,
    webhookAuth,
    apiAuth,
    credentialsCreated,
    usingEmbeddedPg: database.server.embedded,
    db,
    loads,
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeAllConnections();
      await loads.idle();
      await database.close();
    },
  };
}

/** Fills in webhook and API credentials the environment leaves unset with generated ones. */
async function withGeneratedCredentials(config: LocalServiceConfig) {
  let webhookAuth: WebhookAuthConfig = config.webhook.auth;
  let apiAuth: ApiAuthConfig = config.api.auth;
  const needWebhook = !webhookAuth.disabled && !webhookAuth.basic && !webhookAuth.token;
  const needApi = !apiAuth.disabled && apiAuth.apiKeys.length === 0;
  if (!needWebhook && !needApi) return { webhookAuth, apiAuth, credentialsCreated: false };
  const { credentials, created } = await loadOrCreateCredentials(
    join(config.local.dataDir, 'credentials.json'),
  );
  if (needWebhook) {
    webhookAuth = {
      ...webhookAuth,
      basic: { username: credentials.webhookUsername, password: credentials.webhookPassword },
    };
  }
  if (needApi) apiAuth = { ...apiAuth, apiKeys: [credentials.apiKey] };
  return { webhookAuth, apiAuth, credentialsCreated: created };
}
