import {
  buildCountQuery,
  buildPageQuery,
  buildWindowRowsQuery,
  choosePagePlan,
} from '../../src/core/query/sql';

/** The terms array expression the GIN index is built on. */
const T = "string_to_array(terms, E'\\x1f')";
const from = Date.UTC(2026, 10, 26, 10);
const to = Date.UTC(2026, 10, 27, 10);

describe('buildPageQuery', () => {
  it('prunes by time, binds every value and orders newest first, ties by event_id and type, after the cursor', () => {
    const query = buildPageQuery(
      {
        from,
        to,
        filters: [
          { kind: 'exact', field: 'type', values: ['delivery', 'bounce'] },
          { kind: 'exact', field: 'recipient', values: ['Alice@Example.com'] },
        ],
      },
      101,
      { ts: Date.UTC(2026, 10, 27, 9), eventId: '123', type: 'delivery' },
    );
    expect(query.text).toBe(
      `SELECT ts, event_id, type, body FROM events WHERE (ts >= $1) AND (ts < $2) AND (${T} && ($3)::text[]) ` +
        `AND (${T} && ($4)::text[]) AND (ts <= $5 AND (ts < $6 OR (event_id, type) > ($7, $8))) ` +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $9',
    );
    expect(query.values).toEqual([
      new Date(from),
      new Date(to),
      ['t=delivery', 't=bounce'],
      ['r=alice@example.com'],
      new Date(Date.UTC(2026, 10, 27, 9)),
      new Date(Date.UTC(2026, 10, 27, 9)),
      '123',
      'delivery',
      101,
    ]);
  });

  it('matches single keywords through the GIN index and phrases with a check on the phrase term', () => {
    const query = buildPageQuery(
      { from, to, filters: [{ kind: 'keyword', field: 'campaign', values: ['blackfriday', 'Summer_Sale'] }] },
      10,
    );
    expect(query.text).toBe(
      'SELECT ts, event_id, type, body FROM events WHERE (ts >= $1) AND (ts < $2) AND ' +
        `((${T} @> ($3)::text[] AND EXISTS (SELECT 1 FROM unnest(${T}) AS term WHERE term LIKE $4)) OR ${T} && ($5)::text[]) ` +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $6',
    );
    expect(query.values.slice(2)).toEqual([
      ['c:summer', 'c:sale'],
      'c~% summer sale %',
      ['c:blackfriday'],
      10,
    ]);
  });

  it('escapes LIKE wildcards in phrase values and in the legacy reason substring', () => {
    const phrase = buildPageQuery(
      { from, to, filters: [{ kind: 'keyword', field: 'subject', values: ['50% off'] }] },
      1,
    );
    expect(phrase.values).toContain('j~% 50\\% off %');
    const reason = buildPageQuery({ from, to, filters: [{ kind: 'reason-substring', value: '5.1_1%' }] }, 1);
    expect(reason.text).toContain('(reason ILIKE $3)');
    expect(reason.values[2]).toBe('%5.1\\_1\\%%');
  });

  it('matches nothing for a keyword value made only of separators', () => {
    const query = buildPageQuery(
      { from, to, filters: [{ kind: 'keyword', field: 'campaign', values: ['--'] }] },
      1,
    );
    expect(query.text).toContain('AND (false)');
  });

  it('excludes non-message event types on the type column', () => {
    const query = buildCountQuery({
      from,
      to,
      filters: [{ kind: 'not-type', values: ['relay_injection', 'success'] }],
    });
    expect(query).toEqual({
      text: 'SELECT count(*)::int8 AS count FROM events WHERE (ts >= $1) AND (ts < $2) AND (type <> ALL(($3)::text[]))',
      values: [new Date(from), new Date(to), ['relay_injection', 'success']],
    });
  });
});

describe('buildPageQuery, fenced', () => {
  it('selects the matches in an OFFSET 0 subquery and sorts and limits outside it, cursor and offset included', () => {
    const query = buildPageQuery(
      { from, to, filters: [{ kind: 'keyword', field: 'campaign', values: ['zephyr'] }] },
      101,
      { ts: Date.UTC(2026, 10, 27, 9), eventId: '123', type: 'delivery' },
      200,
      'fenced',
    );
    expect(query.text).toBe(
      'SELECT ts, event_id, type, body FROM (SELECT ts, event_id, type, body FROM events WHERE (ts >= $1) AND (ts < $2) ' +
        `AND (${T} && ($3)::text[]) AND (ts <= $4 AND (ts < $5 OR (event_id, type) > ($6, $7))) OFFSET $8) AS matches ` +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $9 OFFSET $10',
    );
    expect(query.values).toEqual([
      new Date(from),
      new Date(to),
      ['c:zephyr'],
      new Date(Date.UTC(2026, 10, 27, 9)),
      new Date(Date.UTC(2026, 10, 27, 9)),
      '123',
      'delivery',
      0,
      101,
      200,
    ]);
  });
});

describe('buildWindowRowsQuery', () => {
  it('sums the statistics of the day partitions the window overlaps, each prorated, from the catalog only', () => {
    expect(buildWindowRowsQuery({ from, to })).toEqual({
      text:
        "SELECT (coalesce(sum(p.estimate * extract(epoch FROM least(p.day + interval '24 hours', $1) - greatest(p.day, $2)) / 86400), 0)::int8) AS count " +
        'FROM (SELECT greatest(c.reltuples, 0) AS estimate, ' +
        "CASE WHEN c.relname ~ '^events_[0-9]{8}$' THEN to_date(substr(c.relname, 8), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' END AS day " +
        "FROM pg_inherits AS i INNER JOIN pg_class AS c ON (c.oid = i.inhrelid) WHERE (i.inhparent = 'events'::regclass)) AS p " +
        "WHERE (p.day < $3) AND (p.day + interval '24 hours' > $4)",
      values: [new Date(to), new Date(from), new Date(to), new Date(from)],
    });
  });
});

describe('choosePagePlan', () => {
  it('fences without an estimate when the matches are few next to the rows wanted', () => {
    expect(choosePagePlan(3, 101)).toBe('fenced');
    expect(choosePagePlan(4000, 10_001)).toBe('fenced');
  });

  it('asks for the estimate of the window when the matches alone cannot decide', () => {
    expect(choosePagePlan(100, 2)).toBeUndefined();
    expect(choosePagePlan(200_000, 101)).toBeUndefined();
  });

  it('fences when reading the matches costs less than walking the window to the wanted rows', () => {
    // 1M rows in the window: an ordered walk to 101 matches among 5,000 reads ~20,000 rows.
    expect(choosePagePlan(5000, 101, 1_000_000)).toBe('fenced');
    expect(choosePagePlan(100, 2, 1_000_000)).toBe('fenced');
    expect(choosePagePlan(2000, 2, 1_000_000)).toBe('ordered');
    expect(choosePagePlan(200_000, 10_001, 1_000_000)).toBe('ordered');
  });

  it('counts deep legacy pages among the rows wanted', () => {
    expect(choosePagePlan(600_000, 501_001, 1_000_000)).toBe('ordered');
    expect(choosePagePlan(20_000, 10_001, 1_000_000)).toBe('fenced');
  });

  it('takes a window estimate below the matches (stale statistics) as the matches', () => {
    expect(choosePagePlan(10, 101, 0)).toBe('fenced');
    expect(choosePagePlan(1000, 101, 0)).toBe('ordered');
  });
});
