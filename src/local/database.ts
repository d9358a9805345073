import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
 * DATABASE_URL's server, or the embedded PostgreSQL of this DATA_DIR: one server per data folder, whoever
 * needs it.
 *
 * - The service (`share` unset) starts the server, stopping one a killed run left on the folder, unless a
 *   command (the CLI) runs the folder's server right now: then it throws, and the service's retries start
 *   the server once the command has ended.
 * - A command (`share: true`) uses the server of the service running on DATA_DIR (waiting a little for it
 *   when the service is still bringing it up), and never starts a second one on the same data. When no
 *   service runs, it starts the server for itself (claiming the folder in `DATA_DIR/command.pid`) and
 *   stops it in `stop()`; another command running meanwhile is refused, not stopped.
 */
export async function openLocalDatabase(
  options: {
    readonly databaseUrl: string | undefined;
    readonly dataDir: string;
    readonly share?: boolean;
    /** With `share`: how long to wait for the database of a service that is still starting it. */
    readonly serviceWaitMs?: number;
  },
  logger: Logger,
): Promise<LocalDatabase> {
  if (options.databaseUrl !== undefined) {
    return { connectionString: options.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const { dataDir } = options;
  const pgDataDir = await embeddedDataDir(dataDir, logger);
  if (options.share)
    return openForCommand(dataDir, pgDataDir, options.serviceWaitMs ?? SERVICE_DATABASE_WAIT_MS, logger);
  const command = await runningCommand(dataDir);
  if (command !== undefined && (await runningPostgres(pgDataDir))) {
    throw new Error(
      `a sparkpost-event-db command (pid ${command}) is using the database of ${dataDir}; it is started here once that command ends`,
    );
  }
  const pg = await startEmbeddedPg(pgDataDir, logger);
  return { connectionString: pg.connectionString, embedded: true, pgDataDir, stop: () => pg.stop() };
}

/** How long a command waits for the database of a service that is still starting it. */
const SERVICE_DATABASE_WAIT_MS = 20_000;

async function openForCommand(
  dataDir: string,
  pgDataDir: string,
  waitMs: number,
  logger: Logger,
): Promise<LocalDatabase> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await runningService(dataDir);
    // (A stale pid file may name this very process, after a reboot: that is no service.)
    const service = found === process.pid ? undefined : found;
    const running = await runningPostgres(pgDataDir);
    if (service !== undefined) {
      if (running) {
        const connectionString = await connectionToRunning(pgDataDir, running.port);
        return { connectionString, embedded: true, pgDataDir, shared: true, stop: async () => undefined };
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the service (pid ${service}) runs on ${dataDir} but its embedded database is not up: try again once it is ` +
            '(see its log, or GET /health); if the service uses DATABASE_URL, set it for this command too',
        );
      }
      await delay(250);
      continue;
    }
    const other = await runningCommand(dataDir);
    if (other !== undefined && other !== process.pid) {
      throw new Error(
        `another sparkpost-event-db command (pid ${other}) is using the embedded database of ${dataDir}: ` +
          'wait for it to end (or run the service, npm start, whose database every command shares)',
      );
    }
    const file = join(dataDir, COMMAND_PID_FILE);
    // As the service makes it: private, but traversable by the postgres user when this runs as root.
    await mkdir(dataDir, { recursive: true, mode: process.getuid?.() === 0 ? 0o711 : 0o700 });
    await writeFile(file, `${process.pid}\n`, { mode: 0o600 });
    const release = async () => {
      if ((await runningCommand(dataDir)) === process.pid) await rm(file, { force: true });
    };
    // The service may have started between the check and the claim: then its server is the one to use.
    if (![undefined, process.pid].includes(await runningService(dataDir))) {
      await release();
      continue;
    }
    try {
      const pg = await startEmbeddedPg(pgDataDir, logger);
      return {
        connectionString: pg.connectionString,
        embedded: true,
        pgDataDir,
        async stop() {
          await pg.stop();
          await release();
        },
      };
    } catch (error) {
      await release();
      throw error;
    }
  }
}

const delay = (ms: number) => new Promise((resolveDelay) => setTimeout(resolveDelay, ms));

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

/** The file in DATA_DIR naming the running service's process. */
export const SERVICE_PID_FILE = 'service.pid';

/** The file in DATA_DIR naming the command (CLI) process that runs the embedded PostgreSQL for itself. */
const COMMAND_PID_FILE = 'command.pid';

/** The pid of the service running on DATA_DIR, if one is (its pid file names a live Node.js process). */
export function runningService(dataDir: string): Promise<number | undefined> {
  return liveNodeProcess(join(dataDir, SERVICE_PID_FILE));
}

/** The pid of the command running the embedded PostgreSQL of DATA_DIR for itself, if one is. */
function runningCommand(dataDir: string): Promise<number | undefined> {
  return liveNodeProcess(join(dataDir, COMMAND_PID_FILE));
}

async function liveNodeProcess(pidFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
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
