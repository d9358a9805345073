import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createApp, type HealthReport } from '../app';
import type { ApiAuthConfig, Config, WebhookAuthConfig } from '../config';
import { createApiKeyService } from '../core/api-keys';
import { warnIfAuthDisabled } from '../core/auth';
import { BATCH_PREFIX } from '../core/batch-key';
import { describe } from '../core/load-batch';
import type { EventReader } from '../core/ports';
import { createApiKeyStore } from '../db/api-key-store';
import { convertV1 } from '../db/convert-v1';
import { createEventReader } from '../db/event-reader';
import { createEventStore } from '../db/event-store';
import { maintain } from '../db/maintain';
import { migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations';
import { createDb, type Db } from '../db/pool';
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';
import { loadOrCreateCredentials } from './credentials';
import { type LocalDatabase, openLocalDatabase, runningService, SERVICE_PID_FILE } from './database';
import { dirBatchStore, prepareBatchFolder } from './dir-batch-store';
import { createLoadQueue, type LoadQueue } from './load-queue';
import { createHttpServer } from './server';

/** The configuration sections `npm start` reads (config.ts). */
export const LOCAL_SECTIONS = ['local', 'webhook', 'api', 'db', 'maintenance', 'logging'] as const;
export type LocalServiceConfig = Pick<Config, (typeof LOCAL_SECTIONS)[number]>;

/** The loader's own connections: queries can never take them (its statements may run long). */
const LOADER_CONNECTIONS = 2;
const LOADER_STATEMENT_TIMEOUT_MS = 10 * 60_000;
/** How long a stop lets requests in progress finish. */
const STOP_GRACE_MS = 2000;

export interface LocalService {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly webhookAuth: WebhookAuthConfig;
  readonly apiAuth: ApiAuthConfig;
  /** True when credentials were generated on this start (print them). */
  readonly credentialsCreated: boolean;
  /** The secrets in use that this start generated: the only ones the banner may print. */
  readonly generatedSecrets: readonly string[];
  /** `expires_in` of the OAuth access tokens. */
  readonly tokenTtlSeconds: number;
  /** Resolves once the database is reachable and migrated (the webhook answers before that). */
  readonly ready: Promise<void>;
  /** Where the database is; undefined until it is ready. */
  database(): Pick<LocalDatabase, 'embedded' | 'pgDataDir'> | undefined;
  /** The query connections (throws until `ready`). */
  readonly db: Db;
  readonly loads: LoadQueue;
  health(): Promise<HealthReport>;
  stop(): Promise<void>;
}

interface Database {
  readonly server: LocalDatabase;
  readonly queryDb: Db;
  readonly loaderDb: Db;
}

/**
 * Starts everything `npm start` runs. The webhook listens first and stores batches whatever the state of
 * the database; PostgreSQL (embedded unless DATABASE_URL) and its migrations are brought up in the
 * background, and tried again until they succeed. Then the loader, the scan for batches stored but not
 * loaded, and the maintenance timer start.
 */
export async function startLocalService(config: LocalServiceConfig, logger: Logger): Promise<LocalService> {
  const { dataDir } = config.local;
  await makePrivate(dataDir);
  const releaseLock = await claimDataDir(dataDir);
  const { webhookAuth, apiAuth, credentialsCreated, generatedSecrets } =
    await withGeneratedCredentials(config);
  warnIfAuthDisabled(logger, { webhook: webhookAuth.disabled, api: apiAuth.disabled });
  const { removed } = await prepareBatchFolder(dataDir, BATCH_PREFIX);
  if (removed > 0) logger.info('removed temporary files of unfinished writes', { removed });
  const store = dirBatchStore(dataDir);

  const database = bringUpDatabase(config, logger);
  const loads = createLoadQueue({
    store,
    logger,
    events: database.ready.then(({ loaderDb }) => createEventStore(loaderDb)),
    retention: { days: config.maintenance.retentionDays, now: Date.now },
  });

  const queryDb = (): Db => {
    const current = database.current();
    if (!current) throw new UnavailableError('The database is starting; retry shortly');
    return current.queryDb;
  };
  const reader = (): EventReader => createEventReader(queryDb());
  const keys = createApiKeyService({
    store: createApiKeyStore({ query: (text, values) => queryDb().query(text, values) }),
    logger,
  });
  const health = async (): Promise<HealthReport> => {
    const state = database.state();
    const { pending, retrying, waitingForDatabase } = loads.stats();
    const status = state !== 'ready' ? 'starting' : waitingForDatabase ? 'degraded' : 'ok';
    return { status, database: state, loader: { pending, retrying, waitingForDatabase } };
  };
  const app = createApp({
    logger,
    corsOrigins: config.api.corsOrigins,
    webhook: {
      store,
      auth: webhookAuth,
      maxBatchBytes: config.webhook.maxBatchBytes,
      tokenTtlSeconds: config.webhook.tokenTtlSeconds,
      logger,
      onBatch: (key) => loads.add(key),
    },
    query: {
      reader: {
        rows: (query) => reader().rows(query),
        count: (query) => reader().count(query),
        records: (query) => reader().records(query),
        async *stream(query, batchSize) {
          const current = reader();
          if (!current.stream) throw new Error('the query database cannot stream');
          yield* current.stream(query, batchSize);
        },
      },
      logger,
      now: Date.now,
      auth: apiAuth,
      keys,
      health,
    },
  });
  const server = createHttpServer(app, { maxBodyBytes: config.webhook.maxBatchBytes, logger });
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(config.local.port, config.local.host, () => resolveListen());
    });
  } catch (error) {
    await loads.stop();
    await database.stop();
    await releaseLock();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let timer: NodeJS.Timeout | undefined;
  const ready = database.ready.then(async ({ loaderDb }) => {
    const runMaintenance = () =>
      maintain(loaderDb, { ...config.maintenance, now: Date.now() }, logger).catch((error: unknown) =>
        logger.error('maintenance failed', { error: describe(error) }),
      );
    await runMaintenance();
    loads.scan();
    // A database upgraded from storage v1: its events move to v2 a day at a time, in the background.
    convertV1(loaderDb, createEventStore(loaderDb), logger).catch((error: unknown) =>
      logger.error('conversion of v1 events failed; the next start tries again', { error: describe(error) }),
    );
    // A safety net only: stored batches are loaded as they arrive, and retried within seconds.
    timer = setInterval(() => {
      void runMaintenance();
      loads.scan();
    }, config.maintenance.intervalMs);
    timer.unref();
  });

  return {
    url: `http://${host}:${address.port}`,
    webhookAuth,
    apiAuth,
    credentialsCreated,
    generatedSecrets,
    tokenTtlSeconds: config.webhook.tokenTtlSeconds,
    ready,
    database: () => database.current()?.server,
    get db() {
      const current = database.current();
      if (!current) throw new Error('the database is not ready yet (await service.ready)');
      return current.queryDb;
    },
    loads,
    health,
    async stop() {
      clearInterval(timer);
      // No new connections; idle keep-alive ones close now, busy ones after their request or a grace
      // period (a request cut short was not answered 200, so SparkPost sends it again).
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
      await closed;
      clearTimeout(grace);
      // The slice of batches in progress finishes; the rest stays stored for the next start.
      await loads.stop();
      await database.stop();
      await releaseLock();
    },
  };
}

