import type { EventReader } from '../src/core/ports';
import { searchLegacyMessageEvents, searchMessageEvents } from '../src/core/query/search';
import type { SqlQuery } from '../src/core/query/sql';
import type { Queryable } from '../src/db/pool';
import { flatEvent, type WebhookElement } from './generate';
import type { Random } from './random';

/**
 * The query shapes of issues 4 and 10, issued exactly as the API issues them: Events API (or legacy)
 * parameters → searchMessageEvents / searchLegacyMessageEvents (src/core/query/search.ts: count first,
 * fenced pages…) → the EventReader (src/db/event-reader.ts: the page's rows, their chunks, the
 * dictionary). Every statement search.ts hands the reader is recorded, timed and EXPLAINed as issued.
 * Arguments are drawn from the data already loaded; a shape whose arguments the data cannot supply
 * (e.g. no rare value of a field) is skipped, with the reason in the report, never a crash.
 */

const DAY_MS = 86_400_000;
const STOPWORDS = new Set(['the', 'and', 'for', 'your', 'you', 'our', 'are', 'has', 'from', 'with', 'now']);
/** The page size of the "every filter, rare or absent value" shapes (issue 10). */
export const FILTER_PER_PAGE = 100;
/**
 * A value is rare when it matches at most this share of the window's events (or at most RARE_EVENTS,
 * for windows too small for a share to mean anything).
 */
const RARE_SHARE = 0.01;
const RARE_EVENTS = 10;

type Flat = Record<string, unknown>;

const scalar = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== ''
    ? value
    : typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : undefined;
/** A list parameter's value must not hold the delimiter. */
const usable = (value: string | undefined): value is string => value !== undefined && !value.includes(',');
const enc = encodeURIComponent;

function domainOf(event: Flat): string | undefined {
  const domain = scalar(event.recipient_domain);
  if (domain) return domain;
  const address = scalar(event.rcpt_to);
  const at = address?.lastIndexOf('@') ?? -1;
  return address && at >= 0 ? address.slice(at + 1) : undefined;
}

/** SparkPost keywords: split at whitespace, `_` and `-` (and `.` for domains), lower-cased. */
function keywords(text: string, domain = false): string[] {
  return text
    .toLowerCase()
    .split(domain ? /[\s_.-]+/u : /[\s_-]+/u)
    .filter((word) => word !== '');
}

/**
 * A filter parameter of the Events API, as the "every filter at per_page=100" shapes ask it: the
 * values an event offers (each as the query fragment that asks for it) and a value no event has.
 */
interface FilterParam {
  readonly name: string;
  readonly values: (event: Flat) => string[];
  readonly absent: string;
}

const one = (param: string, read: (event: Flat) => string | undefined) => (event: Flat) => {
  const value = read(event);
  return usable(value) ? [`${param}=${enc(value)}`] : [];
};
const field = (param: string, name: string) => one(param, (event) => scalar(event[name]));

