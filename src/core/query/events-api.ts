import { MissingParameterError } from '../../errors';
import { recipientDomainOf, sendingDomainOf } from '../events/codes';
import { INGEST_EVENT_TYPES, OTHER_EVENT_TYPES } from '../events/event-types';
import { isObject, type JsonObject, parseEventTimestamp, unwrap } from '../events/rows';
import { EVENTS_API_PATH } from '../paths';
import type { StoredRow } from '../ports';
import { isoMillis } from '../time';
import { type Cursor, decodeCursor, encodeCursor } from './cursor';
import { formatSecondsZ } from './dates';
import type { Filter } from './filters';
import { linkQuery } from './links';
import { fittingCount, PAGE_BUDGET_BYTES } from './page-size';
import {
  eventsFilter,
  extensionFilters,
  type ListParam,
  listFilters,
  parsePerPage,
  QueryParams,
  repeatedParams,
  timeWindow,
} from './params';
import type { EventsSelection } from './sql';

/** Events API list parameters (SPEC §3.1) → the field they filter and how. */
const LIST_PARAMS: Readonly<Record<string, ListParam>> = {
  event_ids: { field: 'eventId', kind: 'exact' },
  recipients: { field: 'recipient', kind: 'exact' },
  recipient_domains: { field: 'recipientDomain', kind: 'keyword' },
  from_addresses: { field: 'fromAddress', kind: 'exact' },
  sending_domains: { field: 'sendingDomain', kind: 'keyword' },
  subjects: { field: 'subject', kind: 'keyword' },
  bounce_classes: { field: 'bounceClass', kind: 'exact', integers: true },
  reasons: { field: 'reason', kind: 'keyword' },
  campaigns: { field: 'campaign', kind: 'keyword' },
  templates: { field: 'template', kind: 'keyword' },
  sending_ips: { field: 'sendingIp', kind: 'exact' },
  ip_pools: { field: 'ipPool', kind: 'keyword' },
  subaccounts: { field: 'subaccount', kind: 'exact', integers: true },
  messages: { field: 'message', kind: 'exact' },
  transmissions: { field: 'transmission', kind: 'exact' },
  mailbox_providers: { field: 'mailboxProvider', kind: 'keyword' },
  mailbox_provider_regions: { field: 'mailboxProviderRegion', kind: 'keyword' },
  ab_tests: { field: 'abTest', kind: 'keyword' },
  ab_test_versions: { field: 'abTestVersion', kind: 'exact', integers: true },
};

/** Every Events API filter parameter, for docs and tests. */
const EVENTS_API_FILTER_PARAMS = ['events', ...Object.keys(LIST_PARAMS)] as const;

export interface EventsApiSpec extends EventsSelection {
  readonly perPage: number;
  readonly cursor?: Cursor;
  /** The filter parameters to repeat in `links.next`, verbatim. */
  readonly repeat: ReadonlyArray<readonly [string, string]>;
}

/**
 * Validates Events API parameters (SPEC §3.1) into a spec. Unknown parameters are ignored, as SparkPost
 * does. `now` is injected so that defaults (from = 24 h ago, to = 1 min ago) are testable.
 */
export function parseEventsApiQuery(
  rawQuery: string,
  now: number,
  storedTypes: readonly string[] = [],
): EventsApiSpec {
  const params = new QueryParams(EVENTS_API_PATH, rawQuery);
  const { filterNames, ...selection } = parseEventsApiSelection(params, now, storedTypes);
  const perPage = parsePerPage(params.get('per_page'));
  const cursor = decodeCursor(params.get('cursor'), selection);
  return {
    ...selection,
    perPage,
    ...(cursor ? { cursor } : {}),
    repeat: repeatedParams(params, filterNames),
  };
}

/**
 * The window and filters of Events API parameters, validated: what a search and the export (export.ts)
 * share. `filterNames`: the filter parameters given (for pagination links); `storedTypes`: types
 * outside SparkPost's list that the store holds, accepted in `events=`.
 */
export function parseEventsApiSelection(
  params: QueryParams,
  now: number,
  storedTypes: readonly string[] = [],
): { from: number; to: number; filters: Filter[]; filterNames: string[] } {
  const { from, to } = timeWindow(params, now);
  const extensions = extensionFilters(params);
  const filters = [
    eventsFilter(params, storedTypes),
    ...listFilters(params, LIST_PARAMS),
    ...extensions.filters,
  ];
  if (params.list('ab_test_versions').length > 0 && params.list('ab_tests').length === 0) {
    throw new MissingParameterError(
      'Missing ab_tests parameter',
      'ab_test_versions can only be used together with ab_tests',
    );
  }
  return { from, to, filters, filterNames: [...EVENTS_API_FILTER_PARAMS, ...extensions.names] };
}

export interface EventsApiResponse {
  results: Record<string, unknown>[];
  total_count: number;
  links: { next?: string };
}

