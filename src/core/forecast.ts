/**
 * When does the data fill its disk? The raw batches grow for as long as batches arrive (nothing drops
 * them locally); the database grows too, but with RETENTION_DAYS set only until it holds that many days:
 * from then on maintenance drops a day for each new one, and its size stays level.
 */
export interface Growth {
  /** Bytes a day that go on growing (the raw batches). */
  readonly steady: number;
  /** Bytes a day that stop after `days` more days (the database under retention; Infinity: never stop). */
  readonly bounded: number;
  readonly days: number;
}

/**
 * Days until `free` bytes are used up at `growth`, rounded down; undefined when that never happens at
 * this rate (no growth, or growth that stops before the space is used). 0 when nothing is left.
 */
export function daysUntilFull(free: number, growth: Growth): number | undefined {
  if (free <= 0) return 0;
  const both = growth.steady + growth.bounded;
  if (both <= 0) return undefined;
  const whileBoth = growth.days * both;
  if (whileBoth >= free) return Math.floor(free / both);
  if (growth.steady <= 0) return undefined;
  return Math.floor(growth.days + (free - whileBoth) / growth.steady);
}
