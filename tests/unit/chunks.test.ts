import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { EVENT_DICTIONARY_V1 } from '../../src/core/events/body-dictionary';
import { blank, decodeChunk, encodeChunk, type RowValues, restore } from '../../src/core/events/chunks';
import { fieldValues, indexOf } from '../../src/core/events/codes';
import { rowOf, unwrap } from '../../src/core/events/rows';
import { type Element, fixture } from '../helpers/fixtures';

/** The row values the loader stores for an element, as the reader gets them back. */
function rowValues(element: unknown): RowValues {
  const outcome = rowOf(element, 0);
  if (outcome.kind !== 'row') throw new Error('not an event');
  const { row } = outcome;
  const event = unwrap(element)?.event ?? {};
  return {
    ts: row.ts,
    eventId: row.eventId,
    type: row.type,
    reason: row.reason,
    fields: fieldValues(indexOf(event)),
  };
}

const samples = [
  ...fixture<Element[]>('webhook-samples-2016.json'),
  ...fixture<Element[]>('webhook-samples-2020.json'),
  ...fixture<Element[]>('webhook-real-batch-2017.json'),
];

describe('lean bodies in chunks', () => {
  it.each(samples.map((element, i) => [i, element]))(
    'sample %i comes back byte for byte, with what its row holds blanked',
    (_, element) => {
      const row = rowValues(element);
      const [mask, blanked] = blank(element, row);
      const [readMask, readBack] = decodeChunk(encodeChunk([[mask, blanked]])).item(0) as [number, unknown];
      expect(JSON.stringify(restore(readBack, readMask, row))).toBe(JSON.stringify(element));
    },
  );

  it('blanks the fields the SparkPost samples repeat from their row (so chunks get smaller)', () => {
    const delivery = samples.find((element) => unwrap(element)?.event.type === 'delivery') as Element;
    const [mask, blanked] = blank(delivery, rowValues(delivery));
    expect(mask).not.toBe(0);
    expect(JSON.stringify(blanked).length).toBeLessThan(JSON.stringify(delivery).length);
  });

  it('restores any event exactly, whatever its values (property)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom('', 'Example Campaign', 'example.com', 'A@B.COM', 'a@b.com', '010', '10', '-1'),
      fc.integer().map(String),
      fc.integer(),
      fc.boolean(),
    );
    const fields = [
      'event_id',
      'type',
      'reason',
      'timestamp',
      'subject',
      'campaign_id',
      'template_id',
      'ip_pool',
      'recipient_domain',
      'routing_domain',
      'sending_domain',
      'mailbox_provider',
      'mailbox_provider_region',
      'friendly_from',
      'sending_ip',
      'subaccount_id',
      'bounce_class',
      'ab_test_id',
      'ab_test_version',
      'rcpt_to',
      'other',
    ];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...fields), value),
        fc.constantFrom('message_event', 'track_event'),
        (event, category) => {
          const element = { msys: { [category]: { type: 'delivery', ...event } } };
          const row = rowValues(element);
          const [mask, blanked] = blank(element, row);
          const [readMask, readBack] = decodeChunk(encodeChunk([[mask, blanked]])).item(0) as [
            number,
            unknown,
          ];
          expect(JSON.stringify(restore(readBack, readMask, row))).toBe(JSON.stringify(element));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the chunk format', () => {
  it('keeps every element of a chunk at its position, whatever its strings hold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(0xffff), fc.jsonValue()), { minLength: 1, maxLength: 32 }),
        (items) => {
          const chunk = decodeChunk(encodeChunk(items as Array<[number, unknown]>));
          expect(chunk.length).toBe(items.length);
          // JSON text, not values: -0 and 0 serialise alike, as the API sends them.
          items.forEach(([mask, element], pos) => {
            expect(JSON.stringify(chunk.item(pos))).toBe(JSON.stringify([mask, element]));
          });
          expect(chunk.item(items.length)).toBeUndefined();
        },
      ),
    );
    const tricky = ['line\nbreak', 'cr\r\nlf', '\u2028\u2029', ' leading space', '0 1'];
    const chunk = decodeChunk(encodeChunk(tricky.map((text, i) => [i, { text }])));
    expect(tricky.map((_, pos) => chunk.item(pos))).toEqual(tricky.map((text, i) => [i, { text }]));
  });

  it('still reads version 2 chunks (one JSON array)', () => {
    const items: Array<[number, unknown]> = [
      [0, { msys: { message_event: { type: 'delivery' } } }],
      [5, { msys: {} }],
    ];
    const dictionary = Buffer.from(EVENT_DICTIONARY_V1, 'utf8');
    const v2 = Buffer.concat([Buffer.of(2), deflateRawSync(JSON.stringify(items), { dictionary })]);
    const chunk = decodeChunk(v2);
    expect([chunk.length, chunk.item(0), chunk.item(1)]).toEqual([2, items[0], items[1]]);
  });

  it('refuses a chunk of an unknown version', () => {
    expect(() => decodeChunk(Buffer.concat([Buffer.of(9), deflateRawSync('x')]))).toThrow(
      'unknown chunk version 9',
    );
  });
});
