import { buildMetadataKeysQuery, parseMetadataKeysQuery } from '../../src/core/query/metadata-keys';

describe('the metadata keys query', () => {
  it('lists every key of the dictionary by default, in key order', () => {
    expect(buildMetadataKeysQuery(parseMetadataKeysQuery(''))).toEqual({
      text: "SELECT value AS key, to_char(last_seen, 'YYYY-MM-DD') AS last_seen FROM terms_dict WHERE (field = $1) ORDER BY value ASC",
      values: ['mk'],
    });
  });

  it('keeps the keys last seen on a day the window overlaps, each bound optional', () => {
    const spec = parseMetadataKeysQuery('from=2026-11-01T00:00:00Z&to=2026-12-01T06:00');
    expect(spec).toEqual({ from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1, 6) });
    expect(buildMetadataKeysQuery(spec)).toEqual({
      text:
        "SELECT value AS key, to_char(last_seen, 'YYYY-MM-DD') AS last_seen FROM terms_dict WHERE (field = $1) " +
        "AND ((last_seen::timestamp AT TIME ZONE 'UTC') < $2) AND (((last_seen + 1)::timestamp AT TIME ZONE 'UTC') > $3) " +
        'ORDER BY value ASC',
      values: ['mk', new Date(Date.UTC(2026, 11, 1, 6)), new Date(Date.UTC(2026, 10, 1))],
    });
    expect(parseMetadataKeysQuery('to=2026-12-01T00:00')).toEqual({ to: Date.UTC(2026, 11, 1) });
  });

  it('lists one subaccount’s keys (0: the primary account’s) from their own entries, a range of the index', () => {
    expect(buildMetadataKeysQuery(parseMetadataKeysQuery('to=2026-12-01T00:00'), 101)).toEqual({
      text:
        "SELECT (substr(value, $1)) AS key, to_char(last_seen, 'YYYY-MM-DD') AS last_seen FROM terms_dict " +
        "WHERE (field = $2) AND (value >= $3 AND value < $4) AND ((last_seen::timestamp AT TIME ZONE 'UTC') < $5) " +
        'ORDER BY value ASC',
      values: [5, 'mks', '101:', '101;', new Date(Date.UTC(2026, 11, 1))],
    });
    expect(buildMetadataKeysQuery(parseMetadataKeysQuery(''), 0).values).toEqual([3, 'mks', '0:', '0;']);
  });

  it('refuses a window that ends before it starts, and a malformed time', () => {
    expect(() => parseMetadataKeysQuery('from=2026-12-02T00:00&to=2026-12-01T00:00')).toThrow(
      'Invalid time range',
    );
    expect(() => parseMetadataKeysQuery('from=2026-12-01')).toThrow('Invalid from parameter');
  });
});
