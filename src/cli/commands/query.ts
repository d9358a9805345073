import type { JsonObject } from '../../core/events/rows';
import { parseEventsApiQuery } from '../../core/query/events-api';
import {
  CSV_DEFAULT_COLUMNS,
  cellText,
  columnValue,
  csvEventRecord,
  csvRecord,
  parseExportQuery,
} from '../../core/query/export';
import { searchMessageEvents } from '../../core/query/search';
import { createEventReader } from '../../db/event-reader';
import { type Command, EXIT, UsageError } from '../command';
import { count, oneLine, table } from '../format';
import { parseCliQuery } from './export';

const HELP = `usage: sparkpost-event-db query ['<Events API query string>'] [--format table|ndjson|csv]
                                [--columns a,b,meta.key] [--json]

One page of GET /api/v1/events/message, answered from the database without HTTP: the same parameters
(from/to, events, recipients, campaigns, meta.<key>, tags, per_page, cursor, …), the same events,
newest first.
  --format table    aligned columns: time, type, recipient, subject, campaign, reason (default on a
                    terminal), then how many of the total and the query of the next page
  --format ndjson   one Events API event per line (default elsewhere)
  --format csv      RFC 4180 with a header line; the export's default columns, or --columns
  --columns LIST    the columns of csv and table: event fields and meta.<key> (comma-separated)
  --json            the Events API's answer itself: {"results":[…],"total_count":…,"links":{…}}
For every event at once, use export.

examples:
  sparkpost-event-db query 'recipients=jane@example.com&events=delivery,bounce,open'
  sparkpost-event-db query 'meta.user_id=u-1001&per_page=50' --format csv
  sparkpost-event-db query 'events=bounce' --json | jq .total_count

exit codes: 0 done; 1 it failed (e.g. the database is unreachable); 2 a usage mistake (an unknown
option, a parameter the Events API refuses).
`;

const FORMATS = ['table', 'ndjson', 'csv'] as const;
const TABLE_COLUMNS = ['timestamp', 'type', 'rcpt_to', 'subject', 'campaign_id', 'reason'] as const;
/** A table cell's most characters (longer text is cut with an ellipsis). */
const CELL_MAX = 48;

/** `--columns`, validated as the export validates `columns=`. */
function columnsOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = new URLSearchParams({ format: 'csv', columns: value }).toString();
  return parseCliQuery(() => parseExportQuery(raw, Date.now())).columns;
}

function cell(event: JsonObject, column: string): string {
  const text = oneLine(cellText(columnValue(event, column)));
  return text.length > CELL_MAX ? `${text.slice(0, CELL_MAX - 1)}…` : text;
}

export const queryCommand: Command = {
  name: 'query',
  summary: 'one page of an Events API query, as a table, NDJSON or CSV',
  help: HELP,
  options: {
    format: { type: 'string' },
    columns: { type: 'string' },
  },
  async run(context) {
    if (context.positionals.length > 1)
      throw new UsageError(`unexpected argument "${context.positionals[1]}" (quote the query string)`);
    const format =
      (context.values.format as string | undefined) ?? (context.stdout.isTTY ? 'table' : 'ndjson');
    if (!(FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--format takes ${FORMATS.join(', ')}, not "${format}"`);
    const columns = columnsOf(context.values.columns);
    const raw = (context.positionals[0] ?? '').replace(/^\?/, '');
    // Validated before the database is opened: a mistake is a usage error, at once.
    parseCliQuery(() => parseEventsApiQuery(raw, Date.now()));
    const reader = createEventReader(await context.database());
    const page = await parseCliQueryAsync(() => searchMessageEvents(raw, { reader, now: Date.now }));
    if (context.json) {
      context.stdout.write(`${JSON.stringify(page)}\n`);
      return EXIT.ok;
    }
    const events = page.results as JsonObject[];
    const next = page.links.next?.slice(page.links.next.indexOf('?') + 1);
    if (format === 'ndjson') {
      for (const event of events) context.stdout.write(`${JSON.stringify(event)}\n`);
    } else if (format === 'csv') {
      const chosen = columns ?? CSV_DEFAULT_COLUMNS;
      context.stdout.write(csvRecord(chosen));
      for (const event of events) context.stdout.write(csvEventRecord(event, chosen));
    } else {
      const chosen = columns ?? TABLE_COLUMNS;
      const rows = [
        chosen.map((column) => column.toUpperCase()),
        ...events.map((event) => chosen.map((column) => cell(event, column))),
      ];
      const lines = events.length > 0 ? table(rows, '') : ['no events'];
      const shown = `${count(events.length)} of ${count(page.total_count)} events`;
      lines.push('', next ? `${shown}; next page: sparkpost-event-db query '${next}'` : shown);
      context.stdout.write(`${lines.join('\n')}\n`);
      return EXIT.ok;
    }
    if (next && context.stderr.isTTY) {
      context.stderr.write(
        `query: ${count(events.length)} of ${count(page.total_count)} events; next page: '${next}'\n`,
      );
    }
    return EXIT.ok;
  },
};

/** A search's refusal of its parameters (a 4xx) as a usage mistake; other failures as they are. */
async function parseCliQueryAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    return parseCliQuery(() => {
      throw error;
    });
  }
}
