import { hash64, metaHash } from '../../src/core/events/codes';
import {
  buildCountQuery,
  buildPageQuery,
  buildWindowRowsQuery,
  choosePagePlan,
} from '../../src/core/query/sql';

const from = Date.UTC(2026, 10, 26, 10);
const to = Date.UTC(2026, 10, 27, 10);
const COLUMNS = 'ts, event_id, type, chunk, pos, codes, subj, reason';
/** Dictionary ids of entries, as the codes GIN index is searched with (an InitPlan: it runs once). */
const ids = (field: string, condition: string) =>
  `ARRAY(SELECT id FROM terms_dict WHERE field = ${field} AND ${condition})`;

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
      `SELECT ${COLUMNS} FROM events WHERE (ts >= $1) AND (ts < $2) ` +
        `AND (codes && ${ids('$3', 'value = ANY(($4)::text[])')}) AND (hcodes && ($5)::bigint[]) ` +
        'AND (ts <= $6 AND (ts < $7 OR (event_id, type) > ($8, $9))) ' +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $10',
    );
    expect(query.values).toEqual([
      new Date(from),
      new Date(to),
      't',
      ['delivery', 'bounce'],
      [hash64('r', 'alice@example.com')],
      new Date(Date.UTC(2026, 10, 27, 9)),
      new Date(Date.UTC(2026, 10, 27, 9)),
      '123',
      'delivery',
      101,
    ]);
  });

  it('resolves keyword values in the dictionary: entries whose keywords hold them in a row', () => {
    const query = buildPageQuery(
      { from, to, filters: [{ kind: 'keyword', field: 'campaign', values: ['blackfriday', 'Summer_Sale'] }] },
      10,
    );
    expect(query.text).toBe(
      `SELECT ${COLUMNS} FROM events WHERE (ts >= $1) AND (ts < $2) AND (codes && ${ids('$3', 'kw LIKE ANY(($4)::text[])')}) ` +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $5',
    );
    expect(query.values.slice(2)).toEqual(['c', ['% blackfriday %', '% summer sale %'], 10]);
  });

  it('finds subject keywords among the codes, and checks a phrase on the whole subject, LIKE wildcards escaped', () => {
    const query = buildPageQuery(
      { from, to, filters: [{ kind: 'keyword', field: 'subject', values: ['50% off', 'deals'] }] },
      1,
    );
    expect(query.text).toBe(
      `SELECT ${COLUMNS} FROM events WHERE (ts >= $1) AND (ts < $2) AND (codes && ${ids('$3', 'value = ANY(($4)::text[])')} ` +
        'OR (codes @> (SELECT array_agg(id) FROM terms_dict WHERE field = $5 AND value = ANY(($6)::text[]) HAVING count(*) = $7) ' +
        `AND subj = ANY(${ids('$8', `kwids @> ${ids('$9', 'value = ANY(($10)::text[])')} AND kw LIKE $11`)}))) ` +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $12',
    );
    expect(query.values.slice(2)).toEqual([
      'j',
      ['deals'],
      'j',
      ['50%', 'off'],
      2,
      'J',
      'j',
      ['50%', 'off'],
      '% 50\\% off %',
      1,
    ]);
  });

  it('matches reason keywords with a regular expression (trigram index), and escapes the legacy substring', () => {
    const keywords = buildPageQuery(
      { from, to, filters: [{ kind: 'keyword', field: 'reason', values: ['5.1.1 user', 'a+b'] }] },
      1,
    );
    expect(keywords.text).toContain('AND (reason ~* $3 OR reason ~* $4)');
    const separator = '[[:space:][:cntrl:]_-]';
    expect(keywords.values.slice(2, 4)).toEqual([
      `(^|${separator})5\\.1\\.1${separator}+user(${separator}|$)`,
      `(^|${separator})a\\+b(${separator}|$)`,
    ]);
    const reason = buildPageQuery({ from, to, filters: [{ kind: 'reason-substring', value: '5.1_1%' }] }, 1);
    expect(reason.text).toContain('(reason ILIKE $3)');
    expect(reason.values[2]).toBe('%5.1\\_1\\%%');
  });

  it('finds event ids through the unique key, tags among the codes, metadata among the hashes', () => {
    const query = buildPageQuery(
      {
        from,
        to,
        filters: [
          { kind: 'exact', field: 'eventId', values: ['e1'] },
          { kind: 'tags', values: ['vip'] },
          { kind: 'meta', key: 'user_id', values: ['u1', '5'] },
        ],
      },
      1,
    );
    expect(query.text).toBe(
      `SELECT ${COLUMNS} FROM events WHERE (ts >= $1) AND (ts < $2) ` +
        'AND (eh = ANY(($3)::bigint[]) AND event_id = ANY(($4)::text[])) ' +
        `AND (codes && ${ids('$5', 'value = ANY(($6)::text[])')}) AND (hcodes && ($7)::bigint[]) ` +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $8',
    );
    expect(query.values.slice(2)).toEqual([
      [hash64('e', 'e1')],
      ['e1'],
      'g',
      ['vip'],
      [metaHash('user_id', 'u1'), metaHash('user_id', '5')],
      1,
    ]);
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
      `SELECT ${COLUMNS} FROM (SELECT ${COLUMNS} FROM events WHERE (ts >= $1) AND (ts < $2) ` +
        `AND (codes && ${ids('$3', 'kw LIKE ANY(($4)::text[])')}) AND (ts <= $5 AND (ts < $6 OR (event_id, type) > ($7, $8))) OFFSET $9) AS matches ` +
        'ORDER BY ts DESC, event_id ASC, type ASC LIMIT $10 OFFSET $11',
    );
    expect(query.values).toEqual([
      new Date(from),
      new Date(to),
      'c',
      ['% zephyr %'],
      new Date(Date.UTC(2026, 10, 27, 9)),
      new Date(Date.UTC(2026, 10, 27, 9)),
      '123',
      'delivery',
      0,
      101,
      200,
    ]);
  });
  it('filters out the other event types after the fence, not inside it, where planning would estimate them per partition', () => {
    const query = buildPageQuery(
      {
        from,
        to,
        filters: [
          { kind: 'exact', field: 'recipient', values: ['a@example.com'] },
          { kind: 'not-type', values: ['relay_injection', 'success'] },
        ],
      },
      11,
      undefined,
      0,
      'fenced',
    );
    expect(query.text).toMatch(
      /OFFSET \$\d+\) AS matches WHERE \(type <> ALL\(\(\$\d+\)::text\[\]\)\) ORDER BY/,
    );
    expect(query.text.split('type <> ALL')).toHaveLength(2);
    expect(query.values).toContainEqual(['relay_injection', 'success']);
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

describe('subaccount filters and the primary account (0)', () => {
  const subaccounts = (values: string[]) => [{ kind: 'exact', field: 'subaccount', values } as const];
  const count = (text: string) =>
    `SELECT count(*)::int8 AS count FROM events WHERE (ts >= $1) AND (ts < $2) AND (${text})`;

  it('looks a subaccount up by its code, normalised, whatever the window', () => {
    const query = buildCountQuery({ from, to, filters: subaccounts(['0101']) });
    expect(query.text).toBe(count(`codes && ${ids('$3', 'value = ANY(($4)::text[])')}`));
    expect(query.values.slice(2)).toEqual(['s', ['101']]);
  });

  it('looks the primary account up by its code s=0 when every event of the window carries it', () => {
    const query = buildCountQuery({ from, to, filters: subaccounts(['0', '7']), primaryIndexedFrom: from });
    expect(query.text).toBe(count(`codes && ${ids('$3', 'value = ANY(($4)::text[])')}`));
    expect(query.values.slice(2)).toEqual(['s', ['0', '7']]);
  });

  it('finds it by the absence of every other subaccount’s code when the window reaches before that, or it is not known', () => {
    const expected = count(`NOT (codes && ${ids('$3', 'NOT (value = ANY(($4)::text[]))')})`);
    for (const primaryIndexedFrom of [from + 1, undefined]) {
      const query = buildCountQuery({
        from,
        to,
        filters: subaccounts(['0', '7']),
        ...(primaryIndexedFrom !== undefined ? { primaryIndexedFrom } : {}),
      });
      expect(query.text).toBe(expected);
      expect(query.values.slice(2)).toEqual(['s', ['0', '7']]);
    }
  });
});
