import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(__dirname, '..', '..');
/** tsx's loader by its path: `--import tsx` would be looked up from the working folder. */
const TSX = pathToFileURL(require.resolve('tsx')).href;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CLI as a user runs it: its own process (`node --import tsx src/cli/main.ts`, what `npm run cli`
 * runs), its output and exit code. The environment is only what the test gives (plus PATH and HOME), and
 * the working folder `cwd` (default: the system's temporary folder), so that a developer's own `.env` or
 * DATABASE_URL never leaks into a test. `stdin`: what the command reads on its standard input (none:
 * no input at all).
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { readonly cwd?: string; readonly command?: readonly string[]; readonly stdin?: string } = {},
): Promise<CliRun> {
  const [program, ...prefix] = options.command ?? [
    process.execPath,
    '--import',
    TSX,
    join(ROOT, 'src', 'cli', 'main.ts'),
  ];
  const child = spawn(program as string, [...prefix, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The repository's root (where `npx sparkpost-event-db` resolves the package's own bin). */
export const REPO_ROOT = ROOT;
