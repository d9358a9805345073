import { buildCountQuery, buildPageQuery } from '../../src/core/query/sql';

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
