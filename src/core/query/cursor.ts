import { ValidationError } from '../../errors';

/** The keyset position after the last row of a page: the sort key `(ts, event_id, type)`. */
export interface Cursor {
  readonly ts: number;
  readonly eventId: string;
  readonly type: string;
}

/** Cursors are opaque to clients: base64 of a small JSON array. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.ts, cursor.eventId, cursor.type]), 'utf8').toString('base64');
}

/**
 * Decodes a cursor; `initial` (or nothing) means the first page. A malformed cursor is a 400, and so is
 * one no page of this query can have produced: its time outside the query's window (which also keeps
 * it inside what PostgreSQL and Date can hold), or a NUL in its strings (no stored key holds one:
 * PostgreSQL text cannot).
 */
export function decodeCursor(
  value: string | undefined,
  window: { readonly from: number; readonly to: number },
): Cursor | undefined {
  if (value === undefined || value === '' || value === 'initial') return undefined;
  const invalid = (description = 'cursor must be "initial" or a value from links.next') =>
    new ValidationError('Invalid cursor parameter', description);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    typeof parsed[2] !== 'string' ||
    parsed[1].includes('\u0000') ||
    parsed[2].includes('\u0000')
  ) {
    throw invalid();
  }
  const [ts, eventId, type] = parsed as [number, string, string];
  if (ts < window.from || ts > window.to) {
    throw invalid('cursor is outside the from/to window; pass the from and to that links.next repeats');
  }
  return { ts, eventId, type };
}
