import { ValidationError } from '../../errors';
import { KNOWN_EVENT_TYPES, OTHER_EVENT_TYPES } from '../catalogue';
import { isoMillis, storedEvent, toEventsApiEvent } from '../events';
import type { TermFieldName } from '../terms';
import { type Cursor, decodeCursor, encodeCursor } from './cursor';
import { formatSecondsZ, parseQueryTime } from './dates';
import { type Filter, splitList } from './filters';
import type { EventsSelection } from './sql';

/** SparkPost's URI limit for event searches (SPEC §1). */
export const MAX_URI_LENGTH = 4096;
export const EVENTS_API_PATH = '/api/v1/events/message';

const DEFAULT_PER_PAGE = 1000;
const MAX_PER_PAGE = 10_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Events API list parameters (SPEC §3.1) → the field they filter and how. */
const LIST_PARAMS: Readonly<Record<string, { field: TermFieldName; kind: 'exact' | 'keyword' }>> = {
  event_ids: { field: 'eventId', kind: 'exact' },
  recipients: { field: 'recipient', kind: 'exact' },
  recipient_domains: { field: 'recipientDomain', kind: 'keyword' },
  from_addresses: { field: 'fromAddress', kind: 'exact' },
  sending_domains: { field: 'sendingDomain', kind: 'keyword' },
  subjects: { field: 'subject', kind: 'keyword' },
  bounce_classes: { field: 'bounceClass', kind: 'exact' },
  reasons: { field: 'reason', kind: 'keyword' },
  campaigns: { field: 'campaign', kind: 'keyword' },
  templates: { field: 'template', kind: 'keyword' },
  sending_ips: { field: 'sendingIp', kind: 'exact' },
  ip_pools: { field: 'ipPool', kind: 'keyword' },
  subaccounts: { field: 'subaccount', kind: 'exact' },
  messages: { field: 'message', kind: 'exact' },
  transmissions: { field: 'transmission', kind: 'exact' },
  mailbox_providers: { field: 'mailboxProvider', kind: 'keyword' },
  mailbox_provider_regions: { field: 'mailboxProviderRegion', kind: 'keyword' },
  ab_tests: { field: 'abTest', kind: 'keyword' },
  ab_test_versions: { field: 'abTestVersion', kind: 'exact' },
};

/** Parameters whose values must be integers (checked before any SQL is built). */
const INTEGER_PARAMS = new Set(['bounce_classes', 'subaccounts', 'ab_test_versions']);

export interface EventsApiSpec extends EventsSelection {
  readonly perPage: number;
  readonly cursor?: Cursor;
  /** The parameters to repeat in `links.next`, in the order received (without cursor/from/to/per_page). */
  readonly repeat: ReadonlyArray<readonly [string, string]>;
}

/**
 * Validates Events API parameters (SPEC §3.1) into a spec. Unknown parameters are ignored, as SparkPost
 * does. `now` is injected so that defaults (from = 24 h ago, to = 1 min ago) are testable.
 */
export function parseEventsApiQuery(rawQuery: string, now: number): EventsApiSpec {
  if (rawQuery.length + EVENTS_API_PATH.length + 1 > MAX_URI_LENGTH) {
    throw new ValidationError('URI too long', `The request URI must be at most ${MAX_URI_LENGTH} characters`);
  }
  const params = new URLSearchParams(rawQuery);
  const value = (name: string): string | undefined => params.get(name) ?? undefined;
  const delimiter = value('delimiter') || ',';

  const to = value('to') !== undefined ? parseQueryTime(value('to') as string, 'to') : now - MINUTE_MS;
  const from =
    value('from') !== undefined
      ? parseQueryTime(value('from') as string, 'from')
      : to - 24 * HOUR_MS + MINUTE_MS;
  if (from > to) throw new ValidationError('Invalid time range', 'from must be before to');

  const perPage = parsePerPage(value('per_page'));
  const cursor = decodeCursor(value('cursor'));

  const filters: Filter[] = [];
  const repeat: Array<[string, string]> = [];
  const events = value('events');
  if (events !== undefined && splitList(events, delimiter).length > 0) {
    const types = splitList(events, delimiter);
    const unknown = types.filter((type) => !KNOWN_EVENT_TYPES.includes(type));
    if (unknown.length > 0) {
      throw new ValidationError(
        'Invalid events parameter',
        `Unknown event type(s): ${unknown.join(', ')}. Valid types: ${KNOWN_EVENT_TYPES.join(', ')}`,
      );
    }
    filters.push({ kind: 'exact', field: 'type', values: types });
    repeat.push(['events', events]);
  } else {
    filters.push({ kind: 'not-type', values: OTHER_EVENT_TYPES });
  }

  for (const [name, { field, kind }] of Object.entries(LIST_PARAMS)) {
    const raw = value(name);
    if (raw === undefined) continue;
    const values = splitList(raw, delimiter);
    if (values.length === 0) continue;
    if (INTEGER_PARAMS.has(name)) {
      const bad = values.find((item) => !/^-?\d+$/.test(item));
      if (bad !== undefined) {
        throw new ValidationError(
          `Invalid ${name} parameter`,
          `${name} must be a list of integers (got "${bad}")`,
        );
      }
    }
    filters.push({ kind, field, values });
    repeat.push([name, raw]);
  }
  if (value('ab_test_versions') !== undefined && value('ab_tests') === undefined) {
    throw new ValidationError(
      'Missing ab_tests parameter',
      'ab_test_versions can only be used together with ab_tests',
      '1401',
    );
  }
  if (value('delimiter') !== undefined) repeat.push(['delimiter', delimiter]);

  return { from, to, perPage, ...(cursor ? { cursor } : {}), filters, repeat };
}

function parsePerPage(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PER_PAGE;
  const perPage = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    throw new ValidationError(
      'Invalid per_page parameter',
      `per_page must be an integer from 1 to ${MAX_PER_PAGE} (got "${raw}")`,
    );
  }
  return perPage;
}

/** A stored row as the query layer reads it back. */
export interface StoredRow {
  readonly ts: number;
  readonly eventId: string;
  readonly type: string;
  readonly body: Buffer;
}

export interface EventsApiResponse {
  results: Record<string, unknown>[];
  total_count: number;
  links: { next?: string };
}

/**
 * Shapes one page (SPEC §3.3–3.4). `rows` holds up to perPage + 1 rows: the extra one only tells that a
 * next page exists. `links.next` repeats every filter, the explicit window and the new cursor.
 */
export function eventsApiResponse(
  spec: EventsApiSpec,
  rows: readonly StoredRow[],
  total: number,
): EventsApiResponse {
  const page = rows.slice(0, spec.perPage);
  const results = page.map((row) => toEventsApiEvent(row.ts, storedEvent(row.body)));
  const links: { next?: string } = {};
  const last = page[page.length - 1];
  if (rows.length > spec.perPage && last) {
    const next = new URLSearchParams();
    next.set('cursor', encodeCursor({ ts: last.ts, eventId: last.eventId, type: last.type }));
    next.set('per_page', String(spec.perPage));
    next.set('from', formatQueryTime(spec.from));
    next.set('to', formatQueryTime(spec.to));
    for (const [name, raw] of spec.repeat) next.append(name, raw);
    links.next = `${EVENTS_API_PATH}?${next.toString()}`;
  }
  return { results, total_count: total, links };
}

/** Links repeat the window at the precision it was given (seconds unless it had milliseconds). */
function formatQueryTime(ms: number): string {
  return ms % 1000 === 0 ? formatSecondsZ(ms) : isoMillis(ms);
}
