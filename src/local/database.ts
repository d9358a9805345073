import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DbConfig } from '../config';
import { createDb, type Db } from '../db/pool';
import type { Logger } from '../logger';
import { connectionToRunning, postgresCanReach, runningPostgres, startEmbeddedPg } from './embedded-pg';

/**
 * Where the embedded PostgreSQL of root, whose DATA_DIR the `postgres` user cannot reach (a checkout in
 * /root, mode 700), keeps its data: a folder of its own per DATA_DIR, found again at every start.
 */
const ROOT_FALLBACK = '/var/lib/sparkpost-event-db';

/**
 * The PostgreSQL server of everything that runs on one machine: `npm start`, the CLI, the tests and the
 * benchmark. DATABASE_URL when it is set; otherwise the embedded PostgreSQL with its data in
 * `<dataDir>/pg`, started here and stopped by `stop()`.
 */
export interface LocalDatabase {
  readonly connectionString: string;
  /** True for the embedded PostgreSQL (false: DATABASE_URL's server). */
  readonly embedded: boolean;
  /** The embedded PostgreSQL's data folder. */
  readonly pgDataDir?: string;
  /** True when another process (a running `npm start`) runs the embedded server this one connects to. */
  readonly shared?: boolean;
  stop(): Promise<void>;
}

/**
 * DATABASE_URL's server, or the embedded PostgreSQL of this DATA_DIR. `share`: when a server already runs
 * on the data folder (the service is up), connect to it instead of starting a second one (the CLI);
 * otherwise a server left by a killed run is stopped and a new one started (the service).
 */
export async function openLocalDatabase(
  options: { readonly databaseUrl: string | undefined; readonly dataDir: string; readonly share?: boolean },
  logger: Logger,
): Promise<LocalDatabase> {
  if (options.databaseUrl !== undefined) {
    return { connectionString: options.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const pgDataDir = await embeddedDataDir(options.dataDir, logger);
  const running = options.share ? await runningPostgres(pgDataDir) : undefined;
  if (running) {
    const connectionString = await connectionToRunning(pgDataDir, running.port);
    return { connectionString, embedded: true, pgDataDir, shared: true, stop: async () => undefined };
  }
  const pg = await startEmbeddedPg(pgDataDir, logger);
  return { connectionString: pg.connectionString, embedded: true, pgDataDir, stop: () => pg.stop() };
}

/**
 * `<DATA_DIR>/pg`, unless this is root and the `postgres` user cannot reach it: then a folder under
 * /var/lib/sparkpost-event-db named after DATA_DIR's path, recorded in `<DATA_DIR>/pg-location` so that a
 * user finds it (and every later start, the same one).
 */
async function embeddedDataDir(dataDir: string, logger: Logger): Promise<string> {
  const inside = join(resolve(dataDir), 'pg');
  if (await postgresCanReach(inside)) return inside;
  const pointer = join(dataDir, 'pg-location');
  const recorded = (await readFile(pointer, 'utf8').catch(() => '')).trim();
  if (recorded) return recorded;
  const id = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  const folder = join(ROOT_FALLBACK, id);
  // Traversable (not listable) by the postgres user, which owns pg/ inside.
  await mkdir(folder, { recursive: true, mode: 0o711 });
  await chmod(ROOT_FALLBACK, 0o711);
  await chmod(folder, 0o711);
  const location = join(folder, 'pg');
  await writeFile(pointer, `${location}\n`, { mode: 0o600 });
  logger.info('the postgres user cannot reach DATA_DIR: the database lives elsewhere', { location });
  return location;
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

/** The file in DATA_DIR naming the running service's process. */
export const SERVICE_PID_FILE = 'service.pid';

/** The pid of the service running on DATA_DIR, if one is (its pid file names a live Node.js process). */
export async function runningService(dataDir: string): Promise<number | undefined> {
  const pid = Number((await readFile(join(dataDir, SERVICE_PID_FILE), 'utf8').catch(() => '')).trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // A pid may be reused by another program after a crash: only a Node.js process counts.
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return command === undefined || /node/.test(command) ? pid : undefined;
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