/** Every filter parameter of the Events API (SPEC §3.1), plus the extensions `tags` and `meta.<key>`. */
const FILTER_PARAMS: readonly FilterParam[] = [
  { name: 'events', values: field('events', 'type'), absent: 'events=amp_initial_open' },
  { name: 'event_ids', values: field('event_ids', 'event_id'), absent: 'event_ids=99999999999999999' },
  {
    name: 'recipients',
    values: field('recipients', 'rcpt_to'),
    absent: 'recipients=nobody%40absent.example',
  },
  {
    name: 'recipient_domains',
    values: one('recipient_domains', domainOf),
    absent: 'recipient_domains=qzxabsent',
  },
  {
    name: 'from_addresses',
    values: field('from_addresses', 'friendly_from'),
    absent: 'from_addresses=nobody%40absent.example',
  },
  {
    name: 'sending_domains',
    values: field('sending_domains', 'sending_domain'),
    absent: 'sending_domains=qzxabsent',
  },
  {
    name: 'subjects',
    values: (event) => {
      const subject = scalar(event.subject);
      if (!subject) return [];
      return [...new Set(keywords(subject))].filter(usable).map((word) => `subjects=${enc(word)}`);
    },
    absent: 'subjects=qzxabsent',
  },
  { name: 'bounce_classes', values: field('bounce_classes', 'bounce_class'), absent: 'bounce_classes=99' },
  {
    name: 'reasons',
    values: (event) => {
      const reason = scalar(event.reason);
      if (!reason) return [];
      // Keywords the trigram index can narrow (three characters or more).
      const words = keywords(reason).filter((word) => /^[\p{L}\p{N}.]{3,}$/u.test(word));
      return [...new Set(words)].map((word) => `reasons=${enc(word)}`);
    },
    absent: 'reasons=qzxabsent',
  },
  { name: 'campaigns', values: field('campaigns', 'campaign_id'), absent: 'campaigns=qzxabsent' },
  { name: 'templates', values: field('templates', 'template_id'), absent: 'templates=qzxabsent' },
  { name: 'sending_ips', values: field('sending_ips', 'sending_ip'), absent: 'sending_ips=192.0.2.1' },
  { name: 'ip_pools', values: field('ip_pools', 'ip_pool'), absent: 'ip_pools=qzxabsent' },
  { name: 'subaccounts', values: field('subaccounts', 'subaccount_id'), absent: 'subaccounts=999999' },
  { name: 'messages', values: field('messages', 'message_id'), absent: 'messages=qzxabsent' },
  { name: 'transmissions', values: field('transmissions', 'transmission_id'), absent: 'transmissions=1' },
  {
    name: 'mailbox_providers',
    values: field('mailbox_providers', 'mailbox_provider'),
    absent: 'mailbox_providers=qzxabsent',
  },
  {
    name: 'mailbox_provider_regions',
    values: field('mailbox_provider_regions', 'mailbox_provider_region'),
    absent: 'mailbox_provider_regions=qzxabsent',
  },
  {
    name: 'ab_tests + ab_test_versions',
    values: (event) => {
      const test = scalar(event.ab_test_id);
      const version = scalar(event.ab_test_version);
      return usable(test) && usable(version)
        ? [`ab_tests=${enc(test)}&ab_test_versions=${enc(version)}`]
        : [];
    },
    absent: 'ab_tests=qzxabsent&ab_test_versions=1',
  },
  {
    name: 'tags',
    values: (event) =>
      Array.isArray(event.rcpt_tags)
        ? [...new Set(event.rcpt_tags.map(scalar).filter(usable))].map((tag) => `tags=${enc(tag)}`)
        : [],
    absent: 'tags=qzxabsent',
  },
  {
    name: 'meta.<key>',
    values: (event) => {
      const meta = event.rcpt_meta;
      if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return [];
      return Object.entries(meta as Flat).flatMap(([key, value]) => {
        const text = scalar(value);
        return /^[\w-]+$/.test(key) && usable(text) ? [`meta.${key}=${enc(text)}`] : [];
      });
    },
    absent: 'meta.user_id=u_qzxabsent',
  },
];

interface Recent {
  readonly ts: number;
  readonly campaign?: string;
  readonly subject?: string;
  readonly domain?: string;
  /** The filter fragments the event offers, per FILTER_PARAMS entry. */
  readonly filters: readonly (readonly string[])[];
}

/** Arguments for the queries, sampled from the events as they are loaded. */
export class QuerySamples {
  private readonly lookups: Array<{ recipient: string; message: string }> = [];
  private seen = 0;
  private readonly recent: Recent[] = [];
  private recentNext = 0;
  private readonly reasons: Array<{ ts: number; reason: string }> = [];
  private reasonNext = 0;
  private readonly counted = new Map<string, Array<Map<string, number>>>();

  constructor(
    private readonly random: Random,
    /** Fraction of events kept in the recent ring, so that it spans more than a day. */
    readonly recentRate: number,
    private readonly capacity = 20_000,
  ) {}

