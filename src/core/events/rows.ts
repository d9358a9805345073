import { createHash } from 'node:crypto';
import { EVENT_ID_HASH, type EventIndex, hash64, indexOf } from './codes';

/**
 * SparkPost's webhook envelope → the row the loader stores. A batch element is
 * `{"msys":{"<category>":{...event...}}}`, sometimes with siblings such as `"cust"`; the whole element is
 * kept (in a chunk, see chunks.ts) so nothing received is lost.
 */

export type JsonObject = Record<string, unknown>;

/** One event as the loader hands it to the database. */
export interface EventRow {
  /** Event time, epoch milliseconds (UTC). */
  readonly ts: number;
  readonly eventId: string;
  /** The event id's hash (`eh`, in the unique key), as the decimal text of an int8. */
  readonly eventHash: string;
  readonly type: string;
  /** The `reason` text, kept apart for the reason filters (trigram index). */
  readonly reason: string | null;
  /** What the index holds of the event (codes.ts). */
  readonly index: EventIndex;
  /** The whole batch element, as received. */
  readonly element: unknown;
}

export interface ParsedBatch {
  readonly rows: EventRow[];
  /** Elements that hold no event (`{"msys":{}}` pings, non-objects): counted, logged, never stored. */
  readonly skipped: number;
  /** Events whose `timestamp` could not be read; they were given the batch's arrival time. */
  readonly timestampFallbacks: number;
  /** Why each event that cannot be stored was refused (see rowOf); the rest of the batch is stored. */
  readonly rejected: string[];
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
 * SparkPost events nest a few levels (geo_ip, rcpt_meta); deeper elements are refused, so that encoding
 * them (JSON.stringify, which recurses) can never overflow the stack.
 */
const MAX_NESTING = 64;
/** Text kept in the `event_id` and `type` columns (their unique index refuses long entries). */
const MAX_KEY_CHARS = 200;

/** What became of one batch element. */
export type ElementOutcome =
  | { readonly kind: 'row'; readonly row: EventRow; readonly timestampFallback: boolean }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'rejected'; readonly reason: string };

/**
 * One batch element → its row. `fallbackTs` (the batch's arrival time) places an event whose timestamp
 * is missing or unreadable, so that it is kept rather than dropped. Never throws: an event that cannot be
 * stored is rejected with the reason, and the rest of its batch loads.
 */
export function rowOf(element: unknown, fallbackTs: number): ElementOutcome {
  const unwrapped = unwrap(element);
  if (!unwrapped) return { kind: 'skipped' };
  if (nestingExceeds(element, MAX_NESTING)) {
    return { kind: 'rejected', reason: `nested deeper than ${MAX_NESTING} levels` };
  }
  try {
    const { category, event } = unwrapped;
    const parsedTs = parseEventTimestamp(event.timestamp);
    const eventId = boundedKey(textOf(event.event_id) ?? derivedEventId(element));
    return {
      kind: 'row',
      timestampFallback: parsedTs === undefined,
      row: {
        ts: parsedTs ?? fallbackTs,
        eventId,
        eventHash: hash64(EVENT_ID_HASH, eventId),
        type: boundedKey(textOf(event.type) ?? category),
        reason: textOf(event.reason) ?? null,
        index: indexOf(event),
        element,
      },
    };
  } catch (error) {
    // No known input gets here; if one does, it costs that event, not its batch.
    return { kind: 'rejected', reason: `unreadable event: ${(error as Error).message}`.slice(0, 200) };
  }
}

/** Turns a parsed batch into rows (see rowOf); the loader does the same in slices (load-batch.ts). */
export function rowsOfBatch(batch: readonly unknown[], fallbackTs: number): ParsedBatch {
  const parsed = emptyParsedBatch();
  for (const element of batch) addOutcome(parsed, rowOf(element, fallbackTs));
  return parsed;
}

export function emptyParsedBatch(): ParsedBatch & { skipped: number; timestampFallbacks: number } {
  return { rows: [], skipped: 0, timestampFallbacks: 0, rejected: [] };
}

export function addOutcome(
  parsed: ParsedBatch & { skipped: number; timestampFallbacks: number },
  outcome: ElementOutcome,
): void {
  if (outcome.kind === 'skipped') parsed.skipped += 1;
  else if (outcome.kind === 'rejected') parsed.rejected.push(outcome.reason);
  else {
    parsed.rows.push(outcome.row);
    if (outcome.timestampFallback) parsed.timestampFallbacks += 1;
  }
}

/** Whether any value inside `value` is nested deeper than `limit` levels (walked without recursion). */
function nestingExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** A key column's text, bounded: a longer one is replaced by its hash (the body keeps it whole). */
export function boundedKey(text: string): string {
  return text.length > MAX_KEY_CHARS
    ? `sha256:${createHash('sha256').update(`long:${text}`).digest('hex').slice(0, 40)}`
    : text;
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


/**
 * One batch may touch at most this many UTC days. Each day is a partition the insert locks (with its
 * indexes), and a batch spread over thousands of days would exhaust PostgreSQL's lock table ("out of
 * shared memory") on every attempt. SparkPost batches are a live stream: a few days at most.
 */
export const MAX_DAYS_PER_BATCH = 64;

/** Why an event beyond the day limit is not stored. */
export const BEYOND_DAY_LIMIT = `the batch spans more than ${MAX_DAYS_PER_BATCH} days; this event's day was left out`;

/**
 * The rows of at most MAX_DAYS_PER_BATCH days: the days with the most events, ties to the most recent.
 * `beyond` counts the others.
 */
export function withinDayLimit(rows: readonly EventRow[]): { kept: readonly EventRow[]; beyond: number } {
  const perDay = new Map<number, number>();
  for (const row of rows) {
    const day = Math.floor(row.ts / DAY);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  if (perDay.size <= MAX_DAYS_PER_BATCH) return { kept: rows, beyond: 0 };
  const allowed = new Set(
    [...perDay.entries()]
      .sort(([dayA, a], [dayB, b]) => b - a || dayB - dayA)
      .slice(0, MAX_DAYS_PER_BATCH)
      .map(([day]) => day),
  );
  const kept = rows.filter((row) => allowed.has(Math.floor(row.ts / DAY)));
  return { kept, beyond: rows.length - kept.length };
}

const DAY = 86_400_000;

/** How long events are kept, and the clock: what the loader needs to refuse what retention would drop. */
export interface RetentionPolicy {
  /** Days of events kept (whole UTC days, as maintenance drops them); 0 keeps everything. */
  readonly days: number;
  readonly now: () => number;
}

/** Why an event too far in the future is not stored. */
export const FUTURE_EVENT = 'the event is more than a day in the future';

/**
 * The rows retention keeps: `expired` counts those of days maintenance drops (older than `days` whole
 * UTC days, counted from the clock, never from the events), `future` those more than a day ahead of the
 * clock (a broken timestamp would otherwise create a far-off partition no retention reaches).
 */
export function withinRetention(
  rows: readonly EventRow[],
  policy: RetentionPolicy | undefined,
): { kept: readonly EventRow[]; expired: number; future: number } {
  if (!policy) return { kept: rows, expired: 0, future: 0 };
  const now = policy.now();
  const firstKeptDay = policy.days > 0 ? Math.floor((now - policy.days * DAY) / DAY) : Number.NEGATIVE_INFINITY;
  const latest = now + DAY;
  let expired = 0;
  let future = 0;
  const kept = rows.filter((row) => {
    if (Math.floor(row.ts / DAY) < firstKeptDay) expired += 1;
    else if (row.ts > latest) future += 1;
    else return true;
    return false;
  });
  return { kept, expired, future };
}
