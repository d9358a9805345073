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

/** Decodes a cursor; `initial` (or nothing) means the first page. A malformed cursor is a 400. */
export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined || value === '' || value === 'initial') return undefined;
  const invalid = () =>
    new ValidationError('Invalid cursor parameter', 'cursor must be "initial" or a value from links.next');
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
    typeof parsed[2] !== 'string'
  ) {
    throw invalid();
  }
  return { ts: parsed[0], eventId: parsed[1], type: parsed[2] };
}
