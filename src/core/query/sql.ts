import squelModule from 'squel';
import {
  boundedValue,
  cleanValue,
  INDEX_FIELDS,
  PRIMARY_SUBACCOUNT,
  SUBJECT_FIELD,
  SUBJECT_KEYWORD_FIELD,
} from '../events/codes';
import type { Cursor } from './cursor';
import {
  type ExactLookup,
  escapeLike,
  exactLookup,
  type Filter,
  type KeywordLookup,
  keywordLookup,
  metaLookup,
  tagLookup,
} from './filters';

const squel = squelModule.useFlavour('postgres');

/** A statement ready for `pg`: text with $n placeholders, every value bound. */
export interface SqlQuery {
  readonly text: string;
  readonly values: unknown[];
}

/** What both query APIs ask of the database. */
export interface EventsSelection {
  readonly from: number;
  readonly to: number;
  readonly filters: readonly Filter[];
  /**
   * Since when (epoch ms) every stored event carries its subaccount's code, the primary account's
   * included (sql/005_api_keys.sql); undefined when not known, taken as "never". Only filters that ask
   * for the primary account need it.
   */
  readonly primaryIndexedFrom?: number;
}

type Expression = ReturnType<typeof squel.expr>;

/**
 * Adds the time window (so the planner prunes to the day partitions in range) and every filter.
 * Columns are fixed names; values are always bound parameters. squel expands arrays into lists, so an
 * array meant as one array parameter is wrapped once more.
 */
function applySelection<Q extends { where(condition: string | Expression, ...values: unknown[]): Q }>(
  query: Q,
  selection: EventsSelection,
  only: (filter: Filter) => boolean = () => true,
): Q {
  let q = query.where('ts >= ?', new Date(selection.from)).where('ts < ?', new Date(selection.to));
  for (const filter of selection.filters) if (only(filter)) q = q.where(filterCondition(filter, selection));
  return q;
}

/** The default filter (every message event type): see buildPageQuery for where the fenced plan puts it. */
const isNotType = (filter: Filter) => filter.kind === 'not-type';

function isPrimaryAccountFilter(filter: Filter): boolean {
  if (filter.kind !== 'exact' || filter.field !== 'subaccount') return false;
  const lookup = exactLookup('subaccount', filter.values);
  return lookup.kind === 'codes' && lookup.values.includes(PRIMARY_SUBACCOUNT);
}

/** Whether a filter of the selection asks for the primary account's events (`subaccounts=0`, a scope of 0). */
export function includesPrimaryAccount(selection: Pick<EventsSelection, 'filters'>): boolean {
  return selection.filters.some(isPrimaryAccountFilter);
}

/**
 * Subaccounts, the primary account (0) among them. Events loaded by this version carry the code `s=0`
 * when they belong to the primary account, so a window that starts at or after `primaryIndexedFrom` is
 * searched through the codes index like any other field. Events stored before do not carry it: for a
 * window reaching before, the events of the wanted subaccounts are those with no code of any other
 * subaccount — the same answer for every event, new or old, but found by reading the window's rows.
 */
function subaccountCondition(values: readonly string[], selection: EventsSelection): Expression {
  const lookup = exactLookup('subaccount', values) as Extract<ExactLookup, { kind: 'codes' }>;
  const indexed = selection.from >= (selection.primaryIndexedFrom ?? Number.POSITIVE_INFINITY);
  if (!lookup.values.includes(PRIMARY_SUBACCOUNT) || indexed) return exactCondition(lookup);
  return squel
    .expr()
    .and(`NOT (codes && ${DICTIONARY_IDS}NOT (value = ANY(?::text[]))))`, INDEX_FIELDS.subaccount.key, [
      [...lookup.values],
    ]);
}

/**
 * The dictionary ids of entries, as an array the `codes` GIN index is searched with. The subquery is an
 * InitPlan: it runs once, and the index condition uses its result.
 */
const DICTIONARY_IDS = 'ARRAY(SELECT id FROM terms_dict WHERE field = ? AND ';

function exactCondition(lookup: ExactLookup): Expression {
  const expr = squel.expr();
  switch (lookup.kind) {
    case 'hashes':
      return expr.and('hcodes && ?::bigint[]', [[...lookup.hashes]]);
    case 'codes':
      return expr.and(`codes && ${DICTIONARY_IDS}value = ANY(?::text[]))`, lookup.field, [
        [...lookup.values],
      ]);
    case 'event-ids':
      // The unique key (eh, type, ts) finds them; the text check makes a hash collision harmless.
      return expr.and(
        'eh = ANY(?::bigint[]) AND event_id = ANY(?::text[])',
        [[...lookup.hashes]],
        [[...lookup.ids]],
      );
  }
}