/**
 * The database, brought up in the background and retried (1 s, doubling to 30 s) until it works:
 * the embedded PostgreSQL or DATABASE_URL's server, two pools (queries, loader), the migrations.
 * `ready` resolves once, when all of that succeeded; it never rejects.
 */
function bringUpDatabase(config: LocalServiceConfig, logger: Logger) {
  let state: 'starting' | 'ready' | 'unavailable' = 'starting';
  let current: Database | undefined;
  let server: LocalDatabase | undefined;
  let stopped = false;
  let cancelWait: (() => void) | undefined;
  let inFlight: Promise<Database> | undefined;

  const attempt = async (): Promise<Database> => {
    server ??= await openLocalDatabase(
      { databaseUrl: config.db.connectionString, dataDir: config.local.dataDir },
      logger,
    );
    const queryDb = createDb({ ...config.db, connectionString: server.connectionString }, logger);
    const loaderDb = createDb(
      {
        ...config.db,
        connectionString: server.connectionString,
        poolMax: LOADER_CONNECTIONS,
        statementTimeoutMs: LOADER_STATEMENT_TIMEOUT_MS,
      },
      logger,
    );
    try {
      await migrate(loaderDb, MIGRATIONS, logger);
      return { server, queryDb, loaderDb };
    } catch (error) {
      await Promise.all([queryDb.end(), loaderDb.end()]);
      throw error;
    }
  };

  const ready = new Promise<Database>((resolveReady) => {
    void (async () => {
      for (let failures = 0; !stopped; ) {
        try {
          inFlight = attempt();
          current = await inFlight;
          state = 'ready';
          logger.info('database ready', { embedded: current.server.embedded });
          resolveReady(current);
          return;
        } catch (error) {
          if (stopped) return;
          failures += 1;
          state = 'unavailable';
          const retryInMs = Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5));
          // The webhook goes on storing batches; they load once the database is here.
          logger.error('database not ready; retrying', {
            error: describe(error),
            attempt: failures,
            retryInMs,
          });
          await new Promise<void>((resolveWait) => {
            const timer = setTimeout(resolveWait, retryInMs);
            cancelWait = () => {
              clearTimeout(timer);
              resolveWait();
            };
          });
        }
      }
    })();
  });

  return {
    ready,
    state: () => state,
    current: () => current,
    async stop() {
      stopped = true;
      cancelWait?.();
      await inFlight?.catch(() => undefined);
      if (current) await Promise.all([current.queryDb.end(), current.loaderDb.end()]);
      await server?.stop();
    },
  };
}

