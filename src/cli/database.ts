import { type Env, loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations';
import { createDb, type Db } from '../db/pool';
import { UnavailableError } from '../errors';
import { type LocalDatabase, openLocalDatabase } from '../local/database';
import type { Logger } from '../logger';
import { causeOf } from './errors';

/**
 * The database of a command: DATABASE_URL's server, or the embedded PostgreSQL of DATA_DIR — the
 * running service's when `npm start` runs on it (never a second server on the same data), else one
 * started for the command and stopped after it. Migrated before use.
 */
export interface CommandDatabase {
  readonly db: Db;
  readonly server: LocalDatabase;
  close(): Promise<void>;
}

/**
 * Commands run long statements (a replay's loads, the conversion of v1 data): their statement timeout
 * is the loader's (as `npm start` gives its loader), unless PG_STATEMENT_TIMEOUT_MS says otherwise.
 */
const COMMAND_STATEMENT_TIMEOUT_MS = 10 * 60_000;

/** The migrations each command database's opening applied (for `migrate` to report). */
const applied = new WeakMap<Db, readonly string[]>();

/** The migrations applied when `db` was opened (none when the schema was already current). */
export function migrationsApplied(db: Db): readonly string[] {
  return applied.get(db) ?? [];
}

/** A failure to reach the database, said as one sentence naming where it was looked for. */
class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

export async function openCommandDatabase(env: Env, logger: Logger): Promise<CommandDatabase> {
  const config = loadConfig({ PG_STATEMENT_TIMEOUT_MS: String(COMMAND_STATEMENT_TIMEOUT_MS), ...env }, [
    'local',
    'db',
  ]);
  const where =
    config.db.connectionString !== undefined
      ? `DATABASE_URL (${serverOf(config.db.connectionString)})`
      : `the embedded PostgreSQL of ${config.local.dataDir}`;
  const server = await openLocalDatabase(
    { databaseUrl: config.db.connectionString, dataDir: config.local.dataDir, share: true },
    logger,
  );
  const db = createDb({ ...config.db, connectionString: server.connectionString }, logger);
  try {
    applied.set(db, await migrate(db, MIGRATIONS, logger));
  } catch (error) {
    await db.end().catch(() => undefined);
    await server.stop().catch(() => undefined);
    if (error instanceof UnavailableError) {
      throw new DatabaseUnreachableError(`cannot reach the database, ${where}: ${causeOf(error)}`);
    }
    throw error;
  }
  return {
    db,
    server,
    async close() {
      await db.end();
      await server.stop();
    },
  };
}

/** host:port/database of a connection string, never its user name or password. */
function serverOf(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname || 'localhost'}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  } catch {
    return 'not a URL';
  }
}
