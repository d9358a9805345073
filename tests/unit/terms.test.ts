import { exactValue, keywordsOf, termsOf } from '../../src/core/events/terms';
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
});

describe('exactValue', () => {
  it('lower-cases addresses and canonicalises integers', () => {
    expect(exactValue(' Recipient@Example.COM ', 'lower')).toBe('recipient@example.com');
    expect(exactValue('010', 'integer')).toBe('10');
    expect(exactValue('ten', 'integer')).toBeUndefined();
    expect(exactValue('Example Campaign', 'as-is')).toBe('Example Campaign');
  });
});

describe('termsOf', () => {
  it('indexes the 2016 bounce sample under every field the query APIs filter on', () => {
    const bounce = inner(fixture<Element[]>('webhook-samples-2016.json')[0] as Element);
    expect(termsOf(bounce).sort()).toEqual(
      [
        't=bounce',
        'e=92356927693813856',
        'r=recipient@example.com',
        'rd:example',
        'rd:com',
        'rd~ example com ',
        'f=sender@example.com',
        'sd:example',
        'sd:com',
        'sd~ example com ',
        'j:summer',
        'j:deals',
        'j:are',
        'j:here!',
        'j~ summer deals are here! ',
        'b=1',
        'rs:mail',
        'rs:refused',
        'rs:ip',
        'rs:(a.b.c.d)',
        'rs:is',
        'rs:in',
        'rs:black',
        'rs:list',
        'rs~ mail refused ip (a.b.c.d) is in black list ',
        'c=Example Campaign Name',
        'c:example',
        'c:campaign',
        'c:name',
        'c~ example campaign name ',
        'tp=templ-1234',
        'tp:templ',
        'tp:1234',
        'tp~ templ 1234 ',
        's=101',
        'm=0e0d94b7-9085-4e3c-ab30-e3f2cd9c273e',
        'x=65832150921904138',
      ].sort(),
    );
  });

  it('derives recipient and sending domains when the event does not carry them', () => {
    const terms = termsOf({
      type: 'delivery',
      rcpt_to: 'a@mail.yahoo.com',
      friendly_from: 'news@info.example.com',
    });
    expect(terms).toEqual(
      expect.arrayContaining(['rd:yahoo', 'rd~ mail yahoo com ', 'sd:info', 'sd~ info example com ']),
    );
  });

  it('ignores empty and non-scalar values', () => {
    expect(termsOf({ type: 'open', rcpt_to: '', campaign_id: { nested: true }, subaccount_id: 0 })).toEqual([
      't=open',
      's=0',
    ]);
  });
});
