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
 * Where the PostgreSQL server's CPU went over a span of work, in seconds, split by process: every
 * process of the server is counted (the postmaster, its live children, and the children it reaped).
 */
export interface PgCpuSplit {
  /**
   * Client backends of each database, by the role the run gave it ('other': any other database), and
   * autovacuum workers, by the role with AUTOVACUUM appended (`ours/autovacuum`).
   */
  readonly byDatabase: Record<string, number>;
  /** The postmaster and its background processes (checkpointer, WAL writer, background writer, launchers). */
  readonly background: number;
  /** Processes that ended during the span (closed connections, finished autovacuum workers). */
  readonly exited: number;
}

export function emptyPgCpuSplit(): PgCpuSplit {
  return { byDatabase: {}, background: 0, exited: 0 };
}

export function addPgCpuSplits(a: PgCpuSplit, b: PgCpuSplit): PgCpuSplit {
  const byDatabase: Record<string, number> = { ...a.byDatabase };
  for (const [role, seconds] of Object.entries(b.byDatabase))
    byDatabase[role] = (byDatabase[role] ?? 0) + seconds;
  return { byDatabase, background: a.background + b.background, exited: a.exited + b.exited };
}

export function pgCpuTotal(split: PgCpuSplit): number {
  return sum(Object.values(split.byDatabase)) + split.background + split.exited;
}

interface PgProcess {
  readonly ticks: number;
  /** A database role, or 'background'. */
  readonly role: string;
}

interface PgSnapshot {
  /** The postmaster's own CPU. */
  readonly own: number;
  /** CPU of the children the postmaster has reaped (cutime + cstime). */
  readonly reaped: number;
  /** Live children by `pid:starttime` (a reused pid is another process). */
  readonly children: Map<string, PgProcess>;
}

/** The suffix of the role of an autovacuum worker (`ours/autovacuum`), apart from client backends. */
export const AUTOVACUUM = '/autovacuum';
const AUTOVACUUM_TITLE = /^postgres: (?:\S+: )?autovacuum worker\b/;

/** Process titles of the server's own processes (no database); anything else works for a database. */
const BACKGROUND_TITLE =
  /^postgres: (?:\S+: )?(checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|archiver|walsummarizer|startup|io worker|stats collector)/;

/**
 * CPU of the PostgreSQL server, read from Linux /proc: the postmaster, every live child (client
 * backends, autovacuum workers, background processes) and the children it reaped (cutime/cstime), so
 * that nothing the server does is missed — whichever connections or statements the loader uses. Each
 * live process is attributed to a database by its process title (`postgres: <user> <db> <host> …`,
 * `postgres: autovacuum worker <db>`), autovacuum apart. Undefined elsewhere or for a remote server.
 */
export class PgCpu {
  private readonly ticks: number;

  private constructor(
    private readonly postmaster: number,
    /** Database name → role (e.g. 'ours', '2017'). */
    private readonly roles: ReadonlyMap<string, string>,
  ) {
    let ticks = 100;
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // 100 is the Linux default.
    }
    this.ticks = ticks;
  }

  /** From any backend pid of the server (SELECT pg_backend_pid()), when that process is on this machine. */
  static fromBackendPid(pid: number, roles: ReadonlyMap<string, string>): PgCpu | undefined {
    const stat = readStat(pid);
    if (!stat) return undefined;
    const parent = Number(stat[1]);
    const parentStat = readStat(parent);
    if (!parentStat || !/postgres|postmaster/.test(parentStat[0] ?? '')) return undefined;
    return new PgCpu(parent, roles);
  }

  snapshot(): PgSnapshot | undefined {
    const own = readStat(this.postmaster);
    if (!own) return undefined;
    // Fields after the command: [comm, ppid, …]; utime is field 14 of /proc/pid/stat (index 11 here),
    // stime 15, cutime 16, cstime 17, starttime 22 (index 19).
    const children = new Map<string, PgProcess>();
    for (const pid of this.childPids()) {
      const stat = readStat(pid);
      if (!stat || Number(stat[1]) !== this.postmaster) continue;
      children.set(`${pid}:${stat[19]}`, {
        ticks: Number(stat[11]) + Number(stat[12]),
        role: this.roleOf(pid),
      });
    }
    return {
      own: Number(own[11]) + Number(own[12]),
      reaped: Number(own[13]) + Number(own[14]),
      children,
    };
  }

  /** The CPU used between two snapshots, by process kind. */
  between(before: PgSnapshot, after: PgSnapshot): PgCpuSplit {
    const byDatabase: Record<string, number> = {};
    let background = after.own - before.own;
    for (const [key, process] of after.children) {
      const used = process.ticks - (before.children.get(key)?.ticks ?? 0);
      if (process.role === 'background') background += used;
      else byDatabase[process.role] = (byDatabase[process.role] ?? 0) + used / this.ticks;
    }
    // Reaped during the span: their whole life is in the postmaster's cutime; what they used before the
    // span was counted in `before`.
    let exited = after.reaped - before.reaped;
    for (const [key, process] of before.children) if (!after.children.has(key)) exited -= process.ticks;
    return { byDatabase, background: background / this.ticks, exited: Math.max(0, exited) / this.ticks };
  }

  private childPids(): number[] {
    try {
      const text = readFileSync(`/proc/${this.postmaster}/task/${this.postmaster}/children`, 'utf8');
      return text
        .trim()
        .split(/\s+/)
        .filter((item) => item !== '')
        .map(Number);
    } catch {
      return readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number);
    }
  }

  private roleOf(pid: number): string {
    let title = '';
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ').trim();
    } catch {
      return 'other';
    }
    if (BACKGROUND_TITLE.test(title)) return 'background';
    const suffix = AUTOVACUUM_TITLE.test(title) ? AUTOVACUUM : '';
    for (const word of title.split(/\s+/)) {
      const role = this.roles.get(word);
      if (role) return `${role}${suffix}`;
    }
    return `other${suffix}`;
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

/** CPU use of this Node process and of PostgreSQL (split by process) over spans of work. */
export class CpuMeter {
  node = 0;
  pg: PgCpuSplit = emptyPgCpuSplit();
  private nodeStart = process.cpuUsage();
  private pgStart: PgSnapshot | undefined;

  constructor(private readonly pgCpu: PgCpu | undefined) {}

  /** Whether the server's CPU is measured (a local server on Linux). */
  get measuresPg(): boolean {
    return this.pgCpu !== undefined;
  }

  reset(): void {
    this.node = 0;
    this.pg = emptyPgCpuSplit();
  }

  start(): void {
    this.pgStart = this.pgCpu?.snapshot();
    this.nodeStart = process.cpuUsage();
  }

  stop(): void {
    const used = process.cpuUsage(this.nodeStart);
    this.node += (used.user + used.system) / 1e6;
    const end = this.pgCpu?.snapshot();
    if (this.pgCpu && this.pgStart && end)
      this.pg = addPgCpuSplits(this.pg, this.pgCpu.between(this.pgStart, end));
  }
}
