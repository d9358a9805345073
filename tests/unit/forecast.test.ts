import { daysUntilFull } from '../../src/core/forecast';

describe('daysUntilFull', () => {
  it('divides the free space by a growth that goes on', () => {
    expect(daysUntilFull(1000, { steady: 10, bounded: 0, days: Number.POSITIVE_INFINITY })).toBe(100);
    expect(daysUntilFull(1000, { steady: 0, bounded: 30, days: Number.POSITIVE_INFINITY })).toBe(33);
  });

  it('counts a bounded growth (the database under retention) only for its days', () => {
    // 20 days at 10 + 30 a day use 800; the last 200 at 10 a day take 20 more days.
    expect(daysUntilFull(1000, { steady: 10, bounded: 30, days: 20 })).toBe(40);
    // Full before the bounded growth stops.
    expect(daysUntilFull(1000, { steady: 10, bounded: 40, days: 30 })).toBe(20);
  });

  it('is undefined when the space is never used up at this rate, 0 when it already is', () => {
    expect(daysUntilFull(1000, { steady: 0, bounded: 0, days: 5 })).toBeUndefined();
    expect(daysUntilFull(1000, { steady: 0, bounded: 30, days: 10 })).toBeUndefined();
    expect(daysUntilFull(0, { steady: 10, bounded: 0, days: 0 })).toBe(0);
    expect(daysUntilFull(-5, { steady: 10, bounded: 0, days: 0 })).toBe(0);
  });
});
