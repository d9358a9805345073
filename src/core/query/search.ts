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
 * `GET /api/v1/events/message`: parameters → validated spec → SQL → one page plus the exact total.
 * One row more than the page is read to learn whether a next page exists. The page and the count run
 * concurrently on two connections.
 */
export async function searchMessageEvents(rawQuery: string, deps: SearchDeps): Promise<EventsApiResponse> {
  const spec = parseEventsApiQuery(rawQuery, deps.now());
  const [rows, total] = await Promise.all([
    deps.reader.rows(buildPageQuery(spec, spec.perPage + 1, spec.cursor)),
    deps.reader.count(buildCountQuery(spec)),
  ]);
  return eventsApiResponse(spec, rows, total);
}

/** `GET /api/v1/message-events`: the legacy API, paged by page number. */
export async function searchLegacyMessageEvents(rawQuery: string, deps: SearchDeps): Promise<LegacyResponse> {
  const spec = parseLegacyQuery(rawQuery, deps.now());
  const [rows, total] = await Promise.all([
    deps.reader.rows(buildPageQuery(spec, spec.perPage, undefined, (spec.page - 1) * spec.perPage)),
    deps.reader.count(buildCountQuery(spec)),
  ]);
  return legacyResponse(spec, rows, total);
}
