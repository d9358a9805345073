import type { Logger } from '../../src/logger';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly [field: string]: unknown;
}

/** A logger that keeps every line, with its fields merged, for tests that read what was logged. */
export function recordingLogger(
  keys: Record<string, unknown> = {},
  lines: LogLine[] = [],
): Logger & { lines: LogLine[] } {
  const record =
    (level: LogLine['level']) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      lines.push(Object.assign({}, keys, ...extra, { level, message }));
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: (more) => recordingLogger({ ...keys, ...more }, lines),
  };
}

/** Polls `condition` every 50 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