function keywordCondition(lookup: KeywordLookup): Expression {
  const expr = squel.expr();
  switch (lookup.kind) {
    case 'dictionary':
      if (lookup.patterns.length === 0) return expr.and('false');
      return expr.and(`codes && ${DICTIONARY_IDS}kw LIKE ANY(?::text[]))`, lookup.field, [
        [...lookup.patterns],
      ]);
    case 'reason': {
      if (lookup.patterns.length === 0) return expr.and('false');
      for (const pattern of lookup.patterns) expr.or('reason ~* ?', pattern);
      return expr;
    }
    case 'subject': {
      if (lookup.values.length === 0) return expr.and('false');
      const single = lookup.values
        .filter((value) => value.keywords.length === 1)
        .map((value) => value.keywords[0]);
      if (single.length > 0) {
        expr.or(`codes && ${DICTIONARY_IDS}value = ANY(?::text[]))`, SUBJECT_KEYWORD_FIELD, [single]);
      }
      for (const { keywords, pattern } of lookup.values.filter((value) => value.keywords.length > 1)) {
        // Every keyword among the codes (the index finds those rows; NULL, so no match, when one of the
        // keywords is unknown), then a whole subject whose keywords hold them in a row.
        expr.or(
          '(codes @> (SELECT array_agg(id) FROM terms_dict WHERE field = ? AND value = ANY(?::text[]) HAVING count(*) = ?)' +
            ` AND subj = ANY(${DICTIONARY_IDS}kwids @> ARRAY(SELECT id FROM terms_dict WHERE field = ? AND value = ANY(?::text[])) AND kw LIKE ?)))`,
          SUBJECT_KEYWORD_FIELD,
          [[...keywords]],
          keywords.length,
          SUBJECT_FIELD,
          SUBJECT_KEYWORD_FIELD,
          [[...keywords]],
          pattern,
        );
      }
      return expr;
    }
  }
}

function filterCondition(filter: Filter, selection: EventsSelection): Expression {
  switch (filter.kind) {
    case 'exact':
      if (filter.field === 'subaccount') return subaccountCondition(filter.values, selection);
      return exactCondition(exactLookup(filter.field, filter.values));
    case 'keyword':
      return keywordCondition(keywordLookup(filter.field, filter.values));
    case 'tags':
      return exactCondition(tagLookup(filter.values));
    case 'meta':
      return exactCondition(metaLookup(filter.key, filter.values));
    case 'not-type':
      // On the type column: this default filter runs on every row of unfiltered and broad queries.
      return squel.expr().and('type <> ALL(?::text[])', [[...filter.values]]);
    case 'reason-substring':
      return squel.expr().and('reason ILIKE ?', `%${escapeLike(filter.value)}%`);
  }
}

/**
 * How a page is read. `ordered`: walk the time index newest first and stop after `limit` matches — the
 * fastest plan when matches are common, but for rare ones it reads (and filters) most of the window.
 * `fenced`: fetch every match through the codes, hashes (or trigram) index, then sort the few found; an
 * `OFFSET 0` subquery keeps the planner from flattening it back into the ordered walk.
 */
export type PagePlan = 'ordered' | 'fenced';

/**
 * What fetching one match through the index costs, relative to reading one row of the ordered walk.
 * Measured on 1M events of ~1 KB in two day partitions (2 cores, warm cache): the walk ~2.6 µs a row
 * (pages in order); a match through the GIN index ~2–3 µs for one keyword, ~7 µs for a phrase (pages
 * at random, the phrase check).
 */
const FENCE_ROW_COST = 2;

/**
 * Chooses the page plan from the exact number of matches. The ordered walk reads about
 * `windowRows × wanted / matches` rows to find the `wanted` newest (`limit + offset`); the fenced plan
 * reads the matches and sorts them. So: fenced when matches² × FENCE_ROW_COST < wanted × windowRows.
 * `windowRows` is an estimate (buildWindowRowsQuery), taken as at least `matches`. Without it, the
 * choice is made when the matches alone decide it (few next to `wanted`), and undefined means that the
 * estimate is needed.
 */
export function choosePagePlan(matches: number, wanted: number): PagePlan | undefined;
export function choosePagePlan(matches: number, wanted: number, windowRows: number): PagePlan;
export function choosePagePlan(matches: number, wanted: number, windowRows?: number): PagePlan | undefined {
  const rows = Math.max(windowRows ?? 0, matches);
  if (matches * matches * FENCE_ROW_COST < wanted * rows) return 'fenced';
  return windowRows === undefined ? undefined : 'ordered';
}

/** The columns the reader (db/event-reader.ts) turns back into events. */
const ROW_FIELDS = ['ts', 'event_id', 'type', 'chunk', 'pos', 'codes', 'subj', 'reason'] as const;

/**
 * One page, newest first (ties by event_id, type), after the cursor or `offset` rows in: `limit` rows (ask
 * for one more to learn if a next page exists), read the `plan` way.
 */
