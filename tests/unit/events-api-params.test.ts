import { decodeCursor, encodeCursor } from '../../src/core/query/cursor';
import { eventsApiResponse, parseEventsApiQuery } from '../../src/core/query/events-api';
import { legacyResponse, parseLegacyQuery } from '../../src/core/query/legacy-api';
import { linkQuery } from '../../src/core/query/links';
import { AppError } from '../../src/errors';

const now = Date.UTC(2026, 10, 27, 12, 0, 30);

describe('parseEventsApiQuery', () => {
  it('defaults to the last 24 hours up to one minute ago, 1000 per page, message events only', () => {
    const spec = parseEventsApiQuery('', now);
    expect(spec.to).toBe(now - 60_000);
    expect(spec.from).toBe(now - 24 * 3_600_000);
    expect(spec.perPage).toBe(1000);
    expect(spec.cursor).toBeUndefined();
    expect(spec.filters).toEqual([
      { kind: 'not-type', values: expect.arrayContaining(['relay_injection', 'success', 'error']) },
    ]);
  });

  it('takes in events= a type the service has stored, as it returns it by default (SparkPost adds event types)', () => {
    expect(() => parseEventsApiQuery('events=amp_unsubscribe', now)).toThrow('Invalid events parameter');
    const spec = parseEventsApiQuery('events=delivery,amp_unsubscribe', now, ['amp_unsubscribe']);
    expect(spec.filters).toEqual([{ kind: 'exact', field: 'type', values: ['delivery', 'amp_unsubscribe'] }]);
    expect(parseLegacyQuery('events=amp_unsubscribe', now, ['amp_unsubscribe']).filters[0]).toEqual({
      kind: 'exact',
      field: 'type',
      values: ['amp_unsubscribe'],
    });
  });

  it.each(['relay_delivery', 'ab_test_completed', 'success', 'error'])(
    'refuses events=%s with a 400 that says where it is served: relay and A/B-test events are webhook-only at SparkPost, ingest events have GET /api/v1/events/ingest',
    (type) => {
      for (const parse of [parseEventsApiQuery, parseLegacyQuery]) {
        let error: unknown;
        try {
          // Even when stored: being stored does not make them message events.
          parse(`events=${type}`, now, [type]);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).statusCode).toBe(400);
        expect((error as AppError).description).toContain('/api/v1/events/ingest');
      }
    },
  );

  it.each([
    ['Events API (events.apib L120-123)', (query: string) => parseEventsApiQuery(query, now)],
    ['legacy API (message-events.apib L47-50)', (query: string) => parseLegacyQuery(query, now)],
  ])('%s: with only to given, from defaults to 24 hours ago, as SparkPost documents it', (_api, parse) => {
    const spec = parse('to=2026-11-27T09:00');
    expect(spec.to).toBe(Date.UTC(2026, 10, 27, 9, 0));
    expect(spec.from).toBe(now - 24 * 3_600_000);
  });

  it('refuses a to older than the default from (24 hours ago) with a 400 that says why', () => {
    expect(() => parseEventsApiQuery('to=2026-11-20T00:00', now)).toThrow(
      expect.objectContaining({
        statusCode: 400,
        message: 'Invalid time range',
        description: expect.stringContaining('24 hours ago'),
      }),
    );
  });

  it('reads both documented time formats as UTC', () => {
    const spec = parseEventsApiQuery('from=2026-11-01T08:30&to=2026-11-02T09:15:20Z', now);
    expect(spec.from).toBe(Date.UTC(2026, 10, 1, 8, 30));
    expect(spec.to).toBe(Date.UTC(2026, 10, 2, 9, 15, 20));
  });

  it('reads years 0–99 as years 0–99, not 1900–1999', () => {
    const spec = parseEventsApiQuery('from=0000-01-01T00:00&to=0099-12-31T23:59:59Z', now);
    expect(new Date(spec.from).toISOString()).toBe('0000-01-01T00:00:00.000Z');
    expect(new Date(spec.to).toISOString()).toBe('0099-12-31T23:59:59.000Z');
  });

  it('splits lists on the delimiter and ignores unknown parameters', () => {
    const spec = parseEventsApiQuery(
      'events=bounce|delay&delimiter=|&recipients=a@x.com|b@x.com&whatever=1',
      now,
    );
    expect(spec.filters).toEqual([
      { kind: 'exact', field: 'type', values: ['bounce', 'delay'] },
      { kind: 'exact', field: 'recipient', values: ['a@x.com', 'b@x.com'] },
    ]);
  });

  it.each([
    ['per_page=0'],
    ['per_page=10001'],
    ['per_page=1.5'],
    ['from=2026-13-01T00:00'],
    ['from=2026-02-30T00:00'],
    ['to=2026-11-01'],
    ['from=2026-11-02T00:00&to=2026-11-01T00:00'],
    ['events=delivery,nope'],
    ['cursor=%%%'],
    ['bounce_classes=10,abc'],
    ['subaccounts=x'],
    ['ab_test_versions=1'],
    ['from=0000-01-01T00:00+00:01'],
    ['to=9999-12-31T23:59-00:01'],
  ])('refuses %s with a 400', (query) => {
    expect(() => parseEventsApiQuery(query, now)).toThrow(AppError);
    expect(() => parseEventsApiQuery(query, now)).toThrow(
      expect.objectContaining({ statusCode: 400, expose: true }),
    );
  });
});

