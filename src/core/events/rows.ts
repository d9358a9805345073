import { createHash } from 'node:crypto';
import { decodeEvent, encodeEvent } from './body-codec';
import { termsOf } from './terms';

/**
 * SparkPost's webhook envelope → the row the loader stores, and a stored row → the flat event the query
 * APIs return. A batch element is `{"msys":{"<category>":{...event...}}}`, sometimes with siblings such
 * as `"cust"`; the whole element is kept (compressed) so nothing received is lost.
 */

export type JsonObject = Record<string, unknown>;

/** One event as stored in `events`. */
export interface EventRow {
  /** Event time, epoch milliseconds (UTC). */
  readonly ts: number;
  readonly eventId: string;
  readonly type: string;
  readonly terms: string[];
  /** The `reason` text, kept apart for the legacy API's substring search (trigram index). */
  readonly reason: string | null;
  /** The whole batch element, compressed (see body-codec.ts). */
  readonly body: Buffer;
}

export interface ParsedBatch {
  readonly rows: EventRow[];
  /** Elements that hold no event (`{"msys":{}}` pings, non-objects): counted, logged, never stored. */
  readonly skipped: number;
  /** Events whose `timestamp` could not be read; they were given the batch's arrival time. */
  readonly timestampFallbacks: number;
}

/** The category and flat event inside one element, or undefined when the element holds no event. */
export function unwrap(element: unknown): { category: string; event: JsonObject } | undefined {
  if (!isObject(element)) return undefined;
  const msys = element.msys;
  if (!isObject(msys)) return undefined;
  for (const [category, event] of Object.entries(msys)) {
    if (isObject(event)) return { category, event };
  }
  return undefined;
}

/**
 * Turns a parsed batch into rows. `fallbackTs` (the batch's arrival time) places events whose timestamp
 * is missing or unreadable, so that they are kept rather than dropped.
 */
export function rowsOfBatch(batch: readonly unknown[], fallbackTs: number): ParsedBatch {
  const rows: EventRow[] = [];
  let skipped = 0;
  let timestampFallbacks = 0;
  for (const element of batch) {
    const unwrapped = unwrap(element);
    if (!unwrapped) {
      skipped += 1;
      continue;
    }
    const { category, event } = unwrapped;
    let ts = parseEventTimestamp(event.timestamp);
    if (ts === undefined) {
      ts = fallbackTs;
      timestampFallbacks += 1;
    }
    rows.push({
      ts,
      eventId: textOf(event.event_id) ?? derivedEventId(element),
      type: textOf(event.type) ?? category,
      terms: termsOf(event),
      reason: textOf(event.reason) ?? null,
      body: encodeEvent(element),
    });
  }
  return { rows, skipped, timestampFallbacks };
}

/** A string or number field as text for a PostgreSQL column (which cannot hold NUL); undefined if empty. */
function textOf(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: PostgreSQL text cannot hold NUL.
  const cleaned = text.replace(/\u0000/g, '');
  return cleaned === '' ? undefined : cleaned;
}

/**
 * Reads SparkPost's `timestamp`: epoch seconds as a number or a numeric string (fractions allowed, as
 * Momentum sends), epoch milliseconds, or an ISO 8601 string. Returns epoch milliseconds.
 */
export function parseEventTimestamp(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = epochToMs(value);
  else if (typeof value === 'string' && value.trim() !== '') {
    const trimmed = value.trim();
    ms = /^-?\d+(\.\d+)?$/.test(trimmed) ? epochToMs(Number(trimmed)) : Date.parse(trimmed);
  }
  // PostgreSQL's timestamptz covers far more, but anything outside years 1970–9999 is a broken value.
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms < 253402300800000
    ? Math.round(ms)
    : undefined;
}

function epochToMs(value: number): number {
  // Seconds until the year 5138; larger values can only be milliseconds.
  return Math.abs(value) >= 1e11 ? value : value * 1000;
}

/**
 * A deterministic id for events SparkPost sends without one (e.g. `sms_status`): the same event in two
 * batches gets the same id, so it is stored once.
 */
export function derivedEventId(element: unknown): string {
  return `sha256:${createHash('sha256').update(stableJson(element)).digest('hex').slice(0, 40)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The flat event stored in a row's body. */
export function storedEvent(body: Buffer): JsonObject {
  return unwrap(decodeEvent(body))?.event ?? {};
}
