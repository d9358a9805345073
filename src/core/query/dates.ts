import { ValidationError } from '../../errors';

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses a query time: `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (optionally with milliseconds),
 * then `Z` or an offset; without one the time is read in `timeZone` (UTC for the Events API, the
 * `timezone` parameter for the legacy API). Returns epoch milliseconds.
 */
export function parseQueryTime(value: string, name: string, timeZone = 'UTC'): number {
  const match = TIME.exec(value.trim());
  if (!match) {
    throw new ValidationError(
      `Invalid ${name} parameter`,
      `${name} must be in the format YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SSZ (got "${value}")`,
    );
  }
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone] = match;
  const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const [year, month, day, hour, minute, second] = fields;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(wall);
  if (
    month < 1 ||
    month > 12 ||
    check.getUTCDate() !== day ||
    check.getUTCMonth() !== month - 1 ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new ValidationError(
      `Invalid ${name} parameter`,
      `${name} is not a valid date and time (got "${value}")`,
    );
  }
  if (zone === 'Z') return wall;
  if (zone) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return wallTimeToUtc(wall, timeZone);
}

/** Converts a wall-clock time (given as if it were UTC) in an IANA zone to the real UTC instant. */
function wallTimeToUtc(wall: number, timeZone: string): number {
  if (timeZone === 'UTC') return wall;
  // The zone's offset at the guess, applied twice to settle around DST changes.
  let utc = wall - offsetMs(wall, timeZone);
  utc = wall - offsetMs(utc, timeZone);
  return utc;
}

/** The zone's UTC offset, in milliseconds, at an instant. */
export function offsetMs(instant: number, timeZone: string): number {
  const parts = zoneFormatter(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour') % 24,
    get('minute'),
    get('second'),
  );
  return asUtc - (instant - (instant % 1000));
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when the runtime knows the IANA zone name. */
export function isTimeZone(name: string): boolean {
  try {
    zoneFormatter(name);
    return true;
  } catch {
    return false;
  }
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the form the Events API documents and its links repeat. */
export function formatSecondsZ(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
