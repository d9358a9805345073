import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Env } from '../config';
import { type Command, type CommandContext, EXIT, UsageError } from './command';
import { exportCommand } from './commands/export';
import { keysCommand } from './commands/keys';
import { maintainCommand } from './commands/maintain';
import { migrateCommand } from './commands/migrate';
import { queryCommand } from './commands/query';
import { replayCommand } from './commands/replay';
import { statusCommand } from './commands/status';
import { type CommandDatabase, openCommandDatabase } from './database';
import { explain } from './errors';
import { cliLogger, commandLogLevel } from './log';
import { terminalFor } from './terminal';

/**
 * The CLI: `npx sparkpost-event-db <command>` (bin/sparkpost-event-db.mjs) or `npm run cli -- <command>`.
 * This file parses the command line, prints help, opens the database when a command asks for it and
 * turns every outcome into an exit code (command.ts); each command lives in commands/.
 */

/** Every command, in the order the help lists them. */
const COMMANDS: readonly Command[] = [
  statusCommand,
  replayCommand,
  keysCommand,
  maintainCommand,
  migrateCommand,
  queryCommand,
  exportCommand,
];

const PROGRAM = 'sparkpost-event-db';

/** Options every command has. */
const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const;

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `usage: ${PROGRAM} <command> [options]
       (from the checkout: npx ${PROGRAM} <command>, or npm run cli -- <command>)

Operates the local data: the raw batches in DATA_DIR and the database (DATABASE_URL's, or the embedded
PostgreSQL of DATA_DIR: the running service's when npm start runs, else one started for the command).

commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

options of every command:
  --json      write one JSON document on stdout (for scripts), nothing else
  -h, --help  the command's options and examples

Run "${PROGRAM} <command> --help" for a command's options.
Exit codes: 0 done; 1 the command failed (e.g. a batch did not load, the database is unreachable);
2 a usage mistake (unknown command or option).
`;
}

async function main(argv: readonly string[], env: Env): Promise<number> {
  const { stdout, stderr } = process;
  // The help first, the mistake last: the line a user sees under the prompt.
  const usage = (message: string, help: string) => {
    stderr.write(`${help}\nerror: ${message}\n`);
    return EXIT.usage;
  };
  const at = argv.findIndex((arg) => !arg.startsWith('-'));
  if (at === -1) {
    if (argv.includes('--help') || argv.includes('-h')) {
      stdout.write(topLevelHelp());
      return EXIT.ok;
    }
    return usage(
      argv.length === 0 ? 'no command given' : `no command given (only ${argv.join(' ')})`,
      topLevelHelp(),
    );
  }
  const name = argv[at] as string;
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) return usage(`unknown command "${name}"`, topLevelHelp());

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv.slice(0, at), ...argv.slice(at + 1)],
      options: { ...command.options, ...COMMON_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const option = /'([^']+)'/.exec(message)?.[1];
    const said = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? `unknown option ${option}` : message;
    return usage(said, command.help);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    stdout.write(command.help);
    return EXIT.ok;
  }

  const logger = cliLogger(env, stderr);
  let opened: Promise<CommandDatabase> | undefined;
  const context: CommandContext = {
    positionals,
    values,
    json: values.json === true,
    env,
    stdout,
    stderr,
    database: async () => {
      opened ??= openCommandDatabase(env, logger);
      return (await opened).db;
    },
  };
  const close = async () => {
    const database = await opened?.catch(() => undefined);
    opened = undefined;
    await database?.close();
  };
  interruptions(close);
  try {
    return await command.run(context);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message, command.help);
    throw error;
  } finally {
    await close();
  }
}

/** Ctrl-C (or SIGTERM): the database connections close and an embedded server started here stops. */
function interruptions(close: () => Promise<void>): void {
  let interrupted = false;
  const stop = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130); // a second Ctrl-C: at once
    interrupted = true;
    terminalFor(process.stderr).endStatus();
    process.stderr.write(`interrupted (${signal}): stopping\n`);
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** LOG_LEVEL=DEBUG: errors come with their stack too (for a bug report). */
function logsDebug(env: Env): boolean {
  try {
    return commandLogLevel(env) === 'DEBUG';
  } catch {
    return false;
  }
}

const env = process.env;
if (existsSync('.env')) process.loadEnvFile('.env');
main(process.argv.slice(2), env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    terminalFor(process.stderr).endStatus();
    process.stderr.write(`${explain(error)}\n`);
    if (error instanceof Error && error.stack && logsDebug(env)) process.stderr.write(`${error.stack}\n`);
    process.exit(EXIT.failed);
  },
);
