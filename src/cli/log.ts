import { type Env, loadConfig } from '../config';
import type { Logger, LogLevel } from '../logger';
import { terminalFor } from './terminal';

const RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, SILENT: 4 };

/**
 * The CLI's logger: one readable line per entry on stderr (`warn: message {"field":…}`), so that stdout
 * holds only a command's output (and nothing but JSON with `--json`), and a progress bar stays intact.
 * LOG_LEVEL as for the service, but `unset` (WARN) when it is not set: a command reports what it did
 * itself (a replay's summary names every batch that did not load: its loader's log can stay SILENT).
 */
export function cliLogger(env: Env, stderr: NodeJS.WriteStream, unset: LogLevel = 'WARN'): Logger {
  const level = commandLogLevel(env, unset);
  const terminal = terminalFor(stderr);
  const make = (keys: Record<string, unknown>): Logger => {
    const log =
      (at: LogLevel) =>
      (message: string, ...extra: Record<string, unknown>[]) => {
        if (RANK[at] < RANK[level]) return;
        const fields = Object.assign({}, keys, ...extra) as Record<string, unknown>;
        const detail = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
        terminal.line(`${at.toLowerCase()}: ${message}${detail}`);
      };
    return {
      debug: log('DEBUG'),
      info: log('INFO'),
      warn: log('WARN'),
      error: log('ERROR'),
      child: (more) => make({ ...keys, ...more }),
    };
  };
  return make({});
}

/** LOG_LEVEL, `unset` when it is not set. */
export function commandLogLevel(env: Env, unset: LogLevel = 'WARN'): LogLevel {
  return loadConfig({ LOG_LEVEL: unset, ...env }, ['logging']).logging.level;
}
