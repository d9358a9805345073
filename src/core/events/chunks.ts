import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { EVENT_DICTIONARY_V1 } from './body-dictionary';
import { fieldValues } from './codes';
import { type EventRow, type JsonObject, unwrap } from './rows';

/**
 * Event bodies, stored (storage v2) in chunks: up to CHUNK_EVENTS events of one batch and one day,
 * deflated together with the v1 preset dictionary (PostgreSQL compresses nothing under ~2 KB a row, and
 * deflate finds far more across events than within one). Each element is kept exactly as received,
 * except that fields whose value the event's row already holds are blanked and put back on read:
 * the row has the id, type, reason and time, and its dictionary codes hold the campaign, template, pool
 * and the rest. A field is blanked only when what the row gives back is exactly its value, so that the
 * restored element serialises byte for byte as the original did.
 *
 * Format: one version byte (3), then raw deflate of one line per element, in position order:
 * `<mask> <element as JSON>`, lines separated by `\n` (JSON.stringify never writes a raw newline). A
 * reader splits the lines and parses only the elements it wants: a lookup uses one event of each chunk
 * it reads, and parsing all 32 was most of its time in Node (~100 µs a chunk, measured). Version 2, one
 * JSON array `[[mask, element], …]`, is still read.
 */
export const CHUNK_EVENTS = 32;
const CHUNK_VERSION = 3;
const CHUNK_VERSION_ARRAY = 2;
const DICTIONARY = Buffer.from(EVENT_DICTIONARY_V1, 'utf8');

