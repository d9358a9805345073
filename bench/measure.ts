import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Nearest-rank percentile of unsorted samples (p in 0–100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Accumulates time per label (e.g. per SQL statement). */
export class Timings {
  readonly totals = new Map<string, { count: number; ms: number }>();

  add(label: string, ms: number): void {
    const entry = this.totals.get(label) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += ms;
    this.totals.set(label, entry);
  }

  reset(): void {
    this.totals.clear();
  }

  snapshot(): Map<string, { count: number; ms: number }> {
    return new Map([...this.totals].map(([label, entry]) => [label, { ...entry }]));
  }
}

/** A short label for a SQL statement: its first words, whitespace collapsed (never its values). */
export function statementLabel(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 72 ? `${flat.slice(0, 72)}…` : flat;
}

/**
 * CPU seconds used by the PostgreSQL server: the postmaster, its live children, and the children it has
 * reaped (cutime/cstime). Linux /proc only; undefined elsewhere or for a remote server.
 */
export class PgCpu {
  private readonly ticks: number;

  private constructor(private readonly postmaster: number) {
    let ticks = 100;
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // 100 is the Linux default.
    }
    this.ticks = ticks;
  }

  /** From any backend pid of the server (SELECT pg_backend_pid()), when that process is on this machine. */
  static fromBackendPid(pid: number): PgCpu | undefined {
    const stat = readStat(pid);
    if (!stat) return undefined;
    const parent = Number(stat[1]);
    const parentStat = readStat(parent);
    if (!parentStat || !/postgres|postmaster/.test(parentStat[0] ?? '')) return undefined;
    return new PgCpu(parent);
  }

  /** Total CPU seconds so far. */
  seconds(): number {
    const own = readStat(this.postmaster);
    if (!own) return Number.NaN;
    // Fields after the command: [state, ppid, …]; utime is field 14 of /proc/pid/stat (index 11 here).
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const stat = readStat(Number(name));
      if (!stat || Number(stat[1]) !== this.postmaster) continue;
      ticks += Number(stat[11]) + Number(stat[12]);
    }
    return ticks / this.ticks;
  }
}

/** /proc/pid/stat split after the command name: [comm, ppid, pgrp, …] with comm first. */
function readStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const comm = text.slice(open + 1, close);
    const rest = text
      .slice(close + 2)
      .trim()
      .split(' ');
    // rest[0] is the state, rest[1] the ppid: return [comm, ppid, …] aligned so that utime is index 11.
    return [comm, ...rest.slice(1)];
  } catch {
    return undefined;
  }
}

/** CPU use of this Node process and of PostgreSQL over a span of work. */
export class CpuMeter {
  node = 0;
  pg = 0;
  private nodeStart = process.cpuUsage();
  private pgStart = 0;

  constructor(private readonly pgCpu: PgCpu | undefined) {}

  start(): void {
    this.nodeStart = process.cpuUsage();
    this.pgStart = this.pgCpu?.seconds() ?? Number.NaN;
  }

  stop(): void {
    const used = process.cpuUsage(this.nodeStart);
    this.node += (used.user + used.system) / 1e6;
    this.pg += (this.pgCpu?.seconds() ?? Number.NaN) - this.pgStart;
  }
}