describe("SparkPost's 4096-character URI limit (events.apib L13)", () => {
  it('refuses a longer URI with 404 and code 1103, "invalid query string" in SparkPost\'s extended-code table', () => {
    expect(() => parseEventsApiQuery(`recipients=${'a'.repeat(4100)}`, now)).toThrow(
      expect.objectContaining({ statusCode: 404, code: '1103', message: 'URI too long' }),
    );
  });

  it('takes a URI of exactly 4096 characters', () => {
    const path = '/api/v1/events/message?recipients=';
    expect(() => parseEventsApiQuery(`recipients=${'a'.repeat(4096 - path.length)}`, now)).not.toThrow();
  });
});

describe('cursor', () => {
  const window = { from: 1580000000000, to: 1581000000000 };
  const raw = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

  it('round-trips the keyset position and accepts "initial"', () => {
    const cursor = { ts: 1580413348000, eventId: '82189480471779730', type: 'delivery' };
    expect(decodeCursor(encodeCursor(cursor), window)).toEqual(cursor);
    expect(decodeCursor('initial', window)).toBeUndefined();
  });

  it('accepts a cursor at either end of the window', () => {
    for (const ts of [window.from, window.to]) {
      expect(decodeCursor(raw([ts, 'e', 'delivery']), window)).toEqual({
        ts,
        eventId: 'e',
        type: 'delivery',
      });
    }
  });

  it.each([
    ['the largest safe integer as its time', [9007199254740991, 'a', 'b']],
    ['the smallest safe integer as its time', [-9007199254740991, 'a', 'b']],
    ['a time just past what Date can hold', [8640000000000001, 'a', 'b']],
    ['a time in the year -5000', [-219919104000000, 'a', 'b']],
    ['a time just before the window', [window.from - 1, 'a', 'b']],
    ['a time just after the window', [window.to + 1, 'a', 'b']],
    ['a NUL in its event id', [1580413348000, 'a\u0000b', 'open']],
    ['a NUL in its type', [1580413348000, 'a', 'op\u0000en']],
    ['a fractional time', [1580413348000.5, 'a', 'b']],
    ['four elements', [1580413348000, 'a', 'b', 'c']],
  ])('refuses a cursor with %s with a 400', (_what, value) => {
    expect(() => decodeCursor(raw(value), window)).toThrow(
      expect.objectContaining({ statusCode: 400, message: 'Invalid cursor parameter' }),
    );
  });

  it('refuses, through the Events API, a cursor from a different window', () => {
    const cursor = encodeCursor({ ts: Date.UTC(2026, 10, 20), eventId: 'e', type: 'delivery' });
    expect(() => parseEventsApiQuery(`cursor=${encodeURIComponent(cursor)}`, now)).toThrow(
      expect.objectContaining({ statusCode: 400 }),
    );
  });
});

describe('parseLegacyQuery', () => {
  it('takes any page whose end stays a safe integer, and refuses one beyond with a 400', () => {
    expect(parseLegacyQuery('page=900719925474&per_page=10000', now).page).toBe(900719925474);
    expect(parseLegacyQuery('page=9007199254740990&per_page=1', now).page).toBe(9007199254740990);
    for (const query of [
      'page=900719925475&per_page=10000',
      'page=1000000000000000&per_page=10000',
      'page=9007199254740991&per_page=10000',
      'page=9007199254740991&per_page=1',
    ]) {
      expect(() => parseLegacyQuery(query, now)).toThrow(
        expect.objectContaining({ statusCode: 400, message: 'Invalid page parameter' }),
      );
    }
  });

  it('drops NULs from reason, as the stored reasons lose them', () => {
    expect(parseLegacyQuery('reason=a%00b', now).filters).toContainEqual({
      kind: 'reason-substring',
      value: 'ab',
    });
    expect(parseLegacyQuery('reason=%00', now).filters.map((filter) => filter.kind)).not.toContain(
      'reason-substring',
    );
  });
});

