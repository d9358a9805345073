import { isTimeZone, parseQueryTime } from '../../src/core/query/dates';

describe('parseQueryTime', () => {
  it('reads times without a zone in the given IANA zone, across DST', () => {
    expect(parseQueryTime('2026-07-01T12:00', 'from', 'America/New_York')).toBe(Date.UTC(2026, 6, 1, 16));
    expect(parseQueryTime('2026-01-01T12:00', 'from', 'America/New_York')).toBe(Date.UTC(2026, 0, 1, 17));
    expect(parseQueryTime('2026-01-01T12:00', 'from', 'Asia/Kolkata')).toBe(Date.UTC(2026, 0, 1, 6, 30));
  });

  it('honours an explicit Z or offset over the zone', () => {
    expect(parseQueryTime('2026-01-01T12:00:00Z', 'to', 'America/New_York')).toBe(Date.UTC(2026, 0, 1, 12));
    expect(parseQueryTime('2026-01-01T12:00:00+02:00', 'to')).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseQueryTime('2026-01-01T12:00:00.250Z', 'to')).toBe(Date.UTC(2026, 0, 1, 12, 0, 0, 250));
  });

  it('reads years 0–99 as themselves, year 0 being 1 BC (Date.UTC would read them as 1900–1999)', () => {
    expect(new Date(parseQueryTime('0000-01-01T00:00', 'from')).toISOString()).toBe(
      '0000-01-01T00:00:00.000Z',
    );
    expect(new Date(parseQueryTime('0001-02-03T04:05:06Z', 'from')).toISOString()).toBe(
      '0001-02-03T04:05:06.000Z',
    );
    expect(new Date(parseQueryTime('0099-12-31T23:59', 'to')).toISOString()).toBe('0099-12-31T23:59:00.000Z');
    expect(new Date(parseQueryTime('0100-01-01T00:00', 'to')).toISOString()).toBe('0100-01-01T00:00:00.000Z');
  });

  it('knows the leap days of years 0–99 and refuses the days they lack', () => {
    expect(new Date(parseQueryTime('0004-02-29T00:00', 'from')).toISOString()).toBe(
      '0004-02-29T00:00:00.000Z',
    );
    expect(new Date(parseQueryTime('0000-02-29T00:00', 'from')).toISOString()).toBe(
      '0000-02-29T00:00:00.000Z',
    );
    expect(() => parseQueryTime('0001-02-29T00:00', 'from')).toThrow(
      expect.objectContaining({ statusCode: 400 }),
    );
    expect(() => parseQueryTime('0100-02-29T00:00', 'from')).toThrow(
      expect.objectContaining({ statusCode: 400 }),
    );
  });

  it('reads early years in a zone with the zone’s offset of the time (local mean time before 1883)', () => {
    // New York kept local mean time, UTC-4:56:02, until 1883.
    expect(new Date(parseQueryTime('0050-06-01T12:00', 'from', 'America/New_York')).toISOString()).toBe(
      '0050-06-01T16:56:02.000Z',
    );
  });

  it('reads times before 1970 with fractions of a second in a zone', () => {
    expect(parseQueryTime('1969-12-31T18:59:58.500', 'from', 'America/New_York')).toBe(-1500);
  });

  it('refuses a time whose instant falls outside the years 0000–9999 in UTC', () => {
    for (const [value, zone] of [
      ['0000-01-01T00:00', 'Asia/Kolkata'],
      ['9999-12-31T23:59', 'America/New_York'],
      ['0000-01-01T00:00+01:00', 'UTC'],
    ] as const) {
      expect(() => parseQueryTime(value, 'from', zone)).toThrow(
        expect.objectContaining({ statusCode: 400, message: 'Invalid from parameter' }),
      );
    }
    expect(new Date(parseQueryTime('9999-12-31T23:59:59Z', 'to')).toISOString()).toBe(
      '9999-12-31T23:59:59.000Z',
    );
  });

  it('knows IANA zone names', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
