import { type EventsApiResponse, eventsApiResponse, parseEventsApiQuery, type StoredRow } from './events-api';
import { type LegacyResponse, legacyResponse, parseLegacyQuery } from './legacy-api';
import { buildCountQuery, buildPageQuery, type SqlQuery } from './sql';

/** What the query APIs need from the database (implemented in db/read.ts). */
export interface EventReader {
  rows(query: SqlQuery): Promise<StoredRow[]>;
  count(query: SqlQuery): Promise<number>;
}

export interface SearchDeps {
  readonly reader: EventReader;
  readonly now: () => number;
}

/**
 * The page and the exact total. When the first page holds every match, its length is the total and no
 * count is run (the common case for recipient and message lookups, where planning dominates); otherwise
 * the count runs after the page.
 */
async function pageAndTotal(
  reader: EventReader,
  page: SqlQuery,
  count: SqlQuery,
  fitsOnPage: (rows: StoredRow[]) => boolean,
): Promise<[StoredRow[], number]> {
  const rows = await reader.rows(page);
  return [rows, fitsOnPage(rows) ? rows.length : await reader.count(count)];
}

/**
 * `GET /api/v1/events/message`: parameters → validated spec → SQL → one page plus the exact total.
 * One row more than the page is read to learn whether a next page exists.
 */
export async function searchMessageEvents(rawQuery: string, deps: SearchDeps): Promise<EventsApiResponse> {
  const spec = parseEventsApiQuery(rawQuery, deps.now());
  const [rows, total] = await pageAndTotal(
    deps.reader,
    buildPageQuery(spec, spec.perPage + 1, spec.cursor),
    buildCountQuery(spec),
    (page) => spec.cursor === undefined && page.length <= spec.perPage,
  );
  return eventsApiResponse(spec, rows, total);
}

/** `GET /api/v1/message-events`: the legacy API, paged by page number. */
export async function searchLegacyMessageEvents(rawQuery: string, deps: SearchDeps): Promise<LegacyResponse> {
  const spec = parseLegacyQuery(rawQuery, deps.now());
  const [rows, total] = await pageAndTotal(
    deps.reader,
    buildPageQuery(spec, spec.perPage + 1, undefined, (spec.page - 1) * spec.perPage),
    buildCountQuery(spec),
    (page) => spec.page === 1 && page.length <= spec.perPage,
  );
  return legacyResponse(spec, rows.slice(0, spec.perPage), total);
}
