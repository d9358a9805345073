import { createApp, type HealthReport, type QueryAppDeps } from '../app';
import { resolveSecrets } from '../aws/secrets';
import { loadConfig } from '../config';
import { createApiKeyService } from '../core/api-keys';
import { warnIfAuthDisabled } from '../core/auth';
import { createApiKeyStore } from '../db/api-key-store';
import { createEventReader } from '../db/event-reader';
import type { Logger } from '../logger';
import { httpHandler, lambdaDb, logger, once, secretReader } from './lambda';

/** QueryEventsFunction: API Gateway (HTTP API) → the SparkPost-compatible query endpoints. */
export function createQueryEventsHandler(deps: QueryAppDeps & { readonly logger: Logger }) {
  const app = createApp({ logger: deps.logger, query: deps });
  return httpHandler(async () => app);
}

/** What this function's cold start reads: configuration sections, and the secrets behind them. */
export const CONFIG = { sections: ['db', 'api'], secrets: ['API_KEYS_SECRET_ARN'] } as const;

export const handler = httpHandler(
  once(async () => {
    const env = await resolveSecrets(process.env, CONFIG.secrets, secretReader());
    const { db, api } = loadConfig(env, CONFIG.sections, { target: 'aws' });
    warnIfAuthDisabled(logger, { api: api.auth.disabled });
    const database = await lambdaDb(db);
    // Aurora: events from the reader endpoint; the API keys (which this function also writes) from DB_HOST.
    const events = db.readHost !== undefined ? await lambdaDb({ ...db, host: db.readHost }) : database;
    const health = async (): Promise<HealthReport> => {
      try {
        await database.query('SELECT 1');
        return { status: 'ok', database: 'ready' };
      } catch {
        return { status: 'degraded', database: 'unavailable' };
      }
    };
    const reader = createEventReader(events);
    const keys = createApiKeyService({ store: createApiKeyStore(database), logger });
    return createApp({
      logger,
      corsOrigins: api.corsOrigins,
      query: { reader, now: Date.now, auth: api.auth, keys, health, logger },
    });
  }),
);
