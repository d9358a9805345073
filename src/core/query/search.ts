import { EVENTS_API_PATH, INGEST_API_PATH, LEGACY_API_PATH } from '../paths';
import type { EventReader, StoredRow } from '../ports';
import type { Cursor } from './cursor';
import { type EventsApiResponse, eventsApiResponse, parseEventsApiQuery } from './events-api';
import { parseIngestQuery } from './ingest-api';
import { type LegacyResponse, legacyResponse, parseLegacyQuery } from './legacy-api';
import { QueryParams, unfamiliarEventTypes } from './params';
import {
  buildCountQuery,
  buildPageQuery,
  buildStoredTypesQuery,
  buildWindowRowsQuery,
  choosePagePlan,
  type EventsSelection,
  includesPrimaryAccount,
  type PagePlan,
} from './sql';

export interface SearchDeps {
  readonly reader: EventReader;
  readonly now: () => number;
}

/**
 * Filters that pick out a handful of events (a recipient, a message): their results nearly always fit on
 * one page, and then the page's length is the exact total and no count needs to run.
 */
const LOOKUP_FIELDS = new Set(['recipient', 'message', 'eventId', 'transmission', 'batchId']);

function isLookup(selection: EventsSelection): boolean {
  return selection.filters.some((filter) => filter.kind === 'exact' && LOOKUP_FIELDS.has(filter.field));
}

/** Nothing but the default exclusion of non-message types: nearly every row of the window matches. */
function isUnfiltered(selection: EventsSelection): boolean {
  return selection.filters.every((filter) => filter.kind === 'not-type');
}

/** Which rows of the selection a page holds, in the APIs' order. */
interface PageRequest {
  /** Rows to read: the page size plus one, to learn whether a next page exists. */
  readonly limit: number;
  readonly after?: Cursor;
  readonly offset: number;
  /** The first page (no cursor, page 1): if it is not full, its length is the total. */
  readonly first: boolean;
}

/**
 * The page and the exact total. The planner cannot tell how rare a term is, and for a rare one it would
 * walk the time index through the whole window; so, apart from the first case, the statements run one
 * after the other, and a slow query holds one connection, not two.
 *
 * - Without filters (and without a page offset), the page walks the time index, nearly every row
 *   matching, while the count runs.
 * - Lookups read their first page fenced (their matches are few), and count only when it is full:
 *   planning the day partitions of a long window is most of a lookup's cost, so one statement instead
 *   of two halves it.
 * - Everything else counts first, and the exact count chooses the page's plan (choosePagePlan): no page
 *   at all when nothing (or nothing this far) matches, fenced when the matches are few for the window
 *   (always, for lookups), the ordered walk otherwise.
 */
async function pageAndTotal(
  reader: EventReader,
  selection: EventsSelection,
  request: PageRequest,
): Promise<[StoredRow[], number]> {
  const page = (plan: PagePlan) =>
    reader.rows(buildPageQuery(selection, request.limit, request.after, request.offset, plan));
  if (isUnfiltered(selection) && request.offset === 0) {
    return Promise.all([page('ordered'), reader.count(buildCountQuery(selection))]);
  }
  const lookup = isLookup(selection);
  if (lookup && request.first) {
    const rows = await page('fenced');
    return [rows, rows.length < request.limit ? rows.length : await reader.count(buildCountQuery(selection))];
  }
  const total = await reader.count(buildCountQuery(selection));
  if (total <= request.offset) return [[], total];
  const wanted = request.limit + request.offset;
  const plan = lookup
    ? 'fenced'
    : (choosePagePlan(total, wanted) ??
      choosePagePlan(total, wanted, await reader.count(buildWindowRowsQuery(selection))));
  return [await page(plan), total];
}

/**
 * The selection limited to one subaccount (0: the primary account), if any: one more filter, ANDed with
 * every other one, in the counts as in the pages and after the cursor. Asking for another subaccount in
 * `subaccounts=` then simply matches nothing.
 */
export function scoped<S extends EventsSelection>(selection: S, subaccount: number | undefined): S {
  if (subaccount === undefined) return selection;
  const scope = { kind: 'exact', field: 'subaccount', values: [String(subaccount)] } as const;
  return { ...selection, filters: [...selection.filters, scope] };
}

