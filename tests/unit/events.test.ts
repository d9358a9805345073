import { decodeEvent, encodeEvent } from '../../src/core/events/body-codec';
import { derivedEventId, parseEventTimestamp, rowsOfBatch, unwrap } from '../../src/core/events/rows';
import { toEventsApiEvent } from '../../src/core/query/events-api';
import { toLegacyEvent, toLegacySample } from '../../src/core/query/legacy-api';
import { type Element, fixture, inner } from '../helpers/fixtures';

describe('parseEventTimestamp', () => {
  it.each([
    [1454442600, Date.UTC(2016, 1, 2, 19, 50)],
    ['1496154610', 1496154610000],
    ['1411751722.079', 1411751722079],
    [1496154610123, 1496154610123],
    ['2016-04-18T14:25:07.000Z', Date.UTC(2016, 3, 18, 14, 25, 7)],
  ])('reads %p', (input, expected) => {
    expect(parseEventTimestamp(input)).toBe(expected);
  });

  it.each([[undefined], [''], ['soon'], [null], [{}], [-5], [Number.NaN], ['99999999999999999']])(
    'refuses %p',
    (input) => {
      expect(parseEventTimestamp(input)).toBeUndefined();
    },
  );
});

describe('rowsOfBatch', () => {
  it('makes one row per event of every sample batch, keeping type and event_id', () => {
    for (const name of [
      'webhook-samples-2016.json',
      'webhook-samples-2020.json',
      'webhook-real-batch-2017.json',
    ]) {
      const batch = fixture<Element[]>(name);
      const { rows, skipped, timestampFallbacks } = rowsOfBatch(batch, 0);
      expect(rows).toHaveLength(batch.length);
      expect(skipped).toBe(0);
      expect(timestampFallbacks).toBe(0);
      rows.forEach((row, i) => {
        const event = inner(batch[i] as Element);
        expect(row.type).toBe(event.type);
        expect(row.ts).toBe(parseEventTimestamp(event.timestamp));
        if (event.event_id) expect(row.eventId).toBe(event.event_id);
      });
    }
  });

  it('gives events without event_id a deterministic id from their content', () => {
    const [sms] = fixture<Element[]>('webhook-samples-2016.json').filter(
      (e) => inner(e).type === 'sms_status',
    );
    const copy = JSON.parse(JSON.stringify(sms));
    expect(derivedEventId(sms)).toBe(derivedEventId(copy));
    expect(derivedEventId(sms)).not.toBe(derivedEventId({ ...copy, cust: { id: '1' } }));
    expect(rowsOfBatch([sms], 0).rows[0]?.eventId).toBe(derivedEventId(sms));
  });

  it('skips elements that hold no event and counts them', () => {
    const { rows, skipped } = rowsOfBatch(
      [{ msys: {} }, 'text', null, [], { msys: { message_event: 'x' } }],
      0,
    );
    expect(rows).toHaveLength(0);
    expect(skipped).toBe(5);
  });

  it('keeps an event with an unreadable timestamp at the batch arrival time', () => {
    const { rows, timestampFallbacks } = rowsOfBatch(
      [{ msys: { message_event: { type: 'delivery', event_id: '1' } } }],
      1234000,
    );
    expect(rows[0]?.ts).toBe(1234000);
    expect(timestampFallbacks).toBe(1);
  });

  it('names the type after the category when the event has none, and strips NUL from text columns', () => {
    const [row] = rowsOfBatch(
      [{ msys: { relay_event: { event_id: 'a\u0000b', timestamp: 1, reason: 'x\u0000y' } } }],
      0,
    ).rows;
    expect(row?.type).toBe('relay_event');
    expect(row?.eventId).toBe('ab');
    expect(row?.reason).toBe('xy');
  });
});

describe('event bodies', () => {
  it('round-trip every sample element exactly, including sibling keys such as cust', () => {
    const elements = [
      ...fixture<Element[]>('webhook-samples-2016.json'),
      ...fixture<Element[]>('webhook-samples-2020.json'),
      {
        msys: { message_event: { type: 'bounce', event_id: '1', text: 'nul \u0000 and ünïcödé ✓' } },
        cust: { id: '00000' },
      },
    ];
    for (const element of elements) expect(decodeEvent(encodeEvent(element))).toEqual(element);
  });

  it('compress a typical event to well under half its JSON size', () => {
    const real = fixture<Element[]>('webhook-real-batch-2017.json');
    const json = real.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
    const stored = real.reduce((sum, e) => sum + encodeEvent(e).length, 0);
    expect(stored).toBeLessThan(json / 2);
  });

  it('refuse an unknown format version', () => {
    expect(() => decodeEvent(Buffer.from([9, 1, 2]))).toThrow(/version 9/);
  });
});

