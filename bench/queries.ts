import type { EventReader } from '../src/core/ports';
import { parseEventsApiQuery } from '../src/core/query/events-api';
import { searchMessageEvents } from '../src/core/query/search';
import { buildCountQuery, buildPageQuery, type EventsSelection, type SqlQuery } from '../src/core/query/sql';
import type { Queryable } from '../src/db/pool';
import { flatEvent, type WebhookElement } from './generate';
import { median } from './measure';
import type { Random } from './random';

/**
 * The query shapes of issue 4, issued through the real query code: Events API parameters →
 * parseEventsApiQuery → buildPageQuery/buildCountQuery → createEventReader (searchMessageEvents runs
 * exactly that, page and count concurrently), and the legacy `reason` substring through its Filter.
 * Arguments are drawn from the data already loaded.
 */

const DAY_MS = 86_400_000;
const STOPWORDS = new Set(['the', 'and', 'for', 'your', 'you', 'our', 'are', 'has', 'from', 'with', 'now']);

interface Recent {
  readonly ts: number;
  readonly campaign?: string;
  readonly subject?: string;
  readonly domain?: string;
}

/** Arguments for the queries, sampled from the events as they are loaded. */
export class QuerySamples {
  private readonly lookups: Array<{ recipient: string; message: string }> = [];
  private seen = 0;
  private readonly recent: Recent[] = [];
  private recentNext = 0;
  private readonly reasons: Array<{ ts: number; reason: string }> = [];
  private reasonNext = 0;

  constructor(
    private readonly random: Random,
    /** Fraction of events kept in the recent ring, so that it spans more than a day. */
    private readonly recentRate: number,
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
      const entry: Recent = {
        ts,
        ...(typeof event.campaign_id === 'string' ? { campaign: event.campaign_id } : {}),
        ...(typeof event.subject === 'string' ? { subject: event.subject } : {}),
        ...(typeof event.recipient_domain === 'string' ? { domain: event.recipient_domain } : {}),
      };
      if (this.recent.length < this.capacity) this.recent.push(entry);
      else this.recent[this.recentNext] = entry;
      this.recentNext = (this.recentNext + 1) % this.capacity;
    }
    if (typeof event.reason === 'string') {
      const entry = { ts, reason: event.reason };
      if (this.reasons.length < 2000) this.reasons.push(entry);
      else this.reasons[this.reasonNext] = entry;
      this.reasonNext = (this.reasonNext + 1) % 2000;
    }
  }

  lookup(random: Random): { recipient: string; message: string } {
    return random.pick(this.lookups);
  }

  recentSince(since: number): Recent[] {
    return this.recent.filter((entry) => entry.ts >= since);
  }

  reasonsSince(since: number): string[] {
    return this.reasons.filter((entry) => entry.ts >= since).map((entry) => entry.reason);
  }
}

export interface QueryContext {
  readonly db: Queryable;
  readonly reader: EventReader;
  /** Durations of the reader's last page and count queries (they run concurrently). */
  readonly last: { page: number; count: number };
  /** The end of every window: just after the newest loaded event. */
  readonly now: number;
  readonly random: Random;
  readonly samples: QuerySamples;
}

interface Prepared {
  /** What was asked, for the report (no personal data beyond generated addresses). */
  readonly args: string;
  run(): Promise<{ rows: number; total: number }>;
  /** The statements the run issues, for EXPLAIN. */
  statements(): SqlQuery[];
}

export interface Shape {
  readonly name: string;
  readonly description: string;
  prepare(ctx: QueryContext): Promise<Prepared>;
}

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function apiQuery(ctx: QueryContext, rawQuery: string): Prepared {
  return {
    args: rawQuery,
    async run() {
      const response = await searchMessageEvents(rawQuery, { reader: ctx.reader, now: () => ctx.now });
      return { rows: response.results.length, total: response.total_count };
    },
    statements() {
      const spec = parseEventsApiQuery(rawQuery, ctx.now);
      return [buildPageQuery(spec, spec.perPage + 1, spec.cursor), buildCountQuery(spec)];
    },
  };
}

