import {
  type EventsApiResponse,
  type EventsApiSpec,
  eventsApiResponse,
  parseEventsApiQuery,
  type StoredRow,
} from './events-api';
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
 * The page and the count run concurrently on two connections.
 */
export async function searchMessageEvents(rawQuery: string, deps: SearchDeps): Promise<EventsApiResponse> {
  const spec: EventsApiSpec = parseEventsApiQuery(rawQuery, deps.now());
  const [rows, total] = await Promise.all([
    deps.reader.rows(buildPageQuery(spec, spec.perPage + 1, spec.cursor)),
    deps.reader.count(buildCountQuery(spec)),
  ]);
  return eventsApiResponse(spec, rows, total);
}