/** sql/005_api_keys.sql's `primary_account_code.indexed_from`, read once per reader (it never changes). */
const indexedFrom = new WeakMap<EventReader, Promise<number>>();

function primaryIndexedFrom(reader: EventReader): Promise<number> {
  let known = indexedFrom.get(reader);
  if (!known) {
    known = reader
      .records({
        text: 'SELECT extract(epoch FROM indexed_from) * 1000 AS ms FROM primary_account_code',
        values: [],
      })
      .then((rows) => Number(rows[0]?.ms ?? Number.POSITIVE_INFINITY));
    indexedFrom.set(reader, known);
    known.catch(() => indexedFrom.delete(reader));
  }
  return known;
}

/**
 * The selection with what its SQL needs to know beyond the request: when it asks for the primary
 * account, since when stored events carry the primary account's code (sql.ts).
 */
export async function prepared<S extends EventsSelection>(selection: S, reader: EventReader): Promise<S> {
  if (!includesPrimaryAccount(selection)) return selection;
  return { ...selection, primaryIndexedFrom: await primaryIndexedFrom(reader) };
}

/**
 * Of the types `events=` names that this code does not know, those the store has seen (SparkPost adds
 * types; the webhook stores them): one dictionary lookup, only when such a type is named.
 */
export async function storedTypesNamed(
  rawQuery: string,
  path: string,
  reader: EventReader,
): Promise<string[]> {
  const unfamiliar = unfamiliarEventTypes(new QueryParams(path, rawQuery));
  if (unfamiliar.length === 0) return [];
  const rows = await reader.records(buildStoredTypesQuery(unfamiliar));
  return rows.map((row) => String(row.value));
}

/**
 * `GET /api/v1/events/message`: parameters → validated spec → SQL → one page plus the exact total.
 * One row more than the page is read to learn whether a next page exists. `subaccount` limits it to one
 * subaccount's events (0: the primary account's), whatever the parameters ask.
 */
export async function searchMessageEvents(
  rawQuery: string,
  deps: SearchDeps,
  subaccount?: number,
): Promise<EventsApiResponse> {
  const stored = await storedTypesNamed(rawQuery, EVENTS_API_PATH, deps.reader);
  const spec = await prepared(
    scoped(parseEventsApiQuery(rawQuery, deps.now(), stored), subaccount),
    deps.reader,
  );
  const [rows, total] = await pageAndTotal(deps.reader, spec, {
    limit: spec.perPage + 1,
    ...(spec.cursor ? { after: spec.cursor } : {}),
    offset: 0,
    first: spec.cursor === undefined,
  });
  return eventsApiResponse(spec, rows, total);
}

/** `GET /api/v1/events/ingest`: the ingest events, paged as the message search; `subaccount` as above. */
export async function searchIngestEvents(
  rawQuery: string,
  deps: SearchDeps,
  subaccount?: number,
): Promise<EventsApiResponse> {
  const spec = await prepared(scoped(parseIngestQuery(rawQuery, deps.now()), subaccount), deps.reader);
  const [rows, total] = await pageAndTotal(deps.reader, spec, {
    limit: spec.perPage + 1,
    ...(spec.cursor ? { after: spec.cursor } : {}),
    offset: 0,
    first: spec.cursor === undefined,
  });
  return eventsApiResponse(spec, rows, total, INGEST_API_PATH);
}

/** `GET /api/v1/message-events`: the legacy API, paged by page number; `subaccount` as above. */
export async function searchLegacyMessageEvents(
  rawQuery: string,
  deps: SearchDeps,
  subaccount?: number,
): Promise<LegacyResponse> {
  const stored = await storedTypesNamed(rawQuery, LEGACY_API_PATH, deps.reader);
  const spec = await prepared(
    scoped(parseLegacyQuery(rawQuery, deps.now(), stored), subaccount),
    deps.reader,
  );
  const [rows, total] = await pageAndTotal(deps.reader, spec, {
    limit: spec.perPage + 1,
    offset: (spec.page - 1) * spec.perPage,
    first: spec.page === 1,
  });
  return legacyResponse(spec, rows.slice(0, spec.perPage), total);
}
