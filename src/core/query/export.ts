import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { AppError, InternalError, ValidationError } from '../../errors';
import type { Logger } from '../../logger';
import { FIELD_DOCS } from '../docs/field-catalogue';
import { isObject, type JsonObject } from '../events/rows';
import { acceptsGzip, type HttpResponse, header } from '../http';
import { EVENTS_API_EXPORT_PATH } from '../paths';
import type { EventReader, StoredRow } from '../ports';
import { eventsApiEventOf, parseEventsApiSelection } from './events-api';
import { QueryParams } from './params';
import { prepared, type SearchDeps, scoped, storedTypesNamed } from './search';
import { buildCountQuery, buildExportQuery, type EventsSelection } from './sql';

/**
 * `GET /api/v1/events/message/export`: every event the Events API's parameters select (the same
 * validation, filters, `meta.<key>`/`tags` and subaccount scope as the search), newest first as the
 * search pages them, with no page cap. The rows come through a server-side cursor (EventReader.stream)
 * EXPORT_BATCH_ROWS at a time, and each block is written before the next is fetched, so memory holds a
 * block whatever the export's size. `format=ndjson` (default): one event a line, exactly as the search
 * returns it; `format=csv`: RFC 4180, a header line, then one row an event (CSV_DEFAULT_COLUMNS, or
 * `columns=`). A failure after the first line ends the body with an error line (errorLine).
 */

const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows the cursor fetches per round trip (and at most the events of one written block). */
const EXPORT_BATCH_ROWS = 250;

/**
 * The CSV columns without `columns=`: a stable set (append only, never reordered) of the fields most
 * events carry; `rcpt_meta` and `rcpt_tags` as JSON. Any other field, or a metadata value, by `columns=`.
 */
export const CSV_DEFAULT_COLUMNS = [
  'timestamp',
  'type',
  'event_id',
  'message_id',
  'transmission_id',
  'rcpt_to',
  'raw_rcpt_to',
  'friendly_from',
  'subject',
  'campaign_id',
  'template_id',
  'subaccount_id',
  'sending_ip',
  'ip_pool',
  'mailbox_provider',
  'bounce_class',
  'error_code',
  'reason',
  'rcpt_meta',
  'rcpt_tags',
] as const;

/** `columns=` takes a field of the catalogue (the documentation endpoint's) or `meta.<key path>`. */
const META_COLUMN = 'meta.';

export interface ExportSpec extends EventsSelection {
  readonly format: ExportFormat;
  /** The CSV columns, in order (ndjson ignores them). */
  readonly columns: readonly string[];
}

/** Validates the export's parameters: the Events API's (per_page and cursor do not apply), then its own. */
export function parseExportQuery(
  rawQuery: string,
  now: number,
  storedTypes: readonly string[] = [],
): ExportSpec {
  const params = new QueryParams(EVENTS_API_EXPORT_PATH, rawQuery);
  const { filterNames: _names, ...selection } = parseEventsApiSelection(params, now, storedTypes);
  const format = params.get('format') || 'ndjson';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ValidationError(
      'Invalid format parameter',
      `format must be one of ${EXPORT_FORMATS.join(', ')} (got "${format}")`,
    );
  }
  const columns = params.list('columns');
  for (const column of columns) {
    const known = Object.hasOwn(FIELD_DOCS, column);
    const meta = column.startsWith(META_COLUMN) && column.length > META_COLUMN.length;
    if (!known && !meta) {
      throw new ValidationError(
        'Invalid columns parameter',
        `Unknown column "${column}": columns are event fields (see ${EVENTS_API_EXPORT_PATH.replace(/\/export$/, '/documentation')}) or meta.<key>`,
      );
    }
  }
  return {
    ...selection,
    format: format as ExportFormat,
    columns: columns.length > 0 ? columns : CSV_DEFAULT_COLUMNS,
  };
}

/** The spec scoped to the caller's subaccount (as the search scopes it) and ready for its SQL. */
export function scopedExport(
  spec: ExportSpec,
  reader: EventReader,
  subaccount?: number,
): Promise<ExportSpec> {
  return prepared(scoped(spec, subaccount), reader);
}

/** How many events the export of this spec writes (the CLI's progress; the same filters and scope). */
export function countExport(spec: ExportSpec, reader: EventReader): Promise<number> {
  return reader.count(buildCountQuery(spec));
}

/** One block of the export's text, and how many events it holds (0 for the CSV header). */
export interface ExportBlock {
  readonly text: string;
  readonly events: number;
}

/**
 * The export's text, block by block, one per fetch (for CSV the header before the first rows). Errors of the
 * database are thrown (after the blocks already yielded); stopping the iteration closes the cursor.
 */
