import { ValidationError } from '../../errors';
import { isObject, type JsonObject, unwrap } from '../events/rows';
import { LEGACY_API_PATH } from '../paths';
import type { StoredRow } from '../ports';
import { isoMillis, MINUTE_MS } from '../time';
import { isTimeZone, offsetMs } from './dates';
import type { Filter } from './filters';
import { linkQuery } from './links';
import { fittingCount, PAGE_BUDGET_BYTES, pageSizeDividing } from './page-size';
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

/**
 * SparkPost's legacy Message Events API (SPEC §2), switched off by SparkPost in 2019 but still what many
 * scripts call: the old parameter names, `reason` as a substring, `timezone`, `page`/`per_page`, and a
 * `links` array of first/previous/next/last.
 */
/** Legacy list parameters (SPEC §2.1) → field. IDs match exactly, unlike the Events API's keywords. */
const LIST_PARAMS: Readonly<Record<string, ListParam>> = {
  recipients: { field: 'recipient', kind: 'exact' },
  friendly_froms: { field: 'fromAddress', kind: 'exact' },
  bounce_classes: { field: 'bounceClass', kind: 'exact', integers: true },
  subaccounts: { field: 'subaccount', kind: 'exact', integers: true },
  transmission_ids: { field: 'transmission', kind: 'exact' },
  campaign_ids: { field: 'campaign', kind: 'exact' },
  template_ids: { field: 'template', kind: 'exact' },
  ab_test_ids: { field: 'abTest', kind: 'exact' },
  message_ids: { field: 'message', kind: 'exact' },
};

const LEGACY_FILTER_PARAMS = ['events', ...Object.keys(LIST_PARAMS), 'reason'] as const;

export interface LegacySpec extends EventsSelection {
  readonly timezone: string;
  readonly page: number;
  readonly perPage: number;
  readonly repeat: ReadonlyArray<readonly [string, string]>;
}

/** Validates legacy parameters into a spec; unknown parameters are ignored. */
export function parseLegacyQuery(
  rawQuery: string,
  now: number,
  storedTypes: readonly string[] = [],
): LegacySpec {
  const params = new QueryParams(LEGACY_API_PATH, rawQuery);
  const timezone = params.get('timezone') || 'UTC';
  if (!isTimeZone(timezone)) {
    throw new ValidationError(
      'Invalid timezone parameter',
      `"${timezone}" is not a tz database time zone name`,
    );
  }
  const { from, to } = timeWindow(params, now, timezone);

  const perPage = parsePerPage(params.get('per_page'));
  const page = parsePage(params.get('page'), perPage);

  const extensions = extensionFilters(params);
  const filters: Filter[] = [
    eventsFilter(params, storedTypes),
    ...listFilters(params, LIST_PARAMS),
    ...extensions.filters,
  ];
  // Stored reasons lose their NULs (PostgreSQL text cannot hold one), so the searched text does too.
  const reason = params.get('reason')?.replaceAll('\u0000', '');
  if (reason !== undefined && reason.trim() !== '') filters.push({ kind: 'reason-substring', value: reason });

  const repeat = repeatedParams(params, [...LEGACY_FILTER_PARAMS, ...extensions.names]);
  return { from, to, timezone, page, perPage, filters, repeat };
}

/**
 * `page`, from 1. The rows before it, (page - 1) × per_page, and the page's end must stay exact integers
 * (JavaScript's and int8's) for OFFSET and LIMIT: a bigger page is a 400. A page past the last, but
 * within that bound, is simply empty.
 */
function parsePage(raw: string | undefined, perPage: number): number {
  const pageParam = raw || '1';
  const page = Number(pageParam);
  if (!/^\d+$/.test(pageParam) || !Number.isSafeInteger(page) || page < 1) {
    throw new ValidationError(
      'Invalid page parameter',
      `page must be a positive integer (got "${pageParam}")`,
    );
  }
  if (page * perPage >= Number.MAX_SAFE_INTEGER) {
    throw new ValidationError(
      'Invalid page parameter',
      `page × per_page must be below ${Number.MAX_SAFE_INTEGER} (got page ${pageParam}, per_page ${perPage})`,
    );
  }
  return page;
}

interface LegacyLink {
  href: string;
  rel: 'first' | 'previous' | 'next' | 'last';
}

export interface LegacyResponse {
  links: LegacyLink[];
  results: JsonObject[];
  total_count: number;
}

/**
 * Shapes a page (SPEC §2.2): first/previous only after page 1, next/last only before the last page, an
 * empty array when everything fits on one page. Hrefs repeat the window at minute precision in the
 * query's time zone, then the filters.
 *
 * A page whose results would pass `budget` bytes (page-size.ts) answers as a page of a smaller
 * per_page: as many results as fit, rounded down to a size that divides the results before the page,
 * and every link in that per_page, so that `next` continues exactly after the last result returned
 * (`total_count` unchanged).
 */
