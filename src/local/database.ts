import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DbConfig } from '../config';
import { createDb, type Db } from '../db/pool';
import type { Logger } from '../logger';
import { startEmbeddedPg } from './embedded-pg';

/**
 * The PostgreSQL server of everything that runs on one machine: `npm start`, the CLI, the tests and the
 * benchmark. DATABASE_URL when it is set; otherwise the embedded PostgreSQL with its data in
 * `<dataDir>/pg`, started here and stopped by `stop()`.
 */
export interface LocalDatabase {
  readonly connectionString: string;
  /** True when this process started the embedded PostgreSQL (false: DATABASE_URL's server). */
  readonly embedded: boolean;
  stop(): Promise<void>;
}

export async function openLocalDatabase(
  options: { readonly databaseUrl: string | undefined; readonly dataDir: string },
  logger: Logger,
): Promise<LocalDatabase> {
  if (options.databaseUrl !== undefined) {
    return { connectionString: options.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const pg = await startEmbeddedPg(join(options.dataDir, 'pg'), logger);
  return { connectionString: pg.connectionString, embedded: true, stop: () => pg.stop() };
}

/**
 * The service's (or the CLI's) database: the server of `openLocalDatabase` with a pool on it, configured
 * by `config` (pool size, statement timeout, TLS). `close()` ends the pool, then stops the server.
 */
export async function connectLocalDatabase(
  config: DbConfig,
  dataDir: string,
  logger: Logger,
): Promise<{ readonly db: Db; readonly server: LocalDatabase; close(): Promise<void> }> {
  const server = await openLocalDatabase({ databaseUrl: config.connectionString, dataDir }, logger);
  const db = createDb({ ...config, connectionString: server.connectionString }, logger);
  return {
    db,
    server,
    async close() {
      await db.end();
      await server.stop();
    },
  };
}

/**
 * A new folder under the system's temporary folder for a throwaway database (tests, benchmark).
 * mkdtemp makes it private; when run as root, PostgreSQL (as `postgres`) must pass through it.
 */
export async function throwawayDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}
