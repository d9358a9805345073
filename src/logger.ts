import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger (Powertools for AWS Lambda: the same output in Lambda and locally).
 * Short lowercase messages, data in fields: `logger.info('batch loaded', { batchId, events })`.
 * Never log credentials, SQL values or event bodies: they hold email addresses.
 */
export interface Logger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
  /** A logger whose every line also carries `keys`, e.g. the batch id around one load. */
  child(keys: Record<string, unknown>): Logger;
}

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The service's logger. Entry points own it; `powertools` is there for the Lambda wrapper, which adds
 * the invocation's context (request ids) to every line of that invocation.
 */
export interface ServiceLogger extends Logger {
  readonly powertools: PowertoolsLogger;
}

export function createLogger(level: LogLevel = 'INFO', serviceName = 'sparkpost-event-db'): ServiceLogger {
  const powertools = new PowertoolsLogger({ serviceName, logLevel: level });
  return Object.assign(wrap(powertools, {}), { powertools });
}

function wrap(
  target: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
  keys: Record<string, unknown>,
): Logger {
  const withKeys = (extra: Record<string, unknown>[]) =>
    Object.keys(keys).length === 0 ? extra : [keys, ...extra];
  return {
    debug: (message, ...extra) => target.debug(message, ...withKeys(extra)),
    info: (message, ...extra) => target.info(message, ...withKeys(extra)),
    warn: (message, ...extra) => target.warn(message, ...withKeys(extra)),
    error: (message, ...extra) => target.error(message, ...withKeys(extra)),
    child: (more) => wrap(target, { ...keys, ...more }),
  };
}

/** Drops everything: for tests and benchmarks. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
