import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { LOCAL_SECTIONS, type LocalService, startLocalService } from '../../src/local/service';
import { type Logger, silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from './database';

export const WEBHOOK_USER = 'sparkpost';
const WEBHOOK_PASSWORD = 'webhook-secret';
const API_KEY = 'test-api-key';

export interface TestService {
  readonly service: LocalService;
  readonly database: TestDatabase;
  readonly dataDir: string;
  /** POSTs a batch to /webhook; Basic auth with the test credentials unless `auth` overrides it. */
  postBatch(
    body: string | Buffer,
    options?: { batchId?: string; auth?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  /** GETs a path (with query) using the test API key. */
  get(pathAndQuery: string, options?: { auth?: string | null }): Promise<Response>;
  /** Resolves when every stored batch has been loaded. */
  loaded(): Promise<void>;
  stop(): Promise<void>;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * The local service as `npm start` runs it, on a free port, with its own database and data folder. It
 * resolves once the database is ready, unless `waitForDatabase` is false (the webhook answers earlier).
 */
export async function startTestService(
  env: Record<string, string> = {},
  options: { readonly waitForDatabase?: boolean; readonly logger?: Logger } = {},
): Promise<TestService> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-data-'));
  const config = loadConfig(
    {
      DATA_DIR: dataDir,
      DATABASE_URL: database.connectionString,
      PORT: '0',
      WEBHOOK_USERNAME: WEBHOOK_USER,
      WEBHOOK_PASSWORD,
      API_KEY,
      ...env,
    },
    LOCAL_SECTIONS,
  );
  const service = await startLocalService(config, options.logger ?? silentLogger).catch(
    async (error: unknown) => {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    },
  );
  if (options.waitForDatabase !== false) await service.ready;
  return {
    service,
    database,
    dataDir,
    postBatch(body, options = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
      const auth = options.auth === undefined ? basic(WEBHOOK_USER, WEBHOOK_PASSWORD) : options.auth;
      if (auth !== null) headers.authorization = auth;
      if (options.batchId) headers['x-messagesystems-batch-id'] = options.batchId;
      return fetch(`${service.url}/webhook`, { method: 'POST', headers, body });
    },
    get(pathAndQuery, options = {}) {
      const auth = options.auth === undefined ? API_KEY : options.auth;
      return fetch(`${service.url}${pathAndQuery}`, {
        headers: auth === null ? {} : { authorization: auth },
      });
    },
    loaded: () => service.loads.idle(),
    async stop() {
      await service.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A response body parsed as JSON; tests assert on its shape, so it is deliberately untyped. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON.
export async function json(response: Response): Promise<any> {
  return response.json();
}