/**
 * DATA_DIR holds raw batches (addresses) and credentials: no other user may read it. As root, the
 * embedded PostgreSQL runs as `postgres` and must pass through it to its own folder (pg/, which it owns,
 * mode 0700): then other users may traverse but not list or read it (0711).
 */
async function makePrivate(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, process.getuid?.() === 0 ? 0o711 : 0o700);
}

/**
 * One service per DATA_DIR: a second `npm start` on the same folder would stop the first one's
 * PostgreSQL (it looks like one a killed run left behind). `DATA_DIR/service.pid` holds the running
 * service's pid; a file whose process is gone (a killed run) is taken over. The CLI reads it to tell.
 */
async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, SERVICE_PID_FILE);
  const other = await runningService(dataDir);
  if (other !== undefined && other !== process.pid) {
    throw new Error(`another sparkpost-event-db service (pid ${other}) is running on ${dataDir}`);
  }
  await writeFile(file, `${process.pid}\n`, { mode: 0o600 });
  return async () => {
    if ((await runningService(dataDir)) === process.pid) await rm(file, { force: true });
  };
}

/**
 * Fills in webhook and API credentials the environment leaves unset with generated ones. With no webhook
 * method in the environment, both Basic and an OAuth 2.0 client are generated: SparkPost's webhook form
 * takes either. Any method set in the environment means exactly the methods set there.
 */
async function withGeneratedCredentials(config: LocalServiceConfig) {
  let webhookAuth: WebhookAuthConfig = config.webhook.auth;
  let apiAuth: ApiAuthConfig = config.api.auth;
  const { basic, oauth, header, token } = webhookAuth;
  const needWebhook = !webhookAuth.disabled && !basic && !oauth && !header && !token;
  const needApi = !apiAuth.disabled && apiAuth.apiKeys.length === 0;
  if (!needWebhook && !needApi) {
    return { webhookAuth, apiAuth, credentialsCreated: false, generatedSecrets: [] };
  }
  const { credentials, created, generated } = await loadOrCreateCredentials(
    join(config.local.dataDir, 'credentials.json'),
  );
  const inUse: (keyof typeof credentials)[] = [];
  if (needWebhook) {
    webhookAuth = {
      ...webhookAuth,
      basic: { username: credentials.webhookUsername, password: credentials.webhookPassword },
      oauth: { clientId: credentials.oauthClientId, clientSecret: credentials.oauthClientSecret },
    };
    inUse.push('webhookPassword', 'oauthClientSecret');
  }
  if (needApi) {
    apiAuth = { ...apiAuth, apiKeys: [credentials.apiKey] };
    inUse.push('apiKey');
  }
  const generatedSecrets = inUse
    .filter((field) => generated.includes(field))
    .map((field) => credentials[field]);
  return { webhookAuth, apiAuth, credentialsCreated: created, generatedSecrets };
}