/** What a stored event's row gives back (the reader has it for every row it reads). */
export interface RowValues {
  readonly ts: number;
  readonly eventId: string;
  readonly type: string;
  readonly reason: string | null;
  /** The dictionary values of the row's codes and subject, by dictionary field (single-valued ones). */
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * The fields that may be blanked, each with where its value comes back from. The order is stored (bit i
 * of a mask is entry i): append only, never reorder or remove.
 */
const LEAN_FIELDS: ReadonlyArray<readonly [string, (row: RowValues) => string | undefined]> = [
  ['event_id', (row) => row.eventId],
  ['type', (row) => row.type],
  ['reason', (row) => row.reason ?? undefined],
  ['timestamp', (row) => (row.ts % 1000 === 0 ? String(row.ts / 1000) : undefined)],
  ['subject', (row) => row.fields.J],
  ['campaign_id', (row) => row.fields.c],
  ['template_id', (row) => row.fields.tp],
  ['ip_pool', (row) => row.fields.p],
  ['recipient_domain', (row) => row.fields.rd],
  ['routing_domain', (row) => row.fields.rd],
  ['sending_domain', (row) => row.fields.sd],
  ['mailbox_provider', (row) => row.fields.mp],
  ['mailbox_provider_region', (row) => row.fields.mr],
  ['friendly_from', (row) => row.fields.f],
  ['sending_ip', (row) => row.fields.i],
  ['subaccount_id', (row) => row.fields.s],
  ['bounce_class', (row) => row.fields.b],
  ['ab_test_id', (row) => row.fields.a],
  ['ab_test_version', (row) => row.fields.av],
];

/** Fields 0–3 come back from the row's own columns; the others from its dictionary codes. */
const FROM_DICTIONARY = ~0b1111;

/** Whether restoring an element with this mask needs the dictionary values of its row's codes. */
export function needsDictionary(mask: number): boolean {
  return (mask & FROM_DICTIONARY) !== 0;
}

/** An element with the fields its row gives back blanked, and the mask saying which. */
export function blank(element: unknown, row: RowValues): [number, unknown] {
  const inner = unwrap(element);
  if (!inner) return [0, element];
  let mask = 0;
  let event: JsonObject | undefined;
  LEAN_FIELDS.forEach(([name, source], bit) => {
    const value = inner.event[name];
    if (typeof value !== 'string' || value === '' || value !== source(row)) return;
    event ??= { ...inner.event };
    event[name] = '';
    mask |= 1 << bit;
  });
  if (!event) return [0, element];
  const msys = { ...(element as { msys: JsonObject }).msys, [inner.category]: event };
  return [mask, { ...(element as JsonObject), msys }];
}

/** The element as received, from its blanked form, its mask and its row. */
export function restore(blanked: unknown, mask: number, row: RowValues): unknown {
  if (mask === 0) return blanked;
  const inner = unwrap(blanked);
  if (!inner) return blanked;
  LEAN_FIELDS.forEach(([name, source], bit) => {
    if ((mask & (1 << bit)) === 0) return;
    const value = source(row);
    if (value === undefined) throw new Error(`chunk field ${name} has no value to restore`);
    inner.event[name] = value;
  });
  return blanked;
}

/** Deflates the blanked elements of one chunk, in position order. */
export function encodeChunk(items: ReadonlyArray<[number, unknown]>): Buffer {
  const text = items.map(([mask, element]) => `${mask} ${JSON.stringify(element)}`).join('\n');
  return Buffer.concat([Buffer.of(CHUNK_VERSION), deflateRawSync(text, { dictionary: DICTIONARY })]);
}

/** A chunk's blanked elements, each parsed when asked for. */
export interface ChunkItems {
  readonly length: number;
  /** The `[mask, element]` at a position; undefined past the end. */
  item(pos: number): [number, unknown] | undefined;
}

/** Inflates a chunk; its elements are parsed one by one, as `item()` asks for them. */
export function decodeChunk(chunk: Buffer): ChunkItems {
  if (chunk[0] !== CHUNK_VERSION && chunk[0] !== CHUNK_VERSION_ARRAY) {
    throw new Error(`unknown chunk version ${chunk[0]}`);
  }
  const text = inflateRawSync(chunk.subarray(1), { dictionary: DICTIONARY }).toString('utf8');
  if (chunk[0] === CHUNK_VERSION_ARRAY) {
    const items = JSON.parse(text) as Array<[number, unknown]>;
    if (!Array.isArray(items)) throw new Error('a version 2 chunk holds a JSON array');
    return { length: items.length, item: (pos) => items[pos] };
  }
  const lines = text.split('\n');
  return {
    length: lines.length,
    item(pos) {
      const line = lines[pos];
      if (line === undefined) return undefined;
      const space = line.indexOf(' ');
      return [Number(line.slice(0, space)), JSON.parse(line.slice(space + 1))];
    },
  };
}


/** A batch's rows with their bodies packed: each chunk's UTC day and bytes, and where each row's body is. */
export interface PackedRows<Row> {
  /** The rows, in chunk order (by day, then campaign). */
  readonly rows: readonly Row[];
  /** `places[i]` is where `rows[i]`'s body is: the index of its chunk in `chunks`, its position there. */
  readonly places: ReadonlyArray<{ readonly chunk: number; readonly pos: number }>;
  readonly chunks: ReadonlyArray<{ readonly epochDay: number; readonly z: Buffer }>;
}

/** What packing needs of a row: its time, its element, and what it gives back to restore a blanked one. */
interface Packable {
  readonly ts: number;
  readonly element: unknown;
  readonly values: RowValues;
  /** Rows of one day are grouped by this (similar events deflate better together). */
  readonly group: string;
}

const DAY = 86_400_000;

/**
 * Packs rows into chunks: by UTC day (a chunk belongs to one day, so it goes with that day's partition),
 * within a day by group, CHUNK_EVENTS to a chunk. A generator yielding after each chunk, so that a caller
 * can let the event loop turn; `packRows` runs it to the end.
 */
export function* packing<Row>(rows: readonly Row[], packable: (row: Row) => Packable): Generator<void, PackedRows<Row>> {
  const days = new Map<number, Array<{ row: Row; packed: Packable }>>();
  for (const row of rows) {
    const packed = packable(row);
    const day = Math.floor(packed.ts / DAY);
    const list = days.get(day);
    if (list) list.push({ row, packed });
    else days.set(day, [{ row, packed }]);
  }
  const ordered: Row[] = [];
  const places: Array<{ chunk: number; pos: number }> = [];
  const chunks: Array<{ epochDay: number; z: Buffer }> = [];
  for (const epochDay of [...days.keys()].sort((a, b) => a - b)) {
    const members = (days.get(epochDay) ?? []).sort((a, b) => (a.packed.group < b.packed.group ? -1 : a.packed.group > b.packed.group ? 1 : 0));
    for (let start = 0; start < members.length; start += CHUNK_EVENTS) {
      const slice = members.slice(start, start + CHUNK_EVENTS);
      slice.forEach(({ row }, pos) => {
        ordered.push(row);
        places.push({ chunk: chunks.length, pos });
      });
      chunks.push({ epochDay, z: encodeChunk(slice.map(({ packed }) => blank(packed.element, packed.values))) });
      yield;
    }
  }
  return { rows: ordered, places, chunks };
}

export function packRows<Row>(rows: readonly Row[], packable: (row: Row) => Packable): PackedRows<Row> {
  const steps = packing(rows, packable);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** An event row as packing sees it: restored from its own columns and codes, grouped by campaign. */
export function packableEvent(row: EventRow): Packable {
  const fields = fieldValues(row.index);
  return {
    ts: row.ts,
    element: row.element,
    values: { ts: row.ts, eventId: row.eventId, type: row.type, reason: row.reason, fields },
    group: fields.c ?? '',
  };
}
