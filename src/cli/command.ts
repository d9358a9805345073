import type { ParseArgsConfig } from 'node:util';
import type { Env } from '../config';
import type { Db } from '../db/pool';

/**
 * What one CLI command is: the contract between the CLI's entry point (src/cli/main.ts: argument parsing,
 * `--help`, `--json`, exit codes, errors) and each command's module (src/cli/commands/*.ts).
 *
 * Exit codes: 0 success; 1 the command ran and failed (a batch did not load, the database is down);
 * 2 a usage mistake (unknown command or option, missing argument), with the command's help on stderr.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** What a command gets to run: its parsed arguments, where to write, and the database on demand. */
export interface CommandContext {
  readonly positionals: readonly string[];
  /** The parsed options (node:util parseArgs values of `Command.options`). */
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  /** `--json`: write one JSON document to stdout (machine-readable), nothing else on stdout. */
  readonly json: boolean;
  readonly env: Env;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /**
   * The local database (DATABASE_URL, or the embedded PostgreSQL of DATA_DIR: the running service's server
   * when `npm start` runs, else one started for this command and stopped after it), migrated. Opened on
   * first call; closed by the entry point after `run` returns.
   */
  database(): Promise<Db>;
}

export interface Command {
  /** As typed: `keys`, `status`. */
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** The full `--help` text of the command (usage line, options, examples). */
  readonly help: string;
  /** Its options, beyond `--help` and `--json` that every command has. */
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Runs it; resolves to the exit code. A UsageError becomes exit 2 with the help. */
  run(context: CommandContext): Promise<number>;
}

/** A mistake in how the command was called: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
