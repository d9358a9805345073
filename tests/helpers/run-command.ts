import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import type { Command, CommandContext } from '../../src/cli/command';
import type { Db } from '../../src/db/pool';

export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

/**
 * Runs a command module as the CLI's entry point would, on `args` (what follows the command's name):
 * parsed with its options plus `--json`, with a real database. A UsageError is thrown, as it reaches
 * the entry point. (The entry point itself, src/cli/main.ts, is tested as a child process.)
 */
export async function runCommand(
  command: Command,
  args: readonly string[],
  database: () => Promise<Db>,
  env: Record<string, string> = {},
): Promise<CommandRun> {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { ...command.options, json: { type: 'boolean', default: false } },
  });
  const stdout = capture();
  const stderr = capture();
  const context: CommandContext = {
    positionals,
    values,
    json: values.json === true,
    env,
    stdout: stdout.stream,
    stderr: stderr.stream,
    database,
  };
  const code = await command.run(context);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