describe('toEventsApiEvent', () => {
  it('prints times as ISO UTC, account ids as integers and coordinates as numbers, drops tdate', () => {
    const event = {
      type: 'open',
      timestamp: '1496154625',
      injection_time: '2016-04-18T14:25:07Z',
      customer_id: '1521',
      subaccount_id: '0',
      tdate: '2017-04-26T21:37:32.000Z',
      geo_ip: { country: 'US', latitude: '37.4192', longitude: -122.0574, zip: '94043' },
      msg_size: '2903',
    };
    expect(toEventsApiEvent(1496154625000, event)).toEqual({
      type: 'open',
      timestamp: '2017-05-30T14:30:25.000Z',
      injection_time: '2016-04-18T14:25:07.000Z',
      customer_id: 1521,
      subaccount_id: 0,
      geo_ip: { country: 'US', latitude: 37.4192, longitude: -122.0574, zip: 94043 },
      msg_size: '2903',
    });
  });

  it('adds recipient_domain and sending_domain, derived from rcpt_to and friendly_from, to an email event the webhook sent without them (SparkPost’s Events API documentation lists both on every email type)', () => {
    const out = toEventsApiEvent(0, {
      type: 'bounce',
      rcpt_to: 'alice@mail.example.org',
      friendly_from: 'news@Info.Shop.io',
      subaccount_id: '7',
    });
    expect(out).toMatchObject({ recipient_domain: 'mail.example.org', sending_domain: 'Info.Shop.io' });
  });

  it('keeps recipient_domain and sending_domain as the webhook sent them', () => {
    const out = toEventsApiEvent(0, {
      type: 'delivery',
      rcpt_to: 'alice@mail.example.org',
      recipient_domain: 'example.org',
      friendly_from: 'news@info.shop.io',
      sending_domain: 'shop.io',
    });
    expect(out).toMatchObject({ recipient_domain: 'example.org', sending_domain: 'shop.io' });
  });

  it('derives no domain for sms_status (not an email event) nor from an address without one', () => {
    const sms = toEventsApiEvent(0, { type: 'sms_status', rcpt_to: 'x@y.z', friendly_from: 'a@b.c' });
    expect(sms).not.toHaveProperty('recipient_domain');
    expect(sms).not.toHaveProperty('sending_domain');
    const bare = toEventsApiEvent(0, { type: 'delivery', rcpt_to: 'nobody', friendly_from: 'sender@' });
    expect(bare).not.toHaveProperty('recipient_domain');
    expect(bare).not.toHaveProperty('sending_domain');
  });

  it('gives a primary-account event subaccount_id 0, an integer, as SparkPost’s 2022 Events API response shows (python-sparkpost PR 3104a17)', () => {
    expect(toEventsApiEvent(0, { type: 'open' }).subaccount_id).toBe(0);
    expect(toEventsApiEvent(0, { type: 'amp_unsubscribe' }).subaccount_id).toBe(0);
    expect(toEventsApiEvent(0, { type: 'open', subaccount_id: '101' }).subaccount_id).toBe(101);
  });

  it('gives ingest events no subaccount_id when they have none, as SparkPost’s ingest search results show (2web2ui ingest fixture)', () => {
    expect(toEventsApiEvent(0, { type: 'success', batch_id: 'b' })).not.toHaveProperty('subaccount_id');
  });

  it('leaves the stored event untouched (bodies stay what SparkPost sent)', () => {
    const event = { type: 'bounce', rcpt_to: 'a@b.c', friendly_from: 'x@y.z' };
    const copy = structuredClone(event);
    toEventsApiEvent(0, event);
    expect(event).toEqual(copy);
  });
});

describe('toLegacyEvent: what real Message Events responses did (support-docs events-api-integration.md)', () => {
  it('returns arrays in rcpt_meta as maps keyed by index, {"0":"foo","1":"bar"}, as Message Events did (the Events API returns arrays)', () => {
    const out = toLegacyEvent(0, {
      type: 'click',
      rcpt_meta: { example: ['foo', 'bar'], plan: 'gold', nested: { list: [1, ['x']] } },
    });
    expect(out.rcpt_meta).toEqual({
      example: { '0': 'foo', '1': 'bar' },
      plan: 'gold',
      nested: { list: { '0': 1, '1': { '0': 'x' } } },
    });
    expect(toEventsApiEvent(0, { type: 'click', rcpt_meta: { example: ['foo', 'bar'] } }).rcpt_meta).toEqual({
      example: ['foo', 'bar'],
    });
  });

  it('returns geo_ip latitude, longitude and zip as strings, as the 2017 responses had them ("40.8499", gosparkpost test/json)', () => {
    const out = toLegacyEvent(0, {
      type: 'open',
      geo_ip: { country: 'US', city: 'Bronx', latitude: 40.8499, longitude: -73.8769, zip: 10451 },
    });
    expect(out.geo_ip).toEqual({
      country: 'US',
      city: 'Bronx',
      latitude: '40.8499',
      longitude: '-73.8769',
      zip: '10451',
    });
    const kept = toLegacyEvent(0, { type: 'open', geo_ip: { latitude: '40.8499', longitude: '-73.8769' } });
    expect(kept.geo_ip).toEqual({ latitude: '40.8499', longitude: '-73.8769' });
  });

  it('leaves the stored event untouched, and the 2018 documentation samples as SparkPost documented them (numbers)', () => {
    const event = { type: 'click', rcpt_meta: { a: ['x'] }, geo_ip: { latitude: 39.1749 } };
    const copy = structuredClone(event);
    toLegacyEvent(0, event);
    expect(event).toEqual(copy);
    expect(toLegacySample(0, event).geo_ip).toEqual({ latitude: 39.1749 });
  });
});

describe('unwrap', () => {
  it('finds the event under whatever category key SparkPost uses', () => {
    expect(unwrap({ msys: { future_event: { type: 'x' } } })).toEqual({
      category: 'future_event',
      event: { type: 'x' },
    });
    expect(unwrap({ msys: {} })).toBeUndefined();
  });
});
