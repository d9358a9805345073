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

  it('knows IANA zone names', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
