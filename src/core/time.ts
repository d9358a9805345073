/** Time units and the two time formats every part of the service shares. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const dayNames = new Map<number, string>();

/** The UTC day (YYYY-MM-DD) an epoch-millisecond time falls on (names kept: the loader asks per event). */
export function utcDay(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    if (dayNames.size > 10_000) dayNames.clear();
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayNames.set(day, name);
  }
  return name;
}

/** Every UTC day from `fromMs` to `toMs` inclusive. */
export function utcDaysBetween(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(fromMs / DAY_MS); day <= Math.floor(toMs / DAY_MS); day += 1) {
    days.push(new Date(day * DAY_MS).toISOString().slice(0, 10));
  }
  return days;
}

/** ISO 8601 UTC with milliseconds, as the Events API prints times. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}