export function legacyResponse(
  spec: LegacySpec,
  rows: readonly StoredRow[],
  total: number,
  budget: number = PAGE_BUDGET_BYTES,
): LegacyResponse {
  const shaped = rows.map((row) => toLegacyEvent(row.ts, unwrap(row.element)?.event ?? {}));
  const fit = fittingCount(shaped, budget);
  if (fit < shaped.length) {
    const start = (spec.page - 1) * spec.perPage;
    const perPage = pageSizeDividing(start, fit);
    return pageLinks({ ...spec, perPage, page: start / perPage + 1 }, shaped.slice(0, perPage), total);
  }
  return pageLinks(spec, shaped, total);
}

function pageLinks(spec: LegacySpec, results: JsonObject[], total: number): LegacyResponse {
  const lastPage = Math.max(1, Math.ceil(total / spec.perPage));
  const href = (page: number) => {
    const query: Array<readonly [string, string]> = [
      ['page', String(page)],
      ['per_page', String(spec.perPage)],
      ['from', wallTime(spec.from, spec.timezone)],
      ['to', wallTime(spec.to, spec.timezone)],
      ['timezone', spec.timezone],
      ...spec.repeat,
    ];
    return `${LEGACY_API_PATH}?${linkQuery(query)}`;
  };
  const links: LegacyLink[] = [];
  if (spec.page > 1) {
    links.push({ href: href(1), rel: 'first' });
    links.push({ href: href(Math.min(spec.page - 1, lastPage)), rel: 'previous' });
  }
  if (spec.page < lastPage) {
    links.push({ href: href(spec.page + 1), rel: 'next' });
    links.push({ href: href(lastPage), rel: 'last' });
  }
  return { links, results, total_count: total };
}

/** `YYYY-MM-DDTHH:MM` in the zone (seconds only when the window has them). */
function wallTime(ms: number, timeZone: string): string {
  const iso = new Date(ms + offsetMs(ms, timeZone)).toISOString();
  return ms % MINUTE_MS === 0 ? iso.slice(0, 16) : iso.slice(0, 19);
}

/** Fields the legacy API returned as strings even when they hold numbers (SPEC §2.2). */
const STRING_FIELDS = [
  'customer_id',
  'subaccount_id',
  'msg_size',
  'num_retries',
  'queue_time',
  'bounce_class',
  'error_code',
  'template_version',
  'transactional',
  'ab_test_version',
] as const;

/**
 * The legacy representation as SparkPost's 2018 documentation and samples endpoints show it: flat,
 * `timestamp` as `YYYY-MM-DDTHH:MM:SS.sss+00:00`, `tdate` as ISO UTC (as real 2017 responses carried),
 * numeric fields as strings, everything else exactly as received (developers.sparkpost.com @25505c23
 * `documentation.json`/`samples.json`: geo_ip coordinates as numbers there).
 */
export function toLegacySample(ts: number, event: JsonObject): JsonObject {
  const iso = isoMillis(ts);
  const out: JsonObject = { ...event, timestamp: `${iso.slice(0, -1)}+00:00`, tdate: iso };
  for (const field of STRING_FIELDS) {
    const value = out[field];
    if (typeof value === 'number') out[field] = String(value);
  }
  return out;
}

/** geo_ip's numbers that real Message Events responses carried as strings. */
const GEO_STRINGS = ['latitude', 'longitude', 'zip'] as const;

/**
 * A legacy search result: the sample representation, plus what real Message Events responses did that
 * the Events API no longer does (SparkPost support-docs `tech-resources/events-api-integration.md`,
 * "Changes to Response Data"):
 *
 * - arrays in `rcpt_meta` as maps, "with the array index as the key, and the value of the array at that
 *   index as the value of the key": `{"example": ["foo", "bar"]}` → `{"example": {"0": "foo", "1":
 *   "bar"}}`. The example shows one level; arrays at any depth inside `rcpt_meta` are mapped alike;
 * - `geo_ip` `latitude`, `longitude` and `zip` as strings ("now floating point numbers, instead of
 *   strings"; gosparkpost `test/json/message-events_search_200.json`, a 2017 response:
 *   `"latitude": "40.8499"`).
 */
export function toLegacyEvent(ts: number, event: JsonObject): JsonObject {
  const out = toLegacySample(ts, event);
  if (event.rcpt_meta !== undefined) out.rcpt_meta = indexKeyed(event.rcpt_meta);
  if (isObject(event.geo_ip)) {
    const geo: JsonObject = { ...event.geo_ip };
    for (const field of GEO_STRINGS) {
      const value = geo[field];
      if (typeof value === 'number') geo[field] = String(value);
    }
    out.geo_ip = geo;
  }
  return out;
}

/** Every array within the value as an object keyed "0", "1", …, at every depth. */
function indexKeyed(value: unknown): unknown {
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((item, i) => [String(i), indexKeyed(item)]));
  }
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, indexKeyed(item)]));
  }
  return value;
}
