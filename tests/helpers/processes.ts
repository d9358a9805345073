import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** `npm start` as a process of its own (node with tsx's loader: one pid, the service's). */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the URL the banner prints, once it is printed. */
  started(timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** `npm start` of this checkout (or of a copy of it at `cwd`), with only `env` and PATH and HOME set. */
export function spawnService(env: Record<string, string>, { cwd = ROOT } = {}): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(cwd, 'src', 'local', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'INFO', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    pid: child.pid as number,
    stdout: () => out,
    stderr: () => err,
    exited,
    async started(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = /Webhook target: {2}POST (http:\/\/[^/\s]+)\/webhook/.exec(out);
        if (match?.[1]) return match[1];
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`the service did not start:\n${out}\n${err}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** The pid in a PostgreSQL data folder's postmaster.pid, if the file is there. */
export function postmasterPid(pgDataDir: string): number | undefined {
  try {
    return Number(readFileSync(join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process and its children (Linux /proc), e.g. a postmaster and its backends. */
export function processTree(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent's pid (after the parenthesised command name).
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [pid, ...children.flatMap(processTree)];
}

/** A PostgreSQL server this test started, in its own process (postgres-process.ts). */
export interface PostgresProcess {
  /** The postmaster's pid (its backends are its children). */
  readonly postmasterPid: number;
  stop(): Promise<void>;
}

export async function startPostgresProcess(dataDir: string, port: number): Promise<PostgresProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'postgres-process.ts'), dataDir, String(port)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(() => reject(new Error(`PostgreSQL did not start: ${output}`)));
  });
  return {
    postmasterPid: postmasterPid(dataDir) as number,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
