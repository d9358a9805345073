import { UriTooLongError, ValidationError } from '../../errors';
import { KNOWN_EVENT_TYPES, MESSAGE_EVENT_TYPES, OTHER_EVENT_TYPES } from '../events/event-types';
import { INGEST_API_PATH } from '../paths';
import { DAY_MS, MINUTE_MS } from '../time';
import { parseQueryTime } from './dates';
import { type Filter, type FilterField, splitList } from './filters';

/**
 * Parameter reading shared by both query APIs: the URI limit, `per_page`, `events`, and list
 * parameters turned into filters through a table of parameter → field.
 */

/** SparkPost's URI limit for event searches (SPEC §1; developers.sparkpost.com events.apib L13). */
export const MAX_URI_LENGTH = 4096;
const DEFAULT_PER_PAGE = 1000;
const MAX_PER_PAGE = 10_000;

export interface ListParam {
  readonly field: FilterField;
  readonly kind: 'exact' | 'keyword';
  /** Values must be integers (checked before any SQL is built). */
  readonly integers?: boolean;
}

/**
 * Refuses a request URI over SparkPost's limit: 404 with code 1101 when the path alone is over it, 1103
 * (invalid query string) when the query makes it so (UriTooLongError says why those codes).
 */
export function checkUriLength(path: string, rawQuery: string): void {
  if (path.length > MAX_URI_LENGTH) throw new UriTooLongError('path', MAX_URI_LENGTH);
  const length = path.length + (rawQuery === '' ? 0 : 1 + rawQuery.length);
  if (length > MAX_URI_LENGTH) throw new UriTooLongError('query', MAX_URI_LENGTH);
}

/** Query parameters, read the way SparkPost reads them: the first value of a name wins. */
export class QueryParams {
  private readonly params: URLSearchParams;
  readonly delimiter: string;

  constructor(
    readonly path: string,
    readonly rawQuery: string,
  ) {
    checkUriLength(path, rawQuery);
    this.params = new URLSearchParams(rawQuery);
    this.delimiter = this.get('delimiter') || ',';
  }

  get(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  /** A list parameter's items; empty when absent or blank. */
  list(name: string): string[] {
    const raw = this.get(name);
    return raw === undefined ? [] : splitList(raw, this.delimiter);
  }

  /** Every parameter name given, once each, in order. */
  names(): string[] {
    return [...new Set(this.params.keys())];
  }
}

/** The prefix of metadata filters: `meta.<key path>=v1,v2` (the key path dotted, as codes.ts indexes it). */
const META_PREFIX = 'meta.';

/**
 * The filters SparkPost's search lacks, the reason to run one's own: `tags=a,b` (any of the rcpt_tags)
 * and `meta.<key>=v1,v2` (rcpt_meta's value at that key path is one of the values, or an array there
 * holds one). Both APIs take them; they AND with every other filter.
 */
export function extensionFilters(params: QueryParams): { filters: Filter[]; names: string[] } {
  const filters: Filter[] = [];
  const names: string[] = [];
  const tags = params.list('tags');
  if (tags.length > 0) {
    filters.push({ kind: 'tags', values: tags });
    names.push('tags');
  }
  for (const name of params.names()) {
    if (!name.startsWith(META_PREFIX)) continue;
    const key = name.slice(META_PREFIX.length);
    if (key === '') {
      throw new ValidationError(
        'Invalid meta parameter',
        'a metadata filter names its key: meta.<key>=<values>',
      );
    }
    const values = params.list(name);
    if (values.length === 0) continue;
    filters.push({ kind: 'meta', key, values });
    names.push(name);
  }
  return { filters, names };
}

/**
 * The time window, `from` inclusive and `to` exclusive, read in `timeZone` when they carry no offset.
 * SparkPost's defaults, each relative to now and not to the other bound: `to` "1 minute ago", `from`
 * "24 hours ago" (developers.sparkpost.com events.apib L120-123, the Events API; message-events.apib
 * L47-50 @70d50a3f, the legacy API). So a `to` given alone keeps `from` at 24 hours ago, and a `to` older
 * than that is an empty range, refused as a `from` after `to` is.
 */
export function timeWindow(params: QueryParams, now: number, timeZone = 'UTC'): { from: number; to: number } {
  const toParam = params.get('to');
  const fromParam = params.get('from');
  const to = toParam !== undefined ? parseQueryTime(toParam, 'to', timeZone) : now - MINUTE_MS;
  const from = fromParam !== undefined ? parseQueryTime(fromParam, 'from', timeZone) : now - DAY_MS;
  if (from > to) {
    throw new ValidationError(
      'Invalid time range',
      fromParam !== undefined
        ? 'from must be before to'
        : "from must be before to; without from it is 24 hours ago (SparkPost's default)",
    );
  }
  return { from, to };
}

export function parsePerPage(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PER_PAGE;
  const perPage = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || perPage < 1 || perPage > MAX_PER_PAGE) {
    throw new ValidationError(
      'Invalid per_page parameter',
      `per_page must be an integer from 1 to ${MAX_PER_PAGE} (got "${raw}")`,
    );
  }
  return perPage;
}

