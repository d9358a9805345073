import type { EventReader, StoredRow } from '../ports';
import { type EventsApiResponse, eventsApiResponse, parseEventsApiQuery } from './events-api';
import { type LegacyResponse, legacyResponse, parseLegacyQuery } from './legacy-api';
import { buildCountQuery, buildPageQuery, type EventsSelection, type SqlQuery } from './sql';

export interface SearchDeps {
  readonly reader: EventReader;
  readonly now: () => number;
}

/**
 * Filters that pick out a handful of events (a recipient, a message): their results nearly always fit on
 * one page, and then the page's length is the exact total and no count needs to run.
 */
const LOOKUP_FIELDS = new Set(['recipient', 'message', 'eventId', 'transmission']);

function isLookup(selection: EventsSelection): boolean {
  return selection.filters.some((filter) => filter.kind === 'exact' && LOOKUP_FIELDS.has(filter.field));
}

/**
 * The page and the exact total. For lookups, the page runs alone and the count only when the page is
 * full (planning the day partitions of a 30-day window is most of a lookup's cost, so one statement
 * instead of two halves it). Otherwise page and count run concurrently on two connections.
 */
async function pageAndTotal(
  reader: EventReader,
  selection: EventsSelection,
  page: SqlQuery,
  fitsOnPage: (rows: StoredRow[]) => boolean,
): Promise<[StoredRow[], number]> {
  if (isLookup(selection)) {
    const rows = await reader.rows(page);
    return [rows, fitsOnPage(rows) ? rows.length : await reader.count(buildCountQuery(selection))];
  }
  return Promise.all([reader.rows(page), reader.count(buildCountQuery(selection))]);
}

/**
 * `GET /api/v1/events/message`: parameters → validated spec → SQL → one page plus the exact total.
 * One row more than the page is read to learn whether a next page exists.
 */
export async function searchMessageEvents(rawQuery: string, deps: SearchDeps): Promise<EventsApiResponse> {
  const spec = parseEventsApiQuery(rawQuery, deps.now());
  const [rows, total] = await pageAndTotal(
    deps.reader,
    spec,
    buildPageQuery(spec, spec.perPage + 1, spec.cursor),
    (page) => spec.cursor === undefined && page.length <= spec.perPage,
  );
  return eventsApiResponse(spec, rows, total);
}

/** `GET /api/v1/message-events`: the legacy API, paged by page number. */
export async function searchLegacyMessageEvents(rawQuery: string, deps: SearchDeps): Promise<LegacyResponse> {
  const spec = parseLegacyQuery(rawQuery, deps.now());
  const [rows, total] = await pageAndTotal(
    deps.reader,
    spec,
    buildPageQuery(spec, spec.perPage + 1, undefined, (spec.page - 1) * spec.perPage),
    (page) => spec.page === 1 && page.length <= spec.perPage,
  );
  return legacyResponse(spec, rows.slice(0, spec.perPage), total);
}
