import squelModule from 'squel';
import type { Cursor } from './cursor';
import { escapeLike, exactTerms, type Filter, keywordLookup } from './filters';

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
}

type Expression = ReturnType<typeof squel.expr>;

/**
 * The terms of a row as an array: exactly the expression the GIN index is built on (sql/), so that the
 * planner can use the index.
 */
const TERMS = "string_to_array(terms, E'\\x1f')";

/**
 * Adds the time window (so the planner prunes to the day partitions in range) and every filter.
 * Columns are fixed names; values are always bound parameters. squel expands arrays into lists, so an
 * array meant as one `text[]` parameter is wrapped once more.
 */
function applySelection<Q extends { where(condition: string | Expression, ...values: unknown[]): Q }>(
  query: Q,
  selection: EventsSelection,
): Q {
  let q = query.where('ts >= ?', new Date(selection.from)).where('ts < ?', new Date(selection.to));
  for (const filter of selection.filters) q = q.where(filterCondition(filter));
  return q;
}

function filterCondition(filter: Filter): Expression {
  const expr = squel.expr();
  switch (filter.kind) {
    case 'exact':
      return expr.and(`${TERMS} && ?::text[]`, [exactTerms(filter.field, filter.values)]);
    case 'not-type':
      // On the type column, not the terms: this default filter runs on every row of unfiltered and
      // broad queries, and splitting each row's terms string for it is costly.
      return expr.and('type <> ALL(?::text[])', [[...filter.values]]);
    case 'reason-substring':
      return expr.and('reason ILIKE ?', `%${escapeLike(filter.value)}%`);
    case 'keyword': {
      const single: string[] = [];
      const alternatives = squel.expr();
      let any = false;
      for (const value of filter.values) {
        const lookup = keywordLookup(filter.field, value);
        if (lookup.kind === 'term') single.push(lookup.term);
        if (lookup.kind === 'phrase') {
          alternatives.or(
            `(${TERMS} @> ?::text[] AND EXISTS (SELECT 1 FROM unnest(${TERMS}) AS term WHERE term LIKE ?))`,
            [[...lookup.terms]],
            lookup.pattern,
          );
          any = true;
        }
      }
      if (single.length > 0) {
        alternatives.or(`${TERMS} && ?::text[]`, [single]);
        any = true;
      }
      // Values made only of separators hold no keyword and match nothing.
      return any ? alternatives : expr.and('false');
    }
  }
}

/** One page, newest first (ties by event_id, type), after the cursor: `limit` rows (ask for one more to learn if a next page exists). */
export function buildPageQuery(
  selection: EventsSelection,
  limit: number,
  after?: Cursor,
  offset = 0,
): SqlQuery {
  let q = applySelection(
    squel.select().from('events').field('ts').field('event_id').field('type').field('body'),
    selection,
  );
  if (after) {
    // Rows after the cursor in the order below. The range on ts is the index condition; the rest only
    // skips the rows of the cursor's own timestamp already returned.
    const ts = new Date(after.ts);
    q = q.where('ts <= ? AND (ts < ? OR (event_id, type) > (?, ?))', ts, ts, after.eventId, after.type);
  }
  q = q.order('ts', false).order('event_id', true).order('type', true).limit(limit);
  if (offset > 0) q = q.offset(offset);
  const { text, values } = q.toParam();
  return { text, values };
}

/** The exact number of events matching the selection. */
export function buildCountQuery(selection: EventsSelection): SqlQuery {
  const { text, values } = applySelection(
    squel.select().from('events').field('count(*)::int8', 'count'),
    selection,
  ).toParam();
  return { text, values };
}