/**
 * Shapes one page (SPEC §3.3–3.4). `rows` holds up to perPage + 1 rows: the extra one only tells that a
 * next page exists. A page whose results would pass `budget` bytes (page-size.ts) is cut short: fewer
 * results, `total_count` unchanged, and `links.next` continues after the last result returned.
 * `links.next` repeats every filter, the explicit window, per_page and the new cursor.
 */
export function eventsApiResponse(
  spec: EventsApiSpec,
  rows: readonly StoredRow[],
  total: number,
  path: string = EVENTS_API_PATH,
  budget: number = PAGE_BUDGET_BYTES,
): EventsApiResponse {
  const candidates = rows.slice(0, spec.perPage);
  const shaped = candidates.map(eventsApiEventOf);
  const fit = fittingCount(shaped, budget);
  const page = candidates.slice(0, fit);
  const results = shaped.slice(0, fit);
  const links: { next?: string } = {};
  const last = page[page.length - 1];
  if (rows.length > page.length && last) {
    const next: Array<readonly [string, string]> = [
      ['cursor', encodeCursor({ ts: last.ts, eventId: last.eventId, type: last.type })],
      ['per_page', String(spec.perPage)],
      ['from', formatQueryTime(spec.from)],
      ['to', formatQueryTime(spec.to)],
      ...spec.repeat,
    ];
    links.next = `${path}?${linkQuery(next)}`;
  }
  return { results, total_count: total, links };
}

/** Links repeat the window at the precision it was given (seconds unless it had milliseconds). */
function formatQueryTime(ms: number): string {
  return ms % 1000 === 0 ? formatSecondsZ(ms) : isoMillis(ms);
}

/** A stored event as the Events API returns it (the search's results, the export's lines). */
export function eventsApiEventOf(row: StoredRow): JsonObject {
  return toEventsApiEvent(row.ts, unwrap(row.element)?.event ?? {});
}

const INTEGER_FIELDS = ['customer_id', 'subaccount_id'] as const;
const GEO_NUMBERS = ['latitude', 'longitude', 'zip'] as const;

/** Types that are no email: SMS, and the relay, A/B-test and ingest events (no recipient, no sender). */
const NOT_EMAIL: ReadonlySet<string> = new Set(['sms_status', ...OTHER_EVENT_TYPES]);

const absent = (value: unknown) => value === undefined || value === null;

/**
 * The Events API representation (SPEC §3.4): flat, `timestamp` and `injection_time` as ISO UTC with
 * milliseconds, `customer_id`/`subaccount_id` as integers, `geo_ip` coordinates as numbers, no `tdate`;
 * and the fields SparkPost's Events API adds to what the webhook carried:
 *
 * - `recipient_domain` and `sending_domain` on every email event (SparkPost's Events API documentation
 *   lists both for every type but sms_status: 2web2ui `cypress/fixtures/events/message/documentation/
 *   200.get.json`; its results carry them: `…/events/message/200.get.json`, events.apib), derived as the
 *   filters derive them (codes.ts) when the webhook did not send them (webhooks carry no sending_domain,
 *   and older ones no recipient_domain: java-sparkpost's event classes, regenerated 2020-10);
 * - `subaccount_id: 0` on a primary-account event (python-sparkpost PR commit 3104a17, a 2022 response:
 *   `"subaccount_id":0`), except on ingest events, whose results show none (2web2ui
 *   `cypress/fixtures/events/ingest/200.get.json`).
 *
 * Everything else exactly as received. Shaping happens here, on the way out, never in storage: stored
 * bodies stay what SparkPost sent.
 */
export function toEventsApiEvent(ts: number, event: JsonObject): JsonObject {
  const out: JsonObject = { ...event, timestamp: isoMillis(ts) };
  delete out.tdate;
  const type = typeof event.type === 'string' ? event.type : '';
  if (!NOT_EMAIL.has(type)) {
    if (absent(event.recipient_domain)) {
      const domain = recipientDomainOf(event);
      if (domain !== undefined) out.recipient_domain = domain;
    }
    if (absent(event.sending_domain)) {
      const domain = sendingDomainOf(event);
      if (domain !== undefined) out.sending_domain = domain;
    }
  }
  if (absent(event.subaccount_id) && !INGEST_EVENT_TYPES.includes(type)) out.subaccount_id = 0;
  const injected = parseEventTimestamp(event.injection_time);
  if (injected !== undefined) out.injection_time = isoMillis(injected);
  for (const field of INTEGER_FIELDS) {
    const value = event[field];
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) out[field] = Number(value);
  }
  if (isObject(event.geo_ip)) {
    const geo: JsonObject = { ...event.geo_ip };
    for (const field of GEO_NUMBERS) {
      const value = geo[field];
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        geo[field] = Number(value);
    }
    out.geo_ip = geo;
  }
  return out;
}
