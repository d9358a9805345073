import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../config';
import { batchIdFromKey } from '../../core/batch-key';
import {
  planReplay,
  type ReplayReport,
  type ReplaySelection,
  replayFailed,
  runReplay,
  type TimeWindow,
} from '../../core/replay';
import { DAY_MS } from '../../core/time';
import { createEventStore } from '../../db/event-store';
import { dirBatchStore } from '../../local/dir-batch-store';
import { type Command, EXIT, UsageError } from '../command';
import { count, duration, oneLine, plural } from '../format';
import { cliLogger } from '../log';
import { createProgress } from '../progress';
import { terminalFor } from '../terminal';

const HELP = `usage: sparkpost-event-db replay [selection] [--json]

Loads stored raw batches (DATA_DIR/batches) into the database again. Loading is idempotent: an event
already stored is skipped, so a replay rebuilds what is missing (after restoring a backup, or once the
cause of a rejection is fixed) and never duplicates. Each batch's record is updated in place (counts of
this load, one more replay): batch history is never deleted. Retention still applies: events older
than RETENTION_DAYS are counted as expired, never stored again. Safe while the service runs.

selection (filters combine: a batch must match each one given; none given: --status pending):
  --all                   every stored batch
  --batch <id>            this batch (repeat for more); a batch id, or its key batches/<id>.json.gz
  --status pending        stored batches the database does not know yet
  --status rejected       batches the database could not read (rejected, with a reason)
  --from <day>, --to <day>
                          batches holding events of these UTC days, YYYY-MM-DD, both included
                          (the batches are loaded whole; those without such an event are left alone)
  --from <time>, --to <time>
                          batches received in this time window: YYYY-MM-DDTHH:MM[:SS] in UTC, or with
                          Z or an offset (+02:00); --from included, --to excluded
  (--from or --to alone leaves the other side open)

Progress goes to stderr: a bar on a terminal, a line every tenth of the batches otherwise. Then a
summary on stdout (with --json, one JSON document: see the README).

examples:
  sparkpost-event-db replay                                  # the pending batches
  sparkpost-event-db replay --all                            # everything, e.g. after restoring a backup
  sparkpost-event-db replay --status rejected
  sparkpost-event-db replay --batch 3a1f0c2e-batch-id
  sparkpost-event-db replay --from 2026-11-01 --to 2026-11-07   # a week of events
  sparkpost-event-db replay --from 2026-11-30T08:00 --to 2026-11-30T12:00 --json

exit codes: 0 every selected batch loaded; 1 a batch was rejected, failed or not found, or the
database became unavailable; 2 a usage mistake.
`;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;

type Bound = { readonly kind: 'day' | 'time'; readonly ms: number };

