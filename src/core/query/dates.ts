import { ValidationError } from '../../errors';

/** The years a query time may name: four digits, and their instants stay four-digit years in UTC too. */
const FIRST_INSTANT = utcMs(0, 0, 1);
const END_INSTANT = utcMs(10_000, 0, 1);

/**
 * Epoch milliseconds of a UTC date and time. Unlike Date.UTC, years 0–99 are years 0–99 (Date.UTC reads
 * them as 1900–1999); year 0 is 1 BC, as in ISO 8601 (PostgreSQL takes it as `0001 BC`).
 */
function utcMs(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0, ms = 0) {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

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
  const wall = utcMs(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(wall);
  if (
    month < 1 ||
    month > 12 ||
    check.getUTCFullYear() !== year ||
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
  let instant = wall;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    instant = wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  } else if (!zone) {
    instant = wallTimeToUtc(wall, timeZone);
  }
  // An offset can push year 0 or 9999 over the edge; links repeat times as four-digit UTC years.
  if (instant < FIRST_INSTANT || instant >= END_INSTANT) {
    throw new ValidationError(
      `Invalid ${name} parameter`,
      `${name} must be from 0000-01-01T00:00Z to 9999-12-31T23:59:59Z (got "${value}")`,
    );
  }
  return instant;
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
  const part = (type: string) => parts.find((item) => item.type === type)?.value;
  const get = (type: string) => Number(part(type) ?? 0);
  // Years before 1 are written as era years (1 BC is year 0).
  const year = part('era') === 'BC' ? 1 - get('year') : get('year');
  const asUtc = utcMs(year, get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  // The formatted time has whole seconds: compare with the instant floored to its second.
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
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