export function buildPageQuery(
  selection: EventsSelection,
  limit: number,
  after?: Cursor,
  offset = 0,
  plan: PagePlan = 'ordered',
): SqlQuery {
  let q = newestFirst(selection, after, plan).limit(limit);
  if (offset > 0) q = q.offset(offset);
  const { text, values } = q.toParam();
  return { text, values };
}

/**
 * Every event of the selection, in the pages' order and with the pages' columns and conditions, without
 * a limit: the export reads it through a server-side cursor. Without a LIMIT the planner weighs the
 * whole result, so it chooses between walking the time index and sorting the matches on its own.
 */
export function buildExportQuery(selection: EventsSelection): SqlQuery {
  const { text, values } = newestFirst(selection, undefined, 'ordered').toParam();
  return { text, values };
}

/** The selection's rows after the cursor, newest first (ties by event_id, type), read the `plan` way. */
function newestFirst(selection: EventsSelection, after: Cursor | undefined, plan: PagePlan) {
  let matches = squel.select().from('events');
  for (const field of ROW_FIELDS) matches = matches.field(field);
  // The fenced plan filters out the other event types after the fence, on the few rows it found: inside,
  // the planner would estimate `type <> ALL` of nine constants on every partition, half the planning
  // time of a 30-day lookup (planning 2.4 → 1.2 ms, measured on 1M events in 30 partitions).
  const outside = plan === 'fenced' ? isNotType : () => false;
  matches = applySelection(matches, selection, (filter) => !outside(filter));
  if (after) {
    // Rows after the cursor in the order below. The range on ts is the index condition; the rest only
    // skips the rows of the cursor's own timestamp already returned.
    const ts = new Date(after.ts);
    matches = matches.where(
      'ts <= ? AND (ts < ? OR (event_id, type) > (?, ?))',
      ts,
      ts,
      after.eventId,
      after.type,
    );
  }
  let q = matches;
  if (plan === 'fenced') {
    q = squel.select().from(matches.offset(0), 'matches');
    for (const field of ROW_FIELDS) q = q.field(field);
    for (const filter of selection.filters)
      if (outside(filter)) q = q.where(filterCondition(filter, selection));
  }
  return q.order('ts', false).order('event_id', true).order('type', true);
}

/** The exact number of events matching the selection. */
export function buildCountQuery(selection: EventsSelection): SqlQuery {
  const { text, values } = applySelection(
    squel.select().from('events').field('count(*)::int8', 'count'),
    selection,
  ).toParam();
  return { text, values };
}

/**
 * The planner's estimate of how many events the window holds, from the statistics of the day partitions
 * it overlaps (pg_class.reltuples, kept by ANALYZE and autovacuum), each prorated by the share of its day
 * the window covers: a catalog read, no table is touched. Named `count` so EventReader.count reads it.
 * Partitions are `events_YYYYMMDD` (sql/001_schema.sql); a never-analysed one counts as empty.
 */
export function buildWindowRowsQuery(selection: Pick<EventsSelection, 'from' | 'to'>): SqlQuery {
  const from = new Date(selection.from);
  const to = new Date(selection.to);
  const partitions = squel
    .select()
    .from('pg_inherits', 'i')
    .join('pg_class', 'c', 'c.oid = i.inhrelid')
    .field('greatest(c.reltuples, 0)', 'estimate')
    // Guarded, so that a table named otherwise (none is, today) cannot make to_date fail.
    .field(
      "CASE WHEN c.relname ~ '^events_[0-9]{8}$' " +
        "THEN to_date(substr(c.relname, 8), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' END",
      'day',
    )
    .where("i.inhparent = 'events'::regclass");
  // 24 hours, not 1 day: timestamptz + '1 day' follows the session time zone's DST changes.
  const { text, values } = squel
    .select()
    .from(partitions, 'p')
    .field(
      squel.str(
        "coalesce(sum(p.estimate * extract(epoch FROM least(p.day + interval '24 hours', ?) - greatest(p.day, ?)) / 86400), 0)::int8",
        to,
        from,
      ),
      'count',
    )
    .where('p.day < ?', to)
    .where("p.day + interval '24 hours' > ?", from)
    .toParam();
  return { text, values };
}

/**
 * Which of these event types the store has seen: the type codes' dictionary entries (codes.ts `t`),
 * looked up as the loader stores them (control characters cleaned: text cannot hold NUL; bounded).
 */
export function buildStoredTypesQuery(types: readonly string[]): SqlQuery {
  const { text, values } = squel
    .select()
    .field('value')
    .from('terms_dict')
    .where('field = ?', INDEX_FIELDS.type.key)
    .where('value = ANY(?::text[])', [types.map((type) => boundedValue(cleanValue(type)))])
    .toParam();
  return { text, values };
}
