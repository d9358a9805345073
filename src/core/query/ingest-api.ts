import { ValidationError } from '../../errors';
import { INGEST_EVENT_TYPES } from '../events/event-types';
import { INGEST_API_PATH } from '../paths';
import { decodeCursor } from './cursor';
import type { EventsApiSpec } from './events-api';
import type { Filter } from './filters';
import { type ListParam, listFilters, parsePerPage, QueryParams, repeatedParams, timeWindow } from './params';

/**
 * SparkPost's Events API search of ingest events, `GET /api/v1/events/ingest` (developers.sparkpost.com
 * `content/api/events.apib`, "Search for Ingest Events"): the `success` and `error` events of Ingest API
 * batches, with the message search's window, cursor, `per_page` and `delimiter`, and its own filters.
 * Answered as the message search is (events-api.ts): `results`, `total_count`, `links.next`.
 */

/** Its list parameters → field. IDs match exactly; `error_types` too (validation, system, …). */
const LIST_PARAMS: Readonly<Record<string, ListParam>> = {
  event_ids: { field: 'eventId', kind: 'exact' },
  batch_ids: { field: 'batchId', kind: 'exact' },
  error_types: { field: 'errorType', kind: 'exact' },
  subaccounts: { field: 'subaccount', kind: 'exact', integers: true },
};

const INGEST_FILTER_PARAMS = ['events', 'retryable', ...Object.keys(LIST_PARAMS)] as const;

/**
 * Validates ingest search parameters into a spec; unknown parameters are ignored. `events` defaults to
 * `success,error` (events.apib) and takes only those. With `error_types` alone, only error events of
 * those types match (a success has no error type), as SparkPost's app relies on (2web2ui
 * `src/actions/ingestBatchEvents.js` sends `error_types` without `events`).
 */
export function parseIngestQuery(rawQuery: string, now: number): EventsApiSpec {
  const params = new QueryParams(INGEST_API_PATH, rawQuery);
  const { from, to } = timeWindow(params, now);
  const perPage = parsePerPage(params.get('per_page'));
  const cursor = decodeCursor(params.get('cursor'), { from, to });
  const filters: Filter[] = [ingestTypes(params), ...listFilters(params, LIST_PARAMS)];
  const retryable = params.get('retryable');
  if (retryable !== undefined && retryable !== '') {
    const value = retryable.trim().toLowerCase();
    if (value !== 'true' && value !== 'false') {
      throw new ValidationError(
        'Invalid retryable parameter',
        `retryable must be true or false (got "${retryable}")`,
      );
    }
    filters.push({ kind: 'exact', field: 'retryable', values: [value] });
  }
  return {
    from,
    to,
    perPage,
    ...(cursor ? { cursor } : {}),
    filters,
    repeat: repeatedParams(params, INGEST_FILTER_PARAMS),
  };
}

function ingestTypes(params: QueryParams): Filter {
  const types = params.list('events');
  const unknown = types.filter((type) => !INGEST_EVENT_TYPES.includes(type));
  if (unknown.length > 0) {
    throw new ValidationError(
      'Invalid events parameter',
      `Unknown ingest event type(s): ${unknown.join(', ')}. Valid types: ${INGEST_EVENT_TYPES.join(', ')}`,
    );
  }
  return { kind: 'exact', field: 'type', values: types.length > 0 ? types : INGEST_EVENT_TYPES };
}