  add(element: WebhookElement): void {
    const event = flatEvent(element);
    const ts = Number(event.timestamp) * 1000;
    const recipient = typeof event.rcpt_to === 'string' ? event.rcpt_to : undefined;
    const message = typeof event.message_id === 'string' ? event.message_id : undefined;
    if (recipient && message) {
      this.seen += 1;
      if (this.lookups.length < this.capacity) this.lookups.push({ recipient, message });
      else {
        const slot = Math.floor(this.random.next() * this.seen);
        if (slot < this.capacity) this.lookups[slot] = { recipient, message };
      }
    }
    if (this.random.next() < this.recentRate) {
      const domain = domainOf(event);
      const entry: Recent = {
        ts,
        ...(typeof event.campaign_id === 'string' ? { campaign: event.campaign_id } : {}),
        ...(typeof event.subject === 'string' ? { subject: event.subject } : {}),
        ...(domain ? { domain } : {}),
        filters: FILTER_PARAMS.map((param) => param.values(event)),
      };
      if (this.recent.length < this.capacity) this.recent.push(entry);
      else this.recent[this.recentNext] = entry;
      this.recentNext = (this.recentNext + 1) % this.capacity;
      this.counted.clear();
    }
    if (typeof event.reason === 'string') {
      const entry = { ts, reason: event.reason };
      if (this.reasons.length < 2000) this.reasons.push(entry);
      else this.reasons[this.reasonNext] = entry;
      this.reasonNext = (this.reasonNext + 1) % 2000;
    }
  }

  lookupSamples(): ReadonlyArray<{ recipient: string; message: string }> {
    return this.lookups;
  }

  recentSince(since: number): Recent[] {
    return this.recent.filter((entry) => entry.ts >= since);
  }

  reasonsSince(since: number): string[] {
    return this.reasons.filter((entry) => entry.ts >= since).map((entry) => entry.reason);
  }

  /** How many sampled events since `since` offer each fragment of filter `index`, and how many were sampled. */
  filterCounts(index: number, since: number): { counts: Map<string, number>; sampled: number } {
    const key = String(since);
    let perParam = this.counted.get(key);
    const recent = this.recentSince(since);
    if (!perParam) {
      perParam = FILTER_PARAMS.map(() => new Map<string, number>());
      for (const entry of recent) {
        entry.filters.forEach((fragments, i) => {
          const counts = perParam?.[i] as Map<string, number>;
          for (const fragment of fragments) counts.set(fragment, (counts.get(fragment) ?? 0) + 1);
        });
      }
      this.counted.set(key, perParam);
    }
    return { counts: perParam[index] as Map<string, number>, sampled: recent.length };
  }
}

/** What the database answered the reader, by kind of statement (see ReaderDb). */
type DbKind = 'statement' | 'chunks' | 'dictionary';

/**
 * The reader's connection, timed: every statement the reader sends, classified as a page or count
 * statement of search.ts, a chunk fetch, or a dictionary read (by its text; whatever else the reader
 * sends counts as a statement). Split from the reader's own time, it tells where a page's time goes.
 */
export class ReaderDb {
  calls: Array<{ kind: DbKind; ms: number }> = [];

  constructor(private readonly db: Queryable) {}

  readonly queryable: Queryable = {
    query: async (text, values) => {
      const started = performance.now();
      try {
        return await this.db.query(text, values);
      } finally {
        const kind: DbKind = /\bFROM event_chunks\b/.test(text)
          ? 'chunks'
          : /\bFROM terms_dict WHERE id = ANY\b/.test(text)
            ? 'dictionary'
            : 'statement';
        this.calls.push({ kind, ms: performance.now() - started });
      }
    },
  };
}

export interface QueryContext {
  readonly db: Queryable;
  /** The service's reader (createEventReader over `readerDb`); each run wraps it to record what search.ts asks of it. */
  readonly reader: EventReader;
  readonly readerDb: ReaderDb;
  /** The end of every window: just after the newest loaded event. */
  readonly now: number;
  readonly random: Random;
  readonly samples: QuerySamples;
}

/** One call search.ts made on the reader: the statement, and how long the reader took to answer it. */
interface Call {
  readonly kind: 'rows' | 'count';
  readonly query: SqlQuery;
  readonly ms: number;
}

interface Prepared {
  /** What was asked, for the report (no personal data beyond generated addresses). */
  readonly args: string;
  run(reader: EventReader): Promise<{ rows: number; total: number }>;
}

/** A shape's arguments, or why the data cannot supply them. */
type Preparation = Prepared | { readonly skip: string };