describe('eventsApiResponse', () => {
  const row = (i: number) => ({
    ts: Date.UTC(2026, 10, 27, 10, 0, 60 - i),
    eventId: `e${i}`,
    type: 'delivery',
    element: { msys: { message_event: { type: 'delivery', event_id: `e${i}`, customer_id: '7' } } },
  });

  it('links to the next page with the cursor, the explicit window and every filter', () => {
    const spec = parseEventsApiQuery(
      'events=delivery&per_page=2&from=2026-11-27T00:00&to=2026-11-27T11:00&recipients=a@x.com',
      now,
    );
    const page = eventsApiResponse(spec, [row(1), row(2), row(3)], 10);
    expect(page.results).toHaveLength(2);
    expect(page.results[0]).toEqual({
      type: 'delivery',
      event_id: 'e1',
      customer_id: 7,
      subaccount_id: 0,
      timestamp: '2026-11-27T10:00:59.000Z',
    });
    expect(page.total_count).toBe(10);
    const next = new URL(`http://host${page.links.next}`);
    expect(next.pathname).toBe('/api/v1/events/message');
    expect(Object.fromEntries(next.searchParams)).toEqual({
      cursor: encodeCursor({ ts: row(2).ts, eventId: 'e2', type: 'delivery' }),
      per_page: '2',
      from: '2026-11-27T00:00:00Z',
      to: '2026-11-27T11:00:00Z',
      events: 'delivery',
      recipients: 'a@x.com',
    });
  });

  it('encodes link values as SparkPost’s links show them: %20 for a space, `:` `=` `,` `@` `/` kept, every other reserved character escaped', () => {
    expect(
      linkQuery([
        ['subjects', 'Summer deals'],
        ['recipients', 'a+b@x.com,c@y.com'],
        ['cursor', 'WzE3/MjA+MCJd=='],
        ['reasons', '100% & #1?'],
        ['meta.k y', 'é'],
      ]),
    ).toBe(
      'subjects=Summer%20deals&recipients=a%2Bb@x.com,c@y.com&cursor=WzE3/MjA%2BMCJd==' +
        '&reasons=100%25%20%26%20%231%3F&meta.k%20y=%C3%A9',
    );
  });

  it('legacy page links use the same encoding: a space as %20 (form decoders and Go’s url.ParseQuery read both)', () => {
    const spec = parseLegacyQuery(
      'from=2026-11-27T00:00&to=2026-11-27T11:00&per_page=1&campaign_ids=Summer Sale&timezone=America/New_York',
      now,
    );
    const [next] = legacyResponse(spec, [row(1)], 3).links;
    expect(next?.href).toBe(
      '/api/v1/message-events?page=2&per_page=1&from=2026-11-27T00:00&to=2026-11-27T11:00&timezone=America/New_York&campaign_ids=Summer%20Sale',
    );
  });

  it('links.next keeps every Events API filter of events.apib, and the extensions, with spaces as %20 (java-sparkpost re-encodes the link)', () => {
    const filters: Array<[string, string]> = [
      ['events', 'delivery;bounce'],
      ['event_ids', 'e 1'],
      ['recipients', 'a+b@x.com'],
      ['recipient_domains', 'x.com'],
      ['from_addresses', 'news@shop.io'],
      ['sending_domains', 'shop.io'],
      ['subjects', 'Summer deals'],
      ['bounce_classes', '10;20'],
      ['reasons', '5.4.7 Example'],
      ['campaigns', 'summer sale'],
      ['templates', 'welcome mail'],
      ['sending_ips', '10.0.0.1'],
      ['ip_pools', 'default pool'],
      ['subaccounts', '0;7'],
      ['messages', 'm1'],
      ['transmissions', 't1'],
      ['mailbox_providers', 'Verizon Media Group'],
      ['mailbox_provider_regions', 'Europe - UK'],
      ['ab_tests', 'password reset'],
      ['ab_test_versions', '1'],
      ['tags', 'a b'],
      ['meta.plan', 'gold card'],
      ['delimiter', ';'],
    ];
    const query = filters.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
    const spec = parseEventsApiQuery(`${query}&per_page=1`, now);
    const next = eventsApiResponse(spec, [row(1), row(2)], 2).links.next as string;
    expect(next).not.toMatch(/[+ ]/);
    const linked = new URLSearchParams(next.split('?')[1]);
    for (const [name, value] of filters) expect([name, linked.get(name)]).toEqual([name, value]);
  });

  it('legacy links keep every Message Events filter, reason and the extensions, with spaces as %20', () => {
    const filters: Array<[string, string]> = [
      ['events', 'delivery,bounce'],
      ['recipients', 'a+b@x.com'],
      ['friendly_froms', 'news@shop.io'],
      ['bounce_classes', '10'],
      ['subaccounts', '7'],
      ['transmission_ids', 't1'],
      ['campaign_ids', 'Summer Sale'],
      ['template_ids', 'welcome mail'],
      ['ab_test_ids', 'password reset'],
      ['message_ids', 'm1'],
      ['reason', 'MAIL REFUSED'],
      ['tags', 'a b'],
      ['meta.plan', 'gold card'],
    ];
    const query = filters.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
    const spec = parseLegacyQuery(`${query}&per_page=1&from=2026-11-27T00:00&to=2026-11-27T11:00`, now);
    const [next] = legacyResponse(spec, [row(1)], 3).links;
    expect(next?.href).not.toMatch(/[+ ]/);
    const linked = new URLSearchParams(next?.href.split('?')[1]);
    for (const [name, value] of filters) expect([name, linked.get(name)]).toEqual([name, value]);
  });

  it('has no next link on the last page', () => {
    const spec = parseEventsApiQuery('per_page=5', now);
    expect(eventsApiResponse(spec, [row(1)], 1).links).toEqual({});
  });
});
