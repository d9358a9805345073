import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import {
  countExport,
  type ExportSpec,
  exportBlocks,
  parseExportQuery,
  scopedExport,
} from '../../core/query/export';
import { createEventReader } from '../../db/event-reader';
import { AppError } from '../../errors';
import { type Command, EXIT, UsageError } from '../command';
import { createExportProgress } from '../export-progress';
import { count } from '../format';
import { terminalFor } from '../terminal';

const HELP = `usage: sparkpost-event-db export ['<Events API query string>'] [--format ndjson|csv]
                                 [--columns a,b,meta.key] [--output FILE] [--json]

Every event the Events API's parameters select (GET /api/v1/events/message/export, without HTTP): the
same filters (events, recipients, campaigns, meta.<key>, tags, …) and window (from/to; by default the
last 24 hours), newest first, no page cap. Read from the database through a cursor, so memory stays
flat whatever the size.
  --format ndjson   one Events API event per line (default)
  --format csv      RFC 4180 with a header line; the default columns are the README's, or --columns
  --columns LIST    CSV columns: event fields and meta.<key> (comma-separated)
  --output FILE     write to FILE (created once complete: FILE.partial until then), else to stdout
  --json            with --output: one JSON summary on stdout (events, output, format, seconds)
On a terminal, stderr shows a progress bar (events written of the count, rate, ETA); elsewhere a
plain line at the start, every 10 s and at the end.

examples:
  sparkpost-event-db export 'from=2026-09-01T00:00:00Z&to=2026-12-01T00:00:00Z&events=bounce' --output bounces.ndjson
  sparkpost-event-db export 'meta.user_id=u-1001' --format csv --columns timestamp,type,rcpt_to,meta.user_id
  sparkpost-event-db export 'events=delivery' | gzip > deliveries.ndjson.gz

exit codes: 0 done; 1 it failed (e.g. the database failed midway: no FILE is left); 2 a usage mistake
(an unknown option, a parameter the Events API refuses, an unknown column).
`;

/** The query string with the options' format and columns (the options win). */
function queryOf(positional: string | undefined, format: unknown, columns: unknown): string {
  const params = new URLSearchParams((positional ?? '').replace(/^\?/, ''));
  if (typeof format === 'string') params.set('format', format);
  if (typeof columns === 'string') params.set('columns', columns);
  return params.toString();
}

/** The Events API's parameters, validated, or a usage mistake saying why. */
export function parseCliQuery<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof AppError && error.expose) {
      throw new UsageError(`${error.message}${error.description ? `: ${error.description}` : ''}`);
    }
    throw error;
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write every event an Events API query selects, as NDJSON or CSV, to a file or stdout',
  help: HELP,
  options: {
    format: { type: 'string' },
    columns: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  async run(context) {
    if (context.positionals.length > 1)
      throw new UsageError(`unexpected argument "${context.positionals[1]}" (quote the query string)`);
    const output = context.values.output as string | undefined;
    if (context.json && output === undefined)
      throw new UsageError('--json writes a summary on stdout: give --output FILE for the events');
    const raw = queryOf(context.positionals[0], context.values.format, context.values.columns);
    const parsed = parseCliQuery(() => parseExportQuery(raw, Date.now()));
    const reader = createEventReader(await context.database());
    const spec: ExportSpec = await scopedExport(parsed, reader);
    const started = Date.now();
    const total = await countExport(spec, reader);
    const terminal = terminalFor(context.stderr);
    const progress = context.json ? undefined : createExportProgress(terminal, { total });

    const partial = output !== undefined ? `${output}.partial` : undefined;
    const destination: NodeJS.WritableStream = partial ? createWriteStream(partial) : context.stdout;
    let failed: Error | undefined;
    const onError = (error: unknown) => {
      failed ??= error instanceof Error ? error : new Error(String(error));
    };
    destination.on('error', onError);
    let events = 0;
    try {
      for await (const block of exportBlocks(spec, reader)) {
        if (failed) break;
        events += block.events;
        if (!destination.write(block.text)) {
          // Backpressure: the next block is fetched once this one is taken (or the destination failed).
          await Promise.race([once(destination, 'drain'), once(destination, 'close')]).catch(onError);
        }
        progress?.written(block.events);
      }
      if (failed && !partial && (failed as { code?: string }).code === 'EPIPE') {
        // The reader of stdout stopped (e.g. `| head`): not a failure of the export.
        progress?.finish();
        return EXIT.ok;
      }
      if (failed) throw failed;
      if (partial) {
        await new Promise<void>((resolve, reject) => {
          (destination as ReturnType<typeof createWriteStream>).end((error?: Error | null) =>
            error ? reject(error) : resolve(),
          );
        });
        await rename(partial, output as string);
      }
    } catch (error) {
      terminal.endStatus();
      if (partial) {
        (destination as ReturnType<typeof createWriteStream>).destroy();
        await rm(partial, { force: true });
      }
      context.stderr.write(`export: stopped after ${count(events)} events\n`);
      throw error;
    } finally {
      destination.off('error', onError);
    }
    progress?.finish();
    if (context.json) {
      const document = {
        events,
        output,
        format: spec.format,
        columns: spec.format === 'csv' ? spec.columns : undefined,
        seconds: (Date.now() - started) / 1000,
      };
      context.stdout.write(`${JSON.stringify(document)}\n`);
    } else if (output !== undefined) {
      context.stderr.write(`export: ${count(events)} events written to ${output}\n`);
    }
    return EXIT.ok;
  },
};