function window(ctx: QueryContext, spanMs: number): string {
  return `from=${iso(ctx.now - spanMs)}&to=${iso(ctx.now)}`;
}

function keywordsOfSubject(subject: string): string[] {
  return subject
    .toLowerCase()
    .split(/[\s_-]+/u)
    .filter((word) => /^[\p{L}\p{N}#]{3,}$/u.test(word) && !STOPWORDS.has(word));
}

function reasonFragment(random: Random, reason: string): string {
  const words = reason.split(/\s+/).filter((word) => /^[A-Za-z0-9.]{3,}$/.test(word));
  if (words.length < 2) return reason.slice(0, 12);
  const start = random.int(0, words.length - 2);
  return `${words[start]} ${words[start + 1]}`;
}

const MESSAGE_TYPES = ['delivery', 'bounce', 'open', 'click', 'delay'];

export const SHAPES: readonly Shape[] = [
  {
    name: 'recipient, 30 d',
    description: 'recipients=<address>, 30-day window',
    async prepare(ctx) {
      const { recipient } = ctx.samples.lookup(ctx.random);
      return apiQuery(ctx, `recipients=${encodeURIComponent(recipient)}&${window(ctx, 30 * DAY_MS)}`);
    },
  },
  {
    name: 'message id, 30 d',
    description: 'messages=<message_id>, 30-day window',
    async prepare(ctx) {
      const { message } = ctx.samples.lookup(ctx.random);
      return apiQuery(ctx, `messages=${encodeURIComponent(message)}&${window(ctx, 30 * DAY_MS)}`);
    },
  },
  {
    name: 'campaign + types, 24 h',
    description: 'campaigns=<campaign id>&events=<2–3 types>, 24 h, first page of 1000 + total_count',
    async prepare(ctx) {
      const recent = ctx.samples.recentSince(ctx.now - DAY_MS).filter((entry) => entry.campaign);
      const campaign = ctx.random.pick(recent).campaign as string;
      const types = [...MESSAGE_TYPES].sort(() => ctx.random.next() - 0.5).slice(0, ctx.random.int(2, 3));
      return apiQuery(
        ctx,
        `campaigns=${encodeURIComponent(campaign)}&events=${types.join(',')}&${window(ctx, DAY_MS)}`,
      );
    },
  },
  {
    name: 'subjects keyword, 24 h',
    description: 'subjects=<one keyword of a recent subject>, 24 h, first page + total_count',
    async prepare(ctx) {
      const recent = ctx.samples.recentSince(ctx.now - DAY_MS).filter((entry) => entry.subject);
      let keywords: string[] = [];
      while (keywords.length === 0) keywords = keywordsOfSubject(ctx.random.pick(recent).subject as string);
      return apiQuery(
        ctx,
        `subjects=${encodeURIComponent(ctx.random.pick(keywords))}&${window(ctx, DAY_MS)}`,
      );
    },
  },
  {
    name: 'legacy reason substring, 24 h',
    description: "Filter 'reason-substring' (ILIKE %text%), 24 h, page of 1000 + count",
    async prepare(ctx) {
      const reasons = ctx.samples.reasonsSince(ctx.now - DAY_MS);
      const value = reasonFragment(ctx.random, ctx.random.pick(reasons));
      const selection: EventsSelection = {
        from: ctx.now - DAY_MS,
        to: ctx.now,
        filters: [{ kind: 'reason-substring', value }],
      };
      const page = buildPageQuery(selection, 1001);
      const count = buildCountQuery(selection);
      return {
        args: `reason~"${value}"`,
        async run() {
          const [rows, total] = await Promise.all([ctx.reader.rows(page), ctx.reader.count(count)]);
          return { rows: Math.min(rows.length, 1000), total };
        },
        statements: () => [page, count],
      };
    },
  },
  {
    name: 'next page via cursor',
    description: 'links.next of a first page (recipient_domains=<keyword>, 24 h, 1000 per page)',
    async prepare(ctx) {
      const recent = ctx.samples.recentSince(ctx.now - DAY_MS).filter((entry) => entry.domain);
      // 1000 per page; small smoke runs may hold fewer events a day, then smaller pages.
      for (let attempt = 0; attempt < 15; attempt += 1) {
        const perPage = attempt < 5 ? 1000 : attempt < 10 ? 100 : 10;
        const domain = ctx.random.pick(recent).domain as string;
        const keyword = domain.split(/[._-]/)[0] as string;
        const query = `recipient_domains=${keyword}&per_page=${perPage}&${window(ctx, DAY_MS)}`;
        const first = await searchMessageEvents(query, {
          reader: ctx.reader,
          now: () => ctx.now,
        });
        const next = first.links.next;
        if (next) return apiQuery(ctx, next.slice(next.indexOf('?') + 1));
      }
      throw new Error('no first page with a next page found');
    },
  },
  {
    name: 'no filter, 24 h',
    description: "the API's default: every message event of the last 24 h, first page + total_count",
    async prepare(ctx) {
      return apiQuery(ctx, window(ctx, DAY_MS));
    },
  },
];

export interface ShapeResult {
  readonly name: string;
  readonly description: string;
  readonly totalMs: number[];
  readonly pageMs: number[];
  readonly countMs: number[];
  readonly rows: number[];
  readonly totals: number[];
  readonly planningMs: number[];
  readonly executionMs: number[];
  readonly exampleArgs: string;
  plans: string[];
}

/** Runs each shape `runs` times (after `warmup` untimed runs) with fresh arguments each time. */
export async function runShapes(
  ctx: QueryContext,
  runs: number,
  warmup: number,
  explains: number,
  withPlans: boolean,
): Promise<ShapeResult[]> {
  const results: ShapeResult[] = [];
  for (const shape of SHAPES) {
    const result: ShapeResult = {
      name: shape.name,
      description: shape.description,
      totalMs: [],
      pageMs: [],
      countMs: [],
      rows: [],
      totals: [],
      planningMs: [],
      executionMs: [],
      exampleArgs: '',
      plans: [],
    };
    let example = '';
    for (let i = 0; i < warmup + runs; i += 1) {
      const prepared = await shape.prepare(ctx);
      ctx.last.page = Number.NaN;
      ctx.last.count = Number.NaN;
      const started = performance.now();
      const outcome = await prepared.run();
      const ms = performance.now() - started;
      if (i < warmup) continue;
      result.totalMs.push(ms);
      result.pageMs.push(ctx.last.page);
      result.countMs.push(ctx.last.count);
      result.rows.push(outcome.rows);
      result.totals.push(outcome.total);
      example = prepared.args;
    }
    for (let i = 0; i < explains; i += 1) {
      const prepared = await shape.prepare(ctx);
      let planning = 0;
      let execution = 0;
      for (const statement of prepared.statements()) {
        const explained = await ctx.db.query<{ 'QUERY PLAN': Array<Record<string, number>> }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`,
          statement.values,
        );
        const plan = explained.rows[0]?.['QUERY PLAN']?.[0] ?? {};
        planning += plan['Planning Time'] ?? Number.NaN;
        execution += plan['Execution Time'] ?? Number.NaN;
      }
      result.planningMs.push(planning);
      result.executionMs.push(execution);
      if (withPlans && i === 0) {
        for (const statement of prepared.statements()) {
          const explained = await ctx.db.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`,
            statement.values,
          );
          result.plans.push(
            `-- ${prepared.args}\n${statement.text}\n${explained.rows.map((row) => row['QUERY PLAN']).join('\n')}`,
          );
        }
      }
    }
    (result as { exampleArgs: string }).exampleArgs = example;
    results.push(result);
  }
  return results;
}

export function summariseRows(result: ShapeResult): string {
  return `${median(result.rows)} rows, total ${median(result.totals)}`;
}
