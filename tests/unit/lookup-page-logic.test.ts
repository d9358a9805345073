import {
  chronological,
  describeBounceClass,
  formatGap,
  formatTime,
  messageOutcome,
} from '../../src/page/describe';
import { searchUrl, searchWindow } from '../../src/page/messages';

/** The lookup page's pure parts: what it says about events, and the Events API queries it makes. */

const at = (iso: string) => new Date(iso).getTime();

describe('what the lookup page says about events', () => {
  it("writes times in the agent's zone, digits in a fixed order, with the offset", () => {
    expect(formatTime(at('2025-09-01T17:30:05Z'), 'America/New_York')).toBe('2025-09-01 13:30:05 GMT-4');
    expect(formatTime(at('2025-12-01T17:30:05Z'), 'America/New_York')).toBe('2025-12-01 12:30:05 GMT-5');
    expect(formatTime(at('2025-09-01T23:30:05Z'), 'Asia/Kolkata')).toBe('2025-09-02 05:00:05 GMT+5:30');
  });

  it('names bounce classes from SparkPost’s table, and shows an unknown one as its number', () => {
    expect(describeBounceClass('10')).toBe('10 — Invalid Recipient (hard bounce)');
    expect(describeBounceClass('21')).toBe('21 — DNS Failure (soft bounce)');
    expect(describeBounceClass('51')).toBe('51 — Spam Block (block bounce)');
    expect(describeBounceClass('999')).toBe('999');
  });

  it('orders a timeline by time, and events of the same second by their place in a message’s life', () => {
    const second = '2025-09-01T10:00:00Z';
    const events = [
      { type: 'click', timestamp: second, event_id: '1' },
      { type: 'delivery', timestamp: second, event_id: '2' },
      { type: 'injection', timestamp: second, event_id: '3' },
      { type: 'open', timestamp: second, event_id: '4' },
      { type: 'delay', timestamp: '2025-09-01T09:59:59Z', event_id: '5' },
    ];
    expect([...events].sort(chronological).map((event) => event.type)).toEqual([
      'delay',
      'injection',
      'delivery',
      'open',
      'click',
    ]);
  });

  it('sums a message up in words: a failure wins over delivery and engagement', () => {
    const of = (...types: string[]) => messageOutcome(types.map((type) => ({ type }))).label;
    expect(of('injection', 'delivery', 'open', 'click')).toBe('Delivered, opened and clicked');
    expect(of('injection', 'delay', 'bounce')).toBe('Bounced');
    expect(of('injection', 'delivery', 'out_of_band')).toBe('Bounced after delivery');
    expect(of('policy_rejection')).toBe('Rejected');
    expect(of('injection', 'delay')).toBe('Delayed: still being retried');
  });

  it('says gaps as an agent would', () => {
    expect([45_000, 180_000, 7_500_000, 273_600_000].map(formatGap)).toEqual([
      '+45 s',
      '+3 min',
      '+2 h 5 min',
      '+3 d 4 h',
    ]);
  });
});

describe('the Events API queries of the lookup page', () => {
  const now = at('2025-09-10T12:00:30Z');

  it('searches the last 30 days up to the next minute by default, in seconds', () => {
    const window = searchWindow({ recipient: 'a@example.com' }, now);
    expect(new Date(window.to).toISOString()).toBe('2025-09-10T12:02:00.000Z');
    expect(window.to - window.from).toBe(30 * 86_400_000);
    const url = new URL(
      searchUrl({ recipient: 'a@example.com', types: ['bounce', 'delay'] }, now),
      'http://x',
    );
    expect(url.pathname).toBe('/api/v1/events/message');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      from: '2025-08-11T12:02:00Z',
      to: '2025-09-10T12:02:00Z',
      per_page: '100',
      recipients: 'a@example.com',
      events: 'bounce,delay',
    });
  });

  it('keeps a value with a comma one value, with a delimiter none of the values holds', () => {
    const url = new URL(
      searchUrl({ recipient: '"Doe, Jane"@example.com', campaign: 'spring, 2025', from: 0, to: 60_000 }, now),
      'http://x',
    );
    expect(url.searchParams.get('delimiter')).toBe('|');
    expect(url.searchParams.get('recipients')).toBe('"Doe, Jane"@example.com');
    expect(url.searchParams.get('campaigns')).toBe('spring, 2025');
  });
});