export async function* exportBlocks(spec: ExportSpec, reader: EventReader): AsyncGenerator<ExportBlock> {
  if (!reader.stream) throw new InternalError({ cause: new Error('this database reader cannot stream') });
  const line = spec.format === 'csv' ? csvLine(spec.columns) : ndjsonLine;
  // The CSV header goes out with the first rows, so that the first block is the first fetch's.
  let header = spec.format === 'csv' ? csvRecord(spec.columns) : '';
  for await (const rows of reader.stream(buildExportQuery(spec), EXPORT_BATCH_ROWS)) {
    yield { text: header + rows.map(line).join(''), events: rows.length };
    header = '';
  }
  if (header !== '') yield { text: header, events: 0 };
}

function ndjsonLine(row: StoredRow): string {
  return `${JSON.stringify(eventsApiEventOf(row))}\n`;
}

function csvLine(columns: readonly string[]): (row: StoredRow) => string {
  return (row) => csvEventRecord(eventsApiEventOf(row), columns);
}

/** An Events API event as one CSV record of these columns (the export's rows; the CLI's `query`). */
export function csvEventRecord(event: JsonObject, columns: readonly string[]): string {
  return csvRecord(columns.map((column) => cellText(columnValue(event, column))));
}

/** A column's value in an Events API event: a field, or `meta.a.b` → rcpt_meta.a.b. */
export function columnValue(event: JsonObject, column: string): unknown {
  if (!column.startsWith(META_COLUMN) || Object.hasOwn(FIELD_DOCS, column)) return event[column];
  const meta = event.rcpt_meta;
  if (!isObject(meta)) return undefined;
  const path = column.slice(META_COLUMN.length);
  // A key holding dots as sent wins over the path through nested objects.
  if (Object.hasOwn(meta, path)) return meta[path];
  let value: unknown = meta;
  for (const key of path.split('.')) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** Absent or null: empty; strings as they are; numbers and booleans as JSON spells them; else JSON. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** One RFC 4180 record: a field quoted when it holds a quote, comma, CR or LF (quotes doubled); CRLF. */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',')}\r\n`;
}

/**
 * The last line of an export the database failed in the middle of: in NDJSON a SparkPost error
 * document, `{"errors":[{"message":…,"description":…,"code":…}]}`; in CSV a record whose first field is
 * `#error`, then the message and the code. No stack trace, no database detail (those are logged).
 */
function errorLine(format: ExportFormat, error: unknown, written: number): string {
  const appError = error instanceof AppError ? error : new InternalError({ cause: error });
  const description = `The export stopped after ${written} events: the lines above are complete events, the export is not`;
  if (format === 'csv') return csvRecord(['#error', `${appError.message}: ${description}`, appError.code]);
  return `${JSON.stringify({ errors: [{ message: appError.message, description, code: appError.code }] })}\n`;
}

const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

export interface ExportRequest {
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/**
 * The export as an HTTP response whose body streams. Validation and the first fetch happen before it
 * resolves, so a bad parameter is a 400 and a database down at the start a 503, both in SparkPost's
 * error shape; later failures end the body with errorLine. Gzipped when the client accepts it.
 */
export async function exportResponse(
  request: ExportRequest,
  deps: SearchDeps & { readonly logger: Logger },
  subaccount?: number,
): Promise<HttpResponse> {
  const stored = await storedTypesNamed(request.rawQuery, EVENTS_API_EXPORT_PATH, deps.reader);
  const spec = await scopedExport(
    parseExportQuery(request.rawQuery, deps.now(), stored),
    deps.reader,
    subaccount,
  );
  const blocks = exportBlocks(spec, deps.reader);
  const first = await blocks.next();
  const text = withErrorLine(spec.format, first, blocks, deps.logger);
  const gzip = acceptsGzip(header(request.headers, 'accept-encoding'));
  return {
    statusCode: 200,
    headers: {
      'content-type': CONTENT_TYPES[spec.format],
      'content-disposition': `attachment; filename="events.${spec.format}"`,
      'cache-control': 'no-store',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    body: '',
    stream: gzip ? gzipped(text) : text,
  };
}

/** The blocks' text, the first one already read; a failure is logged and becomes the last line. */
async function* withErrorLine(
  format: ExportFormat,
  first: IteratorResult<ExportBlock>,
  blocks: AsyncGenerator<ExportBlock>,
  logger: Logger,
): AsyncGenerator<string> {
  let written = 0;
  try {
    if (first.done) return;
    written += first.value.events;
    yield first.value.text;
    for await (const block of blocks) {
      written += block.events;
      yield block.text;
    }
  } catch (error) {
    logger.error('export failed midway', { events: written, error });
    yield errorLine(format, error, written);
  } finally {
    // A consumer that stops early (the client went away) closes the cursor here.
    await blocks.return(undefined);
  }
}

/**
 * The text gzipped, as it comes: pipeline() keeps the backpressure, and stopping the iteration of the
 * result destroys the source, which closes the cursor.
 */
function gzipped(text: AsyncIterable<string>): AsyncIterable<Buffer> {
  return pipeline(Readable.from(text), createGzip(), () => undefined);
}
