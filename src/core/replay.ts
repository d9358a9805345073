import { batchIdFromKey, batchObjectKey } from './batch-key';
import {
  type BatchProgress,
  describe,
  type LoadDeps,
  type LoadOptions,
  loadBatches,
  storedKeys,
} from './load-batch';
import type { BatchRecord, BatchStore, EventStore } from './ports';

/**
 * `replay`: load stored raw batches again, chosen by id, status, event times or arrival time. The raw
 * batch is the source of truth and loading is idempotent (an event already stored is skipped by its
 * unique key), so a replay can rebuild lost rows, load what was rejected once the cause is fixed, or
 * re-apply today's loader. Batch records are updated in place, never deleted; retention applies as in
 * any load (a replay never brings back a day maintenance dropped).
 */

/** A time window, epoch milliseconds: `from` inclusive, `to` exclusive. */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
}

/** Which stored batches to replay. Every filter given must hold; with none, the pending batches. */
export interface ReplaySelection {
  /** Every stored batch (no other filter may be given). */
  readonly all?: boolean;
  readonly batchIds?: readonly string[];
  /** `rejected`: the database could not read them; `pending`: stored, but the database does not know them. */
  readonly status?: 'rejected' | 'pending';
  /** Batches holding an event whose time is in the window. */
  readonly eventTimes?: TimeWindow;
  /** Batches stored (received from SparkPost) in the window. */
  readonly arrival?: TimeWindow;
}

export interface ReplayPlan {
  /** The raw batch keys to load, in key order. */
  readonly keys: readonly string[];
  /** Batch ids asked for by name that are not in the store. */
  readonly missing: readonly string[];
  /** Events in the chosen batches, as their records say; undefined when some batch has no record. */
  readonly events?: number;
  /** For an event-time selection: the loader leaves the batches that turn out to hold none of them. */
  readonly eventWindow?: TimeWindow;
}

export interface ReplayDeps {
  readonly store: BatchStore;
  readonly events: Pick<EventStore, 'records'>;
  /** When a stored object was written (the arrival of a batch the database has no record of). */
  readonly storedAt: (key: string) => Promise<Date>;
}

const RECORDS_PER_QUERY = 1000;

/**
 * The stored batches a selection names. A batch's record answers what it can (status, arrival, the
 * times of its events); a batch without one (pending) is stored, not yet loaded. Batches whose event
 * times are not recorded (rejected, or recorded before those were) are candidates of an event-time
 * selection: the load reads them and leaves those outside the window.
 */
export async function planReplay(selection: ReplaySelection, deps: ReplayDeps): Promise<ReplayPlan> {
  const stored = await storedKeys(deps.store);
  let keys = stored;
  let missing: string[] = [];
  if (selection.batchIds) {
    const present = new Set(stored);
    const wanted = [...new Set(selection.batchIds)];
    missing = wanted.filter((id) => !present.has(batchObjectKey(id)));
    keys = wanted.map(batchObjectKey).filter((key) => present.has(key));
  }
  const records = new Map<string, BatchRecord>();
  for (let i = 0; i < keys.length; i += RECORDS_PER_QUERY) {
    const chunk = keys.slice(i, i + RECORDS_PER_QUERY).map((key) => batchIdFromKey(key) as string);
    for (const [id, record] of await deps.events.records(chunk)) records.set(id, record);
  }
  const recordOf = (key: string) => records.get(batchIdFromKey(key) as string);
  const within = (ms: number, window: TimeWindow) => ms >= window.from && ms < window.to;

  const chosen: string[] = [];
  for (const key of keys) {
    const record = recordOf(key);
    if (selection.status === 'pending' && record) continue;
    if (selection.status === 'rejected' && record?.status !== 'rejected') continue;
    const times = selection.eventTimes;
    if (times && record?.eventTimes) {
      const { first, last } = record.eventTimes;
      if (last < times.from || first >= times.to) continue;
    }
    if (selection.arrival) {
      const arrived = record ? record.receivedAt : await deps.storedAt(key);
      if (!within(arrived.getTime(), selection.arrival)) continue;
    }
    chosen.push(key);
  }
  chosen.sort();
  let events: number | undefined = 0;
  for (const key of chosen) {
    const record = recordOf(key);
    events = record && events !== undefined ? events + record.eventCount : undefined;
  }
  return {
    keys: chosen,
    missing,
    ...(events !== undefined ? { events } : {}),
    ...(selection.eventTimes ? { eventWindow: selection.eventTimes } : {}),
  };
}