export interface Shape {
  readonly name: string;
  readonly description: string;
  /** `filter`: one of the "every filter at per_page=100, rare or absent value" shapes. */
  readonly group: 'main' | 'filter';
  prepare(ctx: QueryContext): Promise<Preparation>;
}

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function apiQuery(ctx: QueryContext, rawQuery: string): Prepared {
  return {
    args: rawQuery,
    async run(reader) {
      const response = await searchMessageEvents(rawQuery, { reader, now: () => ctx.now });
      return { rows: response.results.length, total: response.total_count };
    },
  };
}

function window(ctx: QueryContext, spanMs: number): string {
  return `from=${iso(ctx.now - spanMs)}&to=${iso(ctx.now)}`;
}

function keywordsOfSubject(subject: string): string[] {
  return keywords(subject).filter((word) => /^[\p{L}\p{N}#]{3,}$/u.test(word) && !STOPWORDS.has(word));
}

function reasonFragment(random: Random, reason: string): string {
  const words = reason.split(/\s+/).filter((word) => /^[A-Za-z0-9.]{3,}$/.test(word));
  if (words.length < 2) return reason.slice(0, 12);
  const start = random.int(0, words.length - 2);
  return `${words[start]} ${words[start + 1]}`;
}

const MESSAGE_TYPES = ['delivery', 'bounce', 'open', 'click', 'delay'];

const MAIN_SHAPES: readonly Shape[] = [
  {
    name: 'recipient, 30 d',
    description: 'recipients=<address>, 30-day window',
    group: 'main',
    async prepare(ctx) {
      const lookups = ctx.samples.lookupSamples();
      if (lookups.length === 0) return { skip: 'no event with a recipient and a message id was loaded' };
      const { recipient } = ctx.random.pick(lookups);
      return apiQuery(ctx, `recipients=${enc(recipient)}&${window(ctx, 30 * DAY_MS)}`);
    },
  },
  {
    name: 'message id, 30 d',
    description: 'messages=<message_id>, 30-day window',
    group: 'main',
    async prepare(ctx) {
      const lookups = ctx.samples.lookupSamples();
      if (lookups.length === 0) return { skip: 'no event with a recipient and a message id was loaded' };
      const { message } = ctx.random.pick(lookups);
      return apiQuery(ctx, `messages=${enc(message)}&${window(ctx, 30 * DAY_MS)}`);
    },
  },
  {
    name: 'campaign + types, 24 h',
    description: 'campaigns=<campaign id>&events=<2–3 types>, 24 h, first page of 1000 + total_count',
    group: 'main',
    async prepare(ctx) {
      const recent = ctx.samples.recentSince(ctx.now - DAY_MS).filter((entry) => entry.campaign);
      if (recent.length === 0) return { skip: 'no event of the last 24 h has a campaign' };
      const campaign = ctx.random.pick(recent).campaign as string;
      const types = [...MESSAGE_TYPES].sort(() => ctx.random.next() - 0.5).slice(0, ctx.random.int(2, 3));
      return apiQuery(ctx, `campaigns=${enc(campaign)}&events=${types.join(',')}&${window(ctx, DAY_MS)}`);
    },
  },
  {
    name: 'subjects keyword, 24 h',
    description: 'subjects=<one keyword of a recent subject>, 24 h, first page + total_count',
    group: 'main',
    async prepare(ctx) {
      const subjects = ctx.samples
        .recentSince(ctx.now - DAY_MS)
        .map((entry) => keywordsOfSubject(entry.subject ?? ''))
        .filter((words) => words.length > 0);
      if (subjects.length === 0) return { skip: 'no subject of the last 24 h has a keyword' };
      const keyword = ctx.random.pick(ctx.random.pick(subjects));
      return apiQuery(ctx, `subjects=${enc(keyword)}&${window(ctx, DAY_MS)}`);
    },
  },
  {
    name: 'legacy reason substring, 24 h',
    description:
      'legacy Message Events API reason=<two words of a recent reason> (substring, trigram index), 24 h, page of 1000 + total_count',
    group: 'main',
    async prepare(ctx) {
      const reasons = ctx.samples.reasonsSince(ctx.now - DAY_MS);
      if (reasons.length === 0) return { skip: 'no event of the last 24 h has a reason' };
      const value = reasonFragment(ctx.random, ctx.random.pick(reasons));
      const rawQuery = `reason=${enc(value)}&per_page=1000&${window(ctx, DAY_MS)}`;
      return {
        args: rawQuery,
        async run(reader) {
          const response = await searchLegacyMessageEvents(rawQuery, { reader, now: () => ctx.now });
          return { rows: response.results.length, total: response.total_count };
        },
      };
    },
  },
  {
    name: 'next page via cursor',
    description:
      'links.next of a first page (recipient_domains=<keyword>, 24 h, 1000 per page; fewer when the keyword matches fewer)',
    group: 'main',
    async prepare(ctx) {
      const recent = ctx.samples.recentSince(ctx.now - DAY_MS).filter((entry) => entry.domain);
      // Keywords drawn as events carry them, so common ones come first. Pages of 1000 where the data
      // allows; smaller runs hold fewer events a day, then half the matches per page, so that a next
      // page always exists.
      for (let attempt = 0; attempt < 20 && recent.length > 0; attempt += 1) {
        const keyword = keywords(ctx.random.pick(recent).domain as string, true)[0];
        if (!keyword || !usable(keyword)) continue;
        const ask = (perPage: number) =>
          searchMessageEvents(
            `recipient_domains=${enc(keyword)}&per_page=${perPage}&${window(ctx, DAY_MS)}`,
            {
              reader: ctx.reader,
              now: () => ctx.now,
            },
          );
        let first = await ask(1000);
        if (!first.links.next && first.total_count >= 2) first = await ask(Math.floor(first.total_count / 2));
        const next = first.links.next;
        if (next) return apiQuery(ctx, next.slice(next.indexOf('?') + 1));
      }
      return { skip: 'no recipient domain keyword of the last 24 h matches two events' };
    },
  },
  {
    name: 'no filter, 24 h',
    description: "the API's default: every message event of the last 24 h, first page + total_count",
    group: 'main',
    async prepare(ctx) {
      return apiQuery(ctx, window(ctx, DAY_MS));
    },
  },
];

/** Issue 10: every filter parameter at per_page=100 with a rare value (when the data has one) and an absent one. */
const FILTER_SHAPES: readonly Shape[] = FILTER_PARAMS.flatMap((param, index): Shape[] => [
  {
    name: `${param.name}: rare`,
    description: `${param.name} with a value matching ≤ ${RARE_SHARE * 100} % of the window's events (or ≤ ${RARE_EVENTS}), 24 h, per_page=${FILTER_PER_PAGE}`,
    group: 'filter',
    async prepare(ctx) {
      const { counts, sampled } = ctx.samples.filterCounts(index, ctx.now - DAY_MS);
      if (counts.size === 0) return { skip: `no event of the last 24 h has a value for ${param.name}` };
      // Estimated matches in the window: the sampled count scaled by the sampling rate.
      const limit = Math.max(RARE_EVENTS, RARE_SHARE * (sampled / ctx.samples.recentRate));
      const rare = [...counts]
        .filter(([, n]) => n / ctx.samples.recentRate <= limit)
        .map(([fragment]) => fragment);
      if (rare.length === 0) {
        const [fragment, n] = [...counts].reduce((a, b) => (b[1] < a[1] ? b : a));
        return {
          skip: `the generated data has no rare value: the rarest (${decodeURIComponent(fragment)}) is ${((100 * n) / sampled).toFixed(1)} % of the window's events`,
        };
      }
      return apiQuery(ctx, `${ctx.random.pick(rare)}&per_page=${FILTER_PER_PAGE}&${window(ctx, DAY_MS)}`);
    },
  },
  {
    name: `${param.name}: absent`,
    description: `${param.name} with a value no event has, 24 h, per_page=${FILTER_PER_PAGE}`,
    group: 'filter',
    async prepare(ctx) {
      return apiQuery(ctx, `${param.absent}&per_page=${FILTER_PER_PAGE}&${window(ctx, DAY_MS)}`);
    },
  },
]);

export const SHAPES: readonly Shape[] = [...MAIN_SHAPES, ...FILTER_SHAPES];

export interface ShapeResult {
  readonly name: string;
  readonly description: string;
  readonly group: 'main' | 'filter';
  /** Why the shape was not measured (its arguments could not be drawn from the data). */
  readonly skipped?: string;
  readonly totalMs: number[];
  /** Time in the reader's `rows` (page statement, chunks, dictionary) per run. */
  readonly pageMs: number[];
  /** Time in the reader's `count` (count statements, the window estimate) per run; NaN when none ran. */
  readonly countMs: number[];
  /** Statements search.ts issued per run. */
  readonly statements: number[];
  /**
   * The database's answers to the reader per run (round trips included): search.ts's statements, the
   * chunk fetches, the dictionary reads. What is left of totalMs is Node (inflate, restore, shaping).
   */
  readonly statementMs: number[];
  readonly chunksMs: number[];
  readonly dictionaryMs: number[];
  readonly rows: number[];
  readonly totals: number[];
  /** EXPLAIN ANALYZE of the statements of one run, summed. */
  readonly planningMs: number[];
  readonly executionMs: number[];
  readonly exampleArgs: string;
  /** The scans of each statement of the first EXPLAINed run (see scanSummary), e.g. "count: Bitmap events_codes". */
  readonly scans: string;
  /** Whether a statement read a partition sequentially or walked the time index filtering rows. */
  readonly unindexed: boolean;
  /** EXPLAIN (ANALYZE, BUFFERS) text of one run's statements, at the last checkpoint. */
  readonly plans: string[];
}

/**
 * A reader that records every page and count statement it is given and how long it took to answer (the
 * chunk and dictionary reads of a page are the reader's own, inside `rows`). Anything else the reader
 * offers passes through.
 */
function recordingReader(reader: EventReader, calls: Call[]): EventReader {
  return {
    ...reader,
    async rows(query) {
      const started = performance.now();
      try {
        return await reader.rows(query);
      } finally {
        calls.push({ kind: 'rows', query, ms: performance.now() - started });
      }
    },
    async count(query) {
      const started = performance.now();
      try {
        return await reader.count(query);
      } finally {
        calls.push({ kind: 'count', query, ms: performance.now() - started });
      }
    },
  };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Filter?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];
/** A partition's relation or index name without its day (`events_20241130_codes_idx` → `events_codes_idx`). */
const generic = (name: string) => name.replace(/_\d{8}(?=_|$)/, '');
const onEventTables = (node: PlanNode) => /^event(s|_chunks)_\d{8}$/.test(node['Relation Name'] ?? '');
/**
 * Rows a scan read without an index narrowing them: a sequential scan's rows, or the rows an index scan
 * filtered out (a walk of the time index checking each row). Small partitions are rightly read whole.
 */
const UNINDEXED_ROWS = 10_000;
const rowsRead = (node: PlanNode) =>
  ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1);

/**
 * The scans of one statement on the events and chunk partitions, deduplicated: e.g. `Bitmap events_codes_idx`,
 * `Index Scan events_ts_idx (filter)`. `unindexed` when a scan read UNINDEXED_ROWS rows or more without an
 * index narrowing them (a sequential scan, or the time index walked with a filter: the trap of rare values).
 */
function scanSummary(plan: PlanNode): { text: string; unindexed: boolean } {
  const seen = new Set<string>();
  let unindexed = false;
  for (const node of flatten(plan)) {
    const type = node['Node Type'];
    if (type === 'Bitmap Index Scan' && /^events_\d{8}/.test(node['Index Name'] ?? '')) {
      seen.add(`Bitmap ${generic(node['Index Name'] as string)}`);
      continue;
    }
    if (!onEventTables(node) || type === 'Bitmap Heap Scan') continue;
    if (type === 'Seq Scan') {
      if (rowsRead(node) >= UNINDEXED_ROWS) unindexed = true;
      seen.add(`Seq Scan ${generic(node['Relation Name'] as string)}`);
    } else if (/^Index (Only )?Scan$/.test(type)) {
      const filtered = node.Filter !== undefined;
      if (filtered && (node['Rows Removed by Filter'] ?? 0) * (node['Actual Loops'] ?? 1) >= UNINDEXED_ROWS)
        unindexed = true;
      seen.add(`${type} ${generic(node['Index Name'] ?? '')}${filtered ? ' (filter)' : ''}`);
    } else seen.add(`${type} ${generic(node['Relation Name'] as string)}`);
  }
  return { text: [...seen].join(' + ') || 'no partition read', unindexed };
}

/**
 * Runs each shape `runs` times (after `warmup` untimed runs) with fresh arguments each time, then
 * EXPLAINs the statements of `explains` more runs. The filter shapes (there are many) may take fewer runs.
 */
export async function runShapes(
  ctx: QueryContext,
  runs: { main: number; filter: number },
  warmup: number,
  explains: number,
  withPlans: boolean,
): Promise<ShapeResult[]> {
  const results: ShapeResult[] = [];
  for (const shape of SHAPES) {
    const result = {
      name: shape.name,
      description: shape.description,
      group: shape.group,
      totalMs: [] as number[],
      pageMs: [] as number[],
      countMs: [] as number[],
      statements: [] as number[],
      statementMs: [] as number[],
      chunksMs: [] as number[],
      dictionaryMs: [] as number[],
      rows: [] as number[],
      totals: [] as number[],
      planningMs: [] as number[],
      executionMs: [] as number[],
      exampleArgs: '',
      scans: '',
      unindexed: false,
      plans: [] as string[],
    };
    const count = shape.group === 'filter' ? runs.filter : runs.main;
    let skipped: string | undefined;
    for (let i = 0; i < warmup + count && skipped === undefined; i += 1) {
      const prepared = await shape.prepare(ctx);
      if ('skip' in prepared) {
        skipped = prepared.skip;
        break;
      }
      const calls: Call[] = [];
      ctx.readerDb.calls = [];
      const started = performance.now();
      const outcome = await prepared.run(recordingReader(ctx.reader, calls));
      const ms = performance.now() - started;
      if (i < warmup) continue;
      const db = (kind: DbKind) =>
        ctx.readerDb.calls.filter((call) => call.kind === kind).reduce((total, call) => total + call.ms, 0);
      result.statementMs.push(db('statement'));
      result.chunksMs.push(db('chunks'));
      result.dictionaryMs.push(db('dictionary'));
      const time = (kind: Call['kind']) => {
        const mine = calls.filter((call) => call.kind === kind);
        return mine.length === 0 ? Number.NaN : mine.reduce((total, call) => total + call.ms, 0);
      };
      result.totalMs.push(ms);
      result.pageMs.push(time('rows'));
      result.countMs.push(time('count'));
      result.statements.push(calls.length);
      result.rows.push(outcome.rows);
      result.totals.push(outcome.total);
      result.exampleArgs = prepared.args;
    }
    for (let i = 0; i < explains && skipped === undefined; i += 1) {
      const prepared = await shape.prepare(ctx);
      if ('skip' in prepared) break;
      const calls: Call[] = [];
      await prepared.run(recordingReader(ctx.reader, calls));
      let planning = 0;
      let execution = 0;
      const scans: string[] = [];
      for (const call of calls) {
        const explained = await ctx.db.query<{ 'QUERY PLAN': Array<Record<string, unknown>> }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${call.query.text}`,
          call.query.values,
        );
        const plan = explained.rows[0]?.['QUERY PLAN']?.[0] ?? {};
        planning += Number(plan['Planning Time'] ?? Number.NaN);
        execution += Number(plan['Execution Time'] ?? Number.NaN);
        const summary = scanSummary(plan.Plan as PlanNode);
        scans.push(`${call.kind === 'rows' ? 'page' : 'count'}: ${summary.text}`);
        if (i === 0 && summary.unindexed) result.unindexed = true;
      }
      result.planningMs.push(planning);
      result.executionMs.push(execution);
      if (i === 0) result.scans = scans.join('; ');
      if (withPlans && i === 0) {
        for (const call of calls) {
          const explained = await ctx.db.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN (ANALYZE, BUFFERS) ${call.query.text}`,
            call.query.values,
          );
          result.plans.push(
            `-- ${prepared.args}\n-- ${call.kind === 'rows' ? 'page (EventReader.rows)' : 'count (EventReader.count)'}\n` +
              `${call.query.text}\n${explained.rows.map((row) => row['QUERY PLAN']).join('\n')}`,
          );
        }
      }
    }
    results.push(skipped === undefined ? result : { ...result, skipped });
  }
  return results;
}
