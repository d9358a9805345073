import {
  exactValue,
  hash64,
  indexOf,
  keywordsOf,
  MAX_META_PAIRS,
  metaHash,
  metaPairs,
} from '../../src/core/events/codes';
import { type Element, fixture, inner } from '../helpers/fixtures';

describe('keywordsOf', () => {
  it('splits text at spaces, hyphens and underscores, lower-cased', () => {
    expect(keywordsOf('Black-Friday_specials 2025', 'text')).toEqual(['black', 'friday', 'specials', '2025']);
  });

  it('keeps dots inside text keywords, as SparkPost does for reasons', () => {
    expect(keywordsOf('5.4.7 Example text', 'text')).toEqual(['5.4.7', 'example', 'text']);
  });

  it('also splits domains at dots', () => {
    expect(keywordsOf('mail.Yahoo.com', 'domain')).toEqual(['mail', 'yahoo', 'com']);
  });

  it('treats control characters as separators', () => {
    expect(keywordsOf('550 5.1.1\r\nNo such user', 'text')).toEqual(['550', '5.1.1', 'no', 'such', 'user']);
  });

  it('keeps a keyword to its first 100 characters, on both sides of a lookup', () => {
    expect(keywordsOf(`${'k'.repeat(150)} short`, 'text')).toEqual(['k'.repeat(100), 'short']);
  });
});

describe('exactValue', () => {
  it('lower-cases addresses and canonicalises integers', () => {
    expect(exactValue(' Recipient@Example.COM ', 'lower')).toBe('recipient@example.com');
    expect(exactValue('010', 'integer')).toBe('10');
    expect(exactValue('ten', 'integer')).toBeUndefined();
    expect(exactValue('Example Campaign', 'as-is')).toBe('Example Campaign');
  });
});

describe('indexOf', () => {
  it('indexes the 2016 bounce sample: a code per coded value, a hash per high-cardinality value', () => {
    const bounce = inner(fixture<Element[]>('webhook-samples-2016.json')[0] as Element);
    const index = indexOf(bounce);
    const codes = index.codes.map((key) => `${key.field}=${key.value}${key.kw ? ` [${key.kw}]` : ''}`).sort();
    expect(codes).toEqual(
      [
        't=bounce',
        'rd=example.com [ example com ]',
        'f=sender@example.com',
        'sd=example.com [ example com ]',
        'b=1',
        'c=Example Campaign Name [ example campaign name ]',
        'tp=templ-1234 [ templ 1234 ]',
        's=101',
        'j=summer',
        'j=deals',
        'j=are',
        'j=here!',
        'g=male',
        'g=US',
      ].sort(),
    );
    expect(index.subject).toMatchObject({
      field: 'J',
      value: 'Summer deals are here!',
      kw: ' summer deals are here! ',
    });
    expect([...index.hashes].sort()).toEqual(
      [
        hash64('r', 'recipient@example.com'),
        hash64('m', bounce.message_id as string),
        hash64('x', '65832150921904138'),
        metaHash('customKey', 'customValue'),
      ].sort(),
    );
    expect(index.metaKeys).toEqual(['customKey']);
  });

  it('derives recipient and sending domains when the event does not carry them', () => {
    const index = indexOf({
      type: 'delivery',
      rcpt_to: 'a@mail.yahoo.com',
      friendly_from: 'news@info.example.com',
    });
    expect(index.codes).toEqual(
      expect.arrayContaining([
        { field: 'rd', value: 'mail.yahoo.com', kw: ' mail yahoo com ' },
        { field: 'sd', value: 'info.example.com', kw: ' info example com ' },
      ]),
    );
  });

  it('ignores empty and non-scalar values', () => {
    expect(
      indexOf({ type: 'open', rcpt_to: '', campaign_id: { nested: true }, subaccount_id: 0 }).codes,
    ).toEqual([
      { field: 't', value: 'open' },
      { field: 's', value: '0' },
    ]);
  });

  it.each([[undefined], [0], ['0'], ['00'], ['abc'], [''], [{ id: 5 }]])(
    'indexes an event with subaccount_id %p as the primary account, subaccount 0',
    (subaccount_id) => {
      const index = indexOf({ type: 'delivery', ...(subaccount_id === undefined ? {} : { subaccount_id }) });
      expect(index.codes.filter((key) => key.field === 's')).toEqual([{ field: 's', value: '0' }]);
      expect(index.subaccount).toBe('0');
    },
  );

  it('indexes a subaccount by its integer', () => {
    const index = indexOf({ type: 'delivery', subaccount_id: '0101' });
    expect(index.codes.filter((key) => key.field === 's')).toEqual([{ field: 's', value: '101' }]);
    expect(index.subaccount).toBe('101');
  });

  it('stores a value longer than an index entry may be by its hash, and looks it up the same way', () => {
    const long = 'c'.repeat(100_000);
    const [campaign] = indexOf({ campaign_id: long }).codes;
    expect(campaign?.value).toMatch(/^#[0-9a-f]{64}$/);
    expect(campaign?.kw).toBe(` ${'c'.repeat(100)} `);
  });
});

describe('metaPairs (what meta.<key> filters match)', () => {
  it('takes scalars as their JSON text, array members under their key, nested keys dotted', () => {
    expect(
      metaPairs({
        user_id: 'u1',
        score: 5,
        vip: true,
        none: null,
        list: ['a', 2, ['nested']],
        a: { b: { c: 'deep' } },
      }),
    ).toEqual([
      ['user_id', 'u1'],
      ['score', '5'],
      ['vip', 'true'],
      ['list', 'a'],
      ['list', '2'],
      ['a.b.c', 'deep'],
    ]);
  });

  it('cleans control characters to spaces in key paths as in values', () => {
    expect(metaPairs({ 'a\u0000b': 'x\u0001y', c: { 'd\ne': 1 } })).toEqual([
      ['a b', 'x y'],
      ['c.d e', '1'],
    ]);
  });

  it('lists a key longer than a dictionary entry may be by its hash, and indexes its pairs whole', () => {
    const key = 'k'.repeat(100_000);
    const index = indexOf({ rcpt_meta: { [key]: 1 } });
    expect(index.metaKeys).toEqual([expect.stringMatching(/^#[0-9a-f]{64}$/)]);
    expect(index.hashes).toContain(metaHash(key, '1'));
  });

  it(`indexes at most ${MAX_META_PAIRS} pairs of an event`, () => {
    const meta = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i]));
    expect(metaPairs(meta)).toHaveLength(MAX_META_PAIRS);
  });
});
