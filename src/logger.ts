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
}

export function createLogger(
  serviceName = 'sparkpost-event-db',
  level = process.env.LOG_LEVEL ?? 'INFO',
): Logger {
  return new PowertoolsLogger({ serviceName, logLevel: level.toUpperCase() as 'INFO' });
}

/** Drops everything: for tests and benchmarks. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