/** What a replay did. Every planned key is counted once: loaded, rejected, skipped, failed or not tried. */
export interface ReplayReport {
  readonly batches: {
    readonly selected: number;
    /** Loaded (again, for batches the database knew). */
    readonly loaded: number;
    /** Still (or now) unreadable: recorded as rejected, with the reason. */
    readonly rejected: ReadonlyArray<{ readonly batchId: string; readonly reason: string }>;
    /** Read, but none of their events is in the selected event times: left alone. */
    readonly skipped: number;
    /** The load threw (or the object vanished from the store meanwhile), for this batch alone. */
    readonly failed: ReadonlyArray<{ readonly batchId: string; readonly error: string }>;
    /** Not attempted: the database (or the store) became unavailable and the replay stopped. */
    readonly notTried: number;
    /** Asked for by id, but not in the store. */
    readonly missing: readonly string[];
  };
  /** Over the batches loaded: what their loads did with their events. */
  readonly events: {
    readonly found: number;
    readonly inserted: number;
    /** Already stored (by an earlier load of this batch or another one). */
    readonly duplicates: number;
    /** Older than the retention window: not stored. */
    readonly expired: number;
    /** Refused, by reason. */
    readonly rejected: Readonly<Record<string, number>>;
  };
}

/** Batches per run of the loader: bounds what a long replay holds in memory. */
const SLICE = 200;

/**
 * Loads the planned batches as replays (records updated in place), reporting each batch to `onBatch`
 * as it is done. Goes on past batches that fail; stops when the database is unavailable.
 */
export async function runReplay(
  plan: ReplayPlan,
  deps: LoadDeps,
  onBatch?: (progress: BatchProgress) => void,
): Promise<ReplayReport> {
  const loadOptions: LoadOptions = {
    replay: true,
    ...(plan.eventWindow ? { eventWindow: plan.eventWindow } : {}),
  };
  let loaded = 0;
  let skipped = 0;
  let notTried = 0;
  const rejected: Array<{ batchId: string; reason: string }> = [];
  const failed: Array<{ batchId: string; error: string }> = [];
  const events = { found: 0, inserted: 0, duplicates: 0, expired: 0, rejected: {} as Record<string, number> };
  const idOf = (key: string) => batchIdFromKey(key) as string;
  for (let i = 0; i < plan.keys.length; i += SLICE) {
    const slice = plan.keys.slice(i, i + SLICE);
    const run = await loadBatches(slice, deps, {
      ...loadOptions,
      onBatch(progress) {
        const { outcome } = progress;
        if (outcome?.status === 'loaded') {
          loaded += 1;
          events.found += progress.events;
          events.inserted += outcome.inserted;
          events.duplicates += outcome.duplicates;
          events.expired += outcome.expired;
          for (const [reason, count] of Object.entries(outcome.rejections)) {
            events.rejected[reason] = (events.rejected[reason] ?? 0) + count;
          }
        } else if (outcome?.status === 'rejected') {
          rejected.push({ batchId: idOf(progress.key), reason: outcome.reason });
        } else if (outcome?.status === 'skipped') {
          skipped += 1;
        } else if (outcome) {
          // `ignored`: the object left the store after it was listed, or `already-loaded` (not asked for).
          failed.push({
            batchId: idOf(progress.key),
            error: 'reason' in outcome ? outcome.reason : outcome.status,
          });
        } else {
          failed.push({ batchId: idOf(progress.key), error: describe(progress.error) });
        }
        onBatch?.(progress);
      },
    });
    if (run.notTried.length > 0) {
      notTried = plan.keys.length - i - (slice.length - run.notTried.length);
      break;
    }
  }
  return {
    batches: {
      selected: plan.keys.length,
      loaded,
      rejected,
      skipped,
      failed,
      notTried,
      missing: plan.missing,
    },
    events,
  };
}

/** Whether a replay left something undone: a batch not loaded, or not found. */
export function replayFailed(report: ReplayReport): boolean {
  const { batches } = report;
  return (
    batches.rejected.length > 0 ||
    batches.failed.length > 0 ||
    batches.notTried > 0 ||
    batches.missing.length > 0
  );
}