/** A --from/--to value: a UTC day, or a time (UTC unless it says otherwise). */
function parseBound(option: string, value: string): Bound {
  const kind = DAY.test(value) ? 'day' : TIME.test(value) ? 'time' : undefined;
  if (kind === undefined) {
    throw new UsageError(
      `--${option} takes a day (YYYY-MM-DD: event days) or a time (YYYY-MM-DDTHH:MM[:SS][Z]: arrival), not "${value}"`,
    );
  }
  const day = value.slice(0, 10);
  const ms = Date.parse(
    kind === 'day' ? `${day}T00:00Z` : /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`,
  );
  // Date.parse takes 2026-02-30 for March 2nd: the day must read back as written.
  const dayMs = Date.parse(`${day}T00:00Z`);
  if (Number.isNaN(ms) || Number.isNaN(dayMs) || new Date(dayMs).toISOString().slice(0, 10) !== day) {
    throw new UsageError(`--${option}: no such ${kind} "${value}"`);
  }
  return { kind, ms };
}

/** The selection the options describe. */
function selectionOf(
  values: Readonly<Record<string, unknown>>,
  positionals: readonly string[],
): ReplaySelection {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const all = values.all === true;
  const batches = ((values.batch as string[] | undefined) ?? []).map((value) => {
    const id = value.startsWith('batches/')
      ? batchIdFromKey(value)
      : batchIdFromKey(`batches/${value}.json.gz`);
    if (id === undefined) throw new UsageError(`--batch: not a batch id or key: "${value}"`);
    return id;
  });
  const status = values.status as string | undefined;
  if (status !== undefined && status !== 'rejected' && status !== 'pending') {
    throw new UsageError(`--status takes rejected or pending, not "${status}"`);
  }
  const from = typeof values.from === 'string' ? parseBound('from', values.from) : undefined;
  const to = typeof values.to === 'string' ? parseBound('to', values.to) : undefined;
  if (from && to && from.kind !== to.kind) {
    throw new UsageError('--from and --to must both be days (event days) or both be times (arrival times)');
  }
  const filtered = batches.length > 0 || status !== undefined || from !== undefined || to !== undefined;
  if (all && filtered) throw new UsageError('--all replays every stored batch: give it alone');

  let window: TimeWindow | undefined;
  const kind = from?.kind ?? to?.kind;
  if (kind) {
    // A `--to` day is included: its window ends where the next day starts.
    const end = to ? (to.kind === 'day' ? to.ms + DAY_MS : to.ms) : Number.POSITIVE_INFINITY;
    window = { from: from?.ms ?? Number.NEGATIVE_INFINITY, to: end };
    if (window.from >= window.to) throw new UsageError('--from must come before --to');
  }
  if (all) return { all: true };
  return {
    ...(batches.length > 0 ? { batchIds: batches } : {}),
    ...(status === 'rejected' || status === 'pending' ? { status } : {}),
    ...(window && kind === 'day' ? { eventTimes: window } : {}),
    ...(window && kind === 'time' ? { arrival: window } : {}),
    ...(!filtered ? { status: 'pending' as const } : {}),
  };
}

/** The selection as JSON (infinite bounds left out). */
function selectionJson(selection: ReplaySelection): Record<string, unknown> {
  const window = (w: TimeWindow | undefined) =>
    w && {
      ...(Number.isFinite(w.from) ? { from: new Date(w.from).toISOString() } : {}),
      ...(Number.isFinite(w.to) ? { to: new Date(w.to).toISOString() } : {}),
    };
  return {
    ...(selection.all ? { all: true } : {}),
    ...(selection.batchIds ? { batches: selection.batchIds } : {}),
    ...(selection.status ? { status: selection.status } : {}),
    ...(selection.eventTimes ? { eventTimes: window(selection.eventTimes) } : {}),
    ...(selection.arrival ? { arrival: window(selection.arrival) } : {}),
  };
}

function summary(report: ReplayReport, seconds: number): string[] {
  const { batches, events } = report;
  const rejectedEvents = Object.values(events.rejected).reduce((sum, n) => sum + n, 0);
  const lines = [
    `replayed ${plural(batches.selected, 'batch', 'batches')} in ${duration(seconds)}: ${count(batches.loaded)} loaded, ` +
      `${count(batches.rejected.length)} rejected, ${count(batches.failed.length)} failed` +
      (batches.skipped > 0 ? `, ${count(batches.skipped)} without an event of the selected days` : ''),
    `events: ${count(events.found)} found, ${count(events.inserted)} stored now, ${count(events.duplicates)} already stored, ` +
      `${count(events.expired)} expired (RETENTION_DAYS), ${count(rejectedEvents)} rejected`,
  ];
  for (const [reason, n] of Object.entries(events.rejected))
    lines.push(`  rejected events: ${oneLine(reason)} (${count(n)})`);
  for (const { batchId, reason } of batches.rejected)
    lines.push(`  rejected batch ${batchId}: ${oneLine(reason)}`);
  for (const { batchId, error } of batches.failed) lines.push(`  failed batch ${batchId}: ${oneLine(error)}`);
  for (const id of batches.missing) lines.push(`  not in the store: ${id}`);
  if (batches.notTried > 0) {
    lines.push(
      `  ${plural(batches.notTried, 'batch', 'batches')} not tried: the database became unavailable; replay again`,
    );
  }
  return lines;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'load stored raw batches again (pending, rejected, by id, event days or arrival time, or all)',
  help: HELP,
  options: {
    all: { type: 'boolean' },
    batch: { type: 'string', multiple: true },
    status: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
  async run(context) {
    const selection = selectionOf(context.values, context.positionals);
    const config = loadConfig(context.env, ['local', 'maintenance']);
    const { dataDir } = config.local;
    const db = await context.database();
    const store = dirBatchStore(dataDir);
    const events = createEventStore(db);
    const plan = await planReplay(selection, {
      store,
      events,
      storedAt: async (key) => (await stat(join(dataDir, key))).mtime,
    });
    const terminal = terminalFor(context.stderr);
    const progress = createProgress(terminal, {
      batches: plan.keys.length,
      ...(plan.events !== undefined ? { events: plan.events } : {}),
      lines: !context.json,
    });
    const started = performance.now();
    const report = await runReplay(
      plan,
      {
        store,
        events,
        logger: cliLogger(context.env, context.stderr, 'SILENT'),
        retention: { days: config.maintenance.retentionDays, now: Date.now },
      },
      (batch) => progress.batchDone(batch.events),
    );
    progress.finish();
    const seconds = (performance.now() - started) / 1000;
    if (context.json) {
      const document = {
        selection: selectionJson(selection),
        ...report,
        seconds: Math.round(seconds * 1000) / 1000,
      };
      context.stdout.write(`${JSON.stringify(document)}\n`);
    } else {
      context.stdout.write(`${summary(report, seconds).join('\n')}\n`);
    }
    return replayFailed(report) ? EXIT.failed : EXIT.ok;
  },
};