/**
 * The `events` filter of the message searches. Without it, every type but the relay, A/B-test and
 * ingest ones: SparkPost's 18 message types, and any type SparkPost adds later, as they arrive. Named, a
 * type is taken when it is one of the 18 or one the service has stored (`storedTypes`: those of the
 * named types the store has seen), so that a type SparkPost adds is found by name as it is by default.
 * Relay, A/B-test and ingest types are a 400 that says where they are served (event-types.ts), and so
 * is any other type.
 */
export function eventsFilter(params: QueryParams, storedTypes: readonly string[] = []): Filter {
  const types = params.list('events');
  if (types.length === 0) return { kind: 'not-type', values: OTHER_EVENT_TYPES };
  const elsewhere = types.filter((type) => (OTHER_EVENT_TYPES as readonly string[]).includes(type));
  if (elsewhere.length > 0) {
    throw new ValidationError(
      'Invalid events parameter',
      `Not message events: ${elsewhere.join(', ')}. Ingest events (success, error) are searched with ` +
        `GET ${INGEST_API_PATH}; relay and A/B-test events come by webhook only, as at SparkPost`,
    );
  }
  const unknown = types.filter(
    (type) => !(MESSAGE_EVENT_TYPES as readonly string[]).includes(type) && !storedTypes.includes(type),
  );
  if (unknown.length > 0) {
    throw new ValidationError(
      'Invalid events parameter',
      `Unknown event type(s): ${unknown.join(', ')}. Valid types: ${MESSAGE_EVENT_TYPES.join(', ')}, ` +
        'and any other message event type this service has stored',
    );
  }
  return { kind: 'exact', field: 'type', values: types };
}

/**
 * The types named in `events=` that are none of the known ones (event-types.ts): only those can be
 * types the store has seen and this code does not know, so only those need asking the store about.
 */
export function unfamiliarEventTypes(params: QueryParams): string[] {
  return params.list('events').filter((type) => !KNOWN_EVENT_TYPES.includes(type));
}

/** Filters for every list parameter present, in table order; integers checked. */
export function listFilters(params: QueryParams, table: Readonly<Record<string, ListParam>>): Filter[] {
  const filters: Filter[] = [];
  for (const [name, { field, kind, integers }] of Object.entries(table)) {
    const values = params.list(name);
    if (values.length === 0) continue;
    if (integers) {
      const bad = values.find((value) => !/^-?\d+$/.test(value));
      if (bad !== undefined) {
        throw new ValidationError(
          `Invalid ${name} parameter`,
          `${name} must be a list of integers (got "${bad}")`,
        );
      }
    }
    filters.push({ kind, field, values });
  }
  return filters;
}

/** Parameters to repeat in pagination links: every filter parameter given, verbatim, plus the delimiter. */
export function repeatedParams(params: QueryParams, names: readonly string[]): Array<[string, string]> {
  const repeat: Array<[string, string]> = [];
  for (const name of [...names, 'delimiter']) {
    const raw = params.get(name);
    if (raw !== undefined && raw !== '') repeat.push([name, raw]);
  }
  return repeat;
}
