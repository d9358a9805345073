import type { PackedRows } from './events/chunks';
import type { EventRow } from './events/rows';
import type { SqlQuery } from './query/sql';

/**
 * The ports between the core and what it runs on: where raw batches live (an S3 bucket on AWS, a folder
 * locally) and what the loader and the query APIs need from the database. The adapters are
 * aws/s3-batch-store.ts, local/dir-batch-store.ts, db/event-store.ts and db/event-reader.ts.
 */

/**
 * Where raw webhook batches live. The raw batch is the source of truth, so a write must be durable before
 * the webhook answers 200, and the first writer of a key wins.
 */
export interface BatchStore {
  /** Stores `body` under `key` unless an object is already there. Resolves once the write is durable. */
  putIfAbsent(key: string, body: Buffer): Promise<'created' | 'exists'>;
  /** Reads an object; `storedAt` is when it was written. */
  get(key: string): Promise<StoredObject>;
  /**
   * Every key under `prefix`, in no particular order. With `modifiedSince`, only keys written at or
   * after that time (what reconciliation checks); a store may list more, never fewer.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<string>;
}

interface ListOptions {
  readonly modifiedSince?: Date;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly storedAt: Date;
}

/** One batch turned into rows, as the loader hands it to the database. */
export interface BatchLoad {
  readonly batchId: string;
  readonly objectKey: string;
  readonly receivedAt: Date;
  readonly rows: readonly EventRow[];
  readonly skipped: number;
  /** Why each event the loader already found it cannot store was refused (counted, not inserted). */
  readonly rejected?: readonly string[];
  /**
   * The rows' bodies already packed into chunks (the loader does it before the database's turn, so that
   * the two overlap); the store packs them itself when absent. Its rows are `rows`, reordered.
   */
  readonly packed?: PackedRows<EventRow>;
  /** Events of days past retention, not stored (counted on the batch record). */
  readonly expired?: number;
  /** The oldest and newest time (epoch ms) among the batch's events, stored or not. */
  readonly eventTimes?: { readonly first: number; readonly last: number };
  /**
   * A replay: when the batch is already recorded, load it again and update its record (counts of this
   * load, one more replay) instead of answering `already-loaded`.
   */
  readonly replay?: boolean;
}

export type LoadResult =
  | {
      readonly status: 'loaded';
      readonly inserted: number;
      readonly duplicates: number;
      /** Events not stored, by reason (the batch's own `rejected` plus those the database refused). */
      readonly rejections: Readonly<Record<string, number>>;
      /** Events of days past retention (RETENTION_DAYS), not stored. */
      readonly expired: number;
      readonly partitionsCreated: readonly string[];
    }
  | { readonly status: 'already-loaded' };

/** What the database records of a batch (the `batches` table), as a replay selects by it. */
export interface BatchRecord {
  readonly status: 'loaded' | 'rejected';
  readonly receivedAt: Date;
  /** Events found in the batch at its latest load. */
  readonly eventCount: number;
  /** The times of its oldest and newest events, when recorded (see BatchLoad.eventTimes). */
  readonly eventTimes?: { readonly first: number; readonly last: number };
}

/** What the loader needs from the database. */
export interface EventStore {
  load(batch: BatchLoad): Promise<LoadResult>;
  /**
   * Records a batch that cannot be read. With `replay`, a batch already recorded is marked rejected with
   * the new reason (one more replay); otherwise an existing record is left as it is.
   */
  reject(
    batchId: string,
    objectKey: string,
    receivedAt: Date,
    reason: string,
    options?: { readonly replay?: boolean },
  ): Promise<void>;
  /** Which of these batch ids are already loaded or rejected. */
  known(batchIds: readonly string[]): Promise<Set<string>>;
  /** The records of those of these batch ids the database knows. */
  records(batchIds: readonly string[]): Promise<Map<string, BatchRecord>>;
}

/** A stored event as the query layer reads it back: its sort key and the element as received. */
export interface StoredRow {
  readonly ts: number;
  readonly eventId: string;
  readonly type: string;
  readonly element: unknown;
}

/** What the query APIs need from the database. */
export interface EventReader {
  rows(query: SqlQuery): Promise<StoredRow[]>;
  count(query: SqlQuery): Promise<number>;
  /** The rows of a statement that reads no events (e.g. the dictionary), as the database returns them. */
  records(query: SqlQuery): Promise<ReadonlyArray<Readonly<Record<string, unknown>>>>;
  /**
   * The events of a page-shaped statement (no LIMIT needed), in blocks of at most `batchSize`, read
   * through a server-side cursor: the next block is fetched only when asked for (backpressure).
   * Stopping the iteration closes the cursor. Absent where the database cannot stream.
   */
  stream?(query: SqlQuery, batchSize: number): AsyncIterable<StoredRow[]>;
}

/** An API key as stored (db/api-key-store.ts): never the key itself, only its digest. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly label: string;
  /** The first characters of the key, to tell keys apart (SparkPost's `short_key`). */
  readonly shortKey: string;
  /** SparkPost grant names, as stored. */
  readonly grants: readonly string[];
  /** The only subaccount whose events the key sees; undefined: the primary account's key (all). */
  readonly subaccount?: number;
  readonly createdAt: Date;
  /** Updated at most once a minute (core/api-keys.ts). */
  readonly lastUsedAt?: Date;
}

/** Which keys a listing or lookup may see: every key (undefined), the primary account's (0), or one subaccount's. */
export type KeyScope = number | undefined;

/** What the API keys need from the database. */
export interface ApiKeyStore {
  insert(key: {
    readonly id: string;
    readonly label: string;
    readonly digest: Buffer;
    readonly shortKey: string;
    readonly grants: readonly string[];
    readonly subaccount?: number;
  }): Promise<ApiKeyRecord>;
  list(scope: KeyScope): Promise<ApiKeyRecord[]>;
  get(id: string, scope: KeyScope): Promise<ApiKeyRecord | undefined>;
  /** Deletes the key; false when there is none with this id in the scope. */
  remove(id: string, scope: KeyScope): Promise<boolean>;
  /** The key whose SHA-256 digest this is. */
  findByDigest(digest: Buffer): Promise<ApiKeyRecord | undefined>;
  /** Sets last_used_at to `at` unless it is later than `since` (another instance wrote it since). */
  touch(id: string, at: Date, since: Date): Promise<void>;
}
