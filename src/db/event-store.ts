import { type PackedRows, packableEvent, packRows } from '../core/events/chunks';
import { type DictKey, META_KEY_FIELD, SCOPED_META_KEY_FIELD } from '../core/events/codes';
import { BEYOND_DAY_LIMIT, type EventRow, withinDayLimit } from '../core/events/rows';
import type { BatchLoad, BatchRecord, EventStore, LoadResult } from '../core/ports';
import { DAY_MS, utcDay } from '../core/time';
import { ensurePartitions } from './partitions';
import { CHECK_VIOLATION, type Db, type Queryable } from './pool';

/**
 * SQLSTATE classes of errors about the data of a row (22 data exception, 23 integrity, 54 program limit,
 * e.g. an index entry too large): inserting the same row again fails again. Anything else (connection,
 * resources, cancellation, a missing table) is about the database, and the whole batch is retried.
 */
const ABOUT_THE_ROW = /^(22|23|54)/;

function isAboutTheRow(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && ABOUT_THE_ROW.test(code) && code !== CHECK_VIOLATION;
}

const dictKeyId = (key: Pick<DictKey, 'field' | 'value'>) => `${key.field}\u0000${key.value}`;

/** An event ready for the `events` table: its row, resolved codes, chunk and position. */
interface PlacedRow {
  readonly row: EventRow;
  readonly codes: readonly number[];
  readonly subj: number | null;
  readonly chunk: string;
  readonly pos: number;
}

/**
 * The loader's database half (storage v2). One transaction per batch: claim the batch row (a concurrent
 * or repeated load of the same batch waits, then finds it claimed; a replay updates the claimed record), resolve the dictionary entries the
 * batch uses (inserting the new ones), write its bodies 32 to a chunk, insert every event in one statement
 * with ON CONFLICT DO NOTHING (an event already stored from another batch is skipped), record the counts.
 *
 * No event can block its batch: when PostgreSQL refuses the events insert because of a row's data, the
 * batch is loaded again with the rows bisected under savepoints, so each refused event is found and
 * counted on the batch record with the reason, and every other event is stored.
 */
export function createEventStore(db: Db): EventStore & { write(rows: readonly EventRow[]): Promise<number> } {
  const knownDays = new Set<string>();
  /** Dictionary ids this process has seen committed, with the newest day it recorded for each. */
  const dictionary = new Map<string, { id: number; lastSeen: string }>();

  async function load(batch: BatchLoad): Promise<LoadResult> {
    let packed = batch.packed;
    let rejected = batch.rejected ?? [];
    if (!packed) {
      const { kept, beyond } = withinDayLimit(batch.rows);
      rejected = [...rejected, ...Array.from({ length: beyond }, () => BEYOND_DAY_LIMIT)];
      packed = packRows(kept, packableEvent);
    }
    const chunks: PackedRows<EventRow> = packed;
    const days = [...new Set(chunks.chunks.map((chunk) => utcDay(chunk.epochDay * DAY_MS)))].sort();
    let partitionsCreated = await ensurePartitions(db, days, knownDays);
    const attempt = (isolate: boolean) => insert(batch, chunks, rejected, partitionsCreated, isolate);
    try {
      return await attempt(false);
    } catch (error) {
      if ((error as { code?: string }).code === CHECK_VIOLATION) {
        // A partition dropped by retention since we cached it: forget the cache and try once more.
        knownDays.clear();
        partitionsCreated = [...partitionsCreated, ...(await ensurePartitions(db, days, knownDays))];
        return attempt(false);
      }
      if (!isAboutTheRow(error)) throw error;
      return attempt(true);
    }
  }

  async function insert(
    batch: BatchLoad,
    packed: PackedRows<EventRow>,
    rejected: readonly string[],
    partitionsCreated: readonly string[],
    isolate: boolean,
  ): Promise<LoadResult> {
    const learned = new Map<string, { id: number; lastSeen: string }>();
    const result = await db.transaction(async (tx) => {
      // The claim: a concurrent load of the same batch waits here for this one's commit, then finds the
      // batch recorded. A replay takes the existing record over (its counts become this load's).
      const claim = await tx.query(
        `INSERT INTO batches (batch_id, object_key, received_at, status, event_count, skipped_count,
                              first_event_at, last_event_at)
         VALUES ($1, $2, $3, 'loaded', $4, $5, $6, $7)
         ON CONFLICT (batch_id) DO ${
           batch.replay
             ? `UPDATE SET status = 'loaded', reason = NULL, object_key = excluded.object_key,
                   event_count = excluded.event_count, skipped_count = excluded.skipped_count,
                   first_event_at = excluded.first_event_at, last_event_at = excluded.last_event_at,
                   replay_count = batches.replay_count + 1, replayed_at = now()`
             : 'NOTHING'
         }`,
        [
          batch.batchId,
          batch.objectKey,
          batch.receivedAt,
          batch.rows.length + (batch.rejected?.length ?? 0) + (batch.expired ?? 0),
          batch.skipped,
          batch.eventTimes ? new Date(batch.eventTimes.first) : null,
          batch.eventTimes ? new Date(batch.eventTimes.last) : null,
        ],
      );
      if (claim.rowCount === 0) return { status: 'already-loaded' } as const;

      const { rows } = packed;
      const placed = place(
        packed,
        await resolveDictionary(tx, rows, learned),
        await chunkNumbers(tx, packed.chunks.length),
      );
      await insertChunks(tx, placed.chunks);
      const refused: string[] = [];
      const inserted = isolate
        ? await insertIsolated(tx, placed.rows, refused)
        : await insertRows(tx, placed.rows);
      const rejections: Record<string, number> = {};
      for (const reason of [...rejected, ...refused]) rejections[reason] = (rejections[reason] ?? 0) + 1;
      const rejectedCount = rejected.length + refused.length;
      const duplicates = rows.length - inserted - refused.length;
      await tx.query(
        `UPDATE batches SET inserted_count = $2, duplicate_count = $3, rejected_count = $4, rejections = $5,
                            expired_count = $6
         WHERE batch_id = $1`,
        [
          batch.batchId,
          inserted,
          duplicates,
          rejectedCount,
          rejectedCount > 0 ? rejections : null,
          batch.expired ?? 0,
        ],
      );
      const expired = batch.expired ?? 0;
      return { status: 'loaded', inserted, duplicates, rejections, expired, partitionsCreated } as const;
    });
    // Only what committed may be cached: a rolled-back insert's ids do not exist.
    for (const [key, entry] of learned) dictionary.set(key, entry);
    return result;
  }

  /**
   * The dictionary ids of every entry the rows use: from the cache when it is recorded for a day at
   * least as new as the rows', otherwise upserted (new entries inserted, `last_seen` raised) in two
   * statements, keywords before the whole subjects that list them.
   */
  async function resolveDictionary(
    tx: Queryable,
    rows: readonly EventRow[],
    learned: Map<string, { id: number; lastSeen: string }>,
  ): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const wanted = new Map<string, { key: DictKey; day: string }>();
    const subjects = new Map<string, { key: DictKey; day: string; keywords: readonly DictKey[] }>();
    const want = (key: DictKey, day: string) => {
      const id = dictKeyId(key);
      const cached = dictionary.get(id);
      if (cached && cached.lastSeen >= day) ids.set(id, cached.id);
      else if ((wanted.get(id)?.day ?? '') < day) wanted.set(id, { key, day });
    };
    for (const row of rows) {
      const day = utcDay(row.ts);
      for (const key of row.index.codes) want(key, day);
      for (const metaKey of row.index.metaKeys) {
        want({ field: META_KEY_FIELD, value: metaKey }, day);
        want({ field: SCOPED_META_KEY_FIELD, value: `${row.index.subaccount}:${metaKey}` }, day);
      }
      const subject = row.index.subject;
      if (subject) {
        const id = dictKeyId(subject);
        const cached = dictionary.get(id);
        if (cached && cached.lastSeen >= day) ids.set(id, cached.id);
        else if ((subjects.get(id)?.day ?? '') < day)
          subjects.set(id, { key: subject, day, keywords: subject.keywords });
      }
    }
    const upsert = async (entries: ReadonlyArray<{ key: DictKey; day: string; kwids?: number[] }>) => {
      if (entries.length === 0) return;
      const result = await tx.query<{ id: number; field: string; value: string; last_seen: string }>(
        `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[])
             AS u(field, value, kw, kwids, last_seen)
         ), upserted AS (
           INSERT INTO terms_dict (field, value, kw, kwids, last_seen)
           SELECT field, value, kw, kwids::integer[], last_seen FROM input
           ON CONFLICT (field, value) DO UPDATE SET last_seen = excluded.last_seen
             WHERE terms_dict.last_seen < excluded.last_seen
           RETURNING id, field, value, last_seen::text
         )
         SELECT id, field, value, last_seen FROM upserted
         UNION ALL
         SELECT d.id, d.field, d.value, d.last_seen::text FROM terms_dict d JOIN input USING (field, value)`,
        [
          entries.map((entry) => entry.key.field),
          entries.map((entry) => entry.key.value),
          entries.map((entry) => entry.key.kw ?? null),
          entries.map((entry) => (entry.kwids ? `{${entry.kwids.join(',')}}` : null)),
          entries.map((entry) => entry.day),
        ],
      );
      const found = (rowsOf: typeof result.rows) => {
        for (const row of rowsOf) {
          const id = dictKeyId(row);
          ids.set(id, row.id);
          const lastSeen = row.last_seen;
          if ((learned.get(id)?.lastSeen ?? '') < lastSeen) learned.set(id, { id: row.id, lastSeen });
        }
      };
      found(result.rows);
      // An entry another loader committed after this statement's snapshot was taken is neither inserted
      // nor visible to it: read it again in a new statement.
      const missing = entries.filter((entry) => !ids.has(dictKeyId(entry.key)));
      if (missing.length > 0) {
        const again = await tx.query<{ id: number; field: string; value: string; last_seen: string }>(
          `SELECT d.id, d.field, d.value, d.last_seen::text FROM terms_dict d
           JOIN unnest($1::text[], $2::text[]) AS u(field, value) USING (field, value)`,
          [missing.map((entry) => entry.key.field), missing.map((entry) => entry.key.value)],
        );
        found(again.rows);
      }
    };
    await upsert([...wanted.values()]);
    await upsert(
      [...subjects.values()].map((subject) => ({
        ...subject,
        kwids: subject.keywords.map((keyword) => ids.get(dictKeyId(keyword)) as number),
      })),
    );
    return ids;
  }

  /** Records a batch that can never load (e.g. a corrupt object); the raw object stays in the store. */
  async function reject(
    batchId: string,
    objectKey: string,
    receivedAt: Date,
    reason: string,
    options: { readonly replay?: boolean } = {},
  ): Promise<void> {
    await db.query(
      `INSERT INTO batches (batch_id, object_key, received_at, status, reason)
       VALUES ($1, $2, $3, 'rejected', $4)
       ON CONFLICT (batch_id) DO ${
         options.replay
           ? `UPDATE SET status = 'rejected', reason = excluded.reason, object_key = excluded.object_key,
                 replay_count = batches.replay_count + 1, replayed_at = now()`
           : 'NOTHING'
       }`,
      [batchId, objectKey, receivedAt, reason],
    );
  }

  /** Batch ids already loaded or rejected, among `batchIds`. */
  async function known(batchIds: readonly string[]): Promise<Set<string>> {
    const result = await db.query<{ batch_id: string }>(
      'SELECT batch_id FROM batches WHERE batch_id = ANY($1::text[])',
      [batchIds],
    );
    return new Set(result.rows.map((row) => row.batch_id));
  }

  async function records(batchIds: readonly string[]): Promise<Map<string, BatchRecord>> {
    const result = await db.query<{
      batch_id: string;
      status: 'loaded' | 'rejected';
      received_at: Date;
      event_count: number;
      first_event_at: Date | null;
      last_event_at: Date | null;
    }>(
      `SELECT batch_id, status, received_at, event_count, first_event_at, last_event_at
       FROM batches WHERE batch_id = ANY($1::text[])`,
      [batchIds],
    );
    return new Map(
      result.rows.map((row) => [
        row.batch_id,
        {
          status: row.status,
          receivedAt: row.received_at,
          eventCount: row.event_count,
          ...(row.first_event_at && row.last_event_at
            ? { eventTimes: { first: row.first_event_at.getTime(), last: row.last_event_at.getTime() } }
            : {}),
        },
      ]),
    );
  }

  /**
   * Writes events that belong to no batch record (the conversion of v1 events): one transaction, the
   * same dictionary, chunks and insert as a load. Returns how many were new.
   */
  async function write(rows: readonly EventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const days = [...new Set(rows.map((row) => utcDay(row.ts)))].sort();
    await ensurePartitions(db, days, knownDays);
    const learned = new Map<string, { id: number; lastSeen: string }>();
    const packed = packRows(rows, packableEvent);
    const inserted = await db.transaction(async (tx) => {
      const ids = await resolveDictionary(tx, packed.rows, learned);
      const placed = place(packed, ids, await chunkNumbers(tx, packed.chunks.length));
      await insertChunks(tx, placed.chunks);
      return insertRows(tx, placed.rows);
    });
    for (const [key, entry] of learned) dictionary.set(key, entry);
    return inserted;
  }

  return { load, reject, known, records, write };
}

/** `count` distinct chunk numbers from the sequence (distinct across concurrent loaders). */
async function chunkNumbers(tx: Queryable, count: number): Promise<bigint[]> {
  if (count === 0) return [];
  const result = await tx.query<{ n: string }>(
    "SELECT nextval('event_chunk_seq') AS n FROM generate_series(1, $1)",
    [count],
  );
  return result.rows.map((row) => BigInt(row.n));
}

/**
 * Gives each packed chunk its id — the epoch day in the top 32 bits, a number from the sequence in the
 * low 32 (it wraps after 4 billion chunks; ids only need to differ within a day) — and each row its
 * dictionary ids, chunk and position.
 */
function place(
  packed: PackedRows<EventRow>,
  ids: ReadonlyMap<string, number>,
  numbers: readonly bigint[],
): { rows: PlacedRow[]; chunks: Array<{ id: string; z: Buffer }> } {
  const chunks = packed.chunks.map((chunk, k) => ({
    id: ((BigInt(chunk.epochDay) << 32n) | ((numbers[k] as bigint) & 0xffffffffn)).toString(),
    z: chunk.z,
  }));
  const rows = packed.rows.map((row, i): PlacedRow => {
    const { chunk, pos } = packed.places[i] as { chunk: number; pos: number };
    return {
      row,
      codes: [...new Set(row.index.codes.map((key) => ids.get(dictKeyId(key)) as number))],
      subj: row.index.subject ? (ids.get(dictKeyId(row.index.subject)) ?? null) : null,
      chunk: (chunks[chunk] as { id: string }).id,
      pos,
    };
  });
  return { rows, chunks };
}

async function insertChunks(tx: Queryable, chunks: ReadonlyArray<{ id: string; z: Buffer }>): Promise<void> {
  if (chunks.length === 0) return;
  await tx.query('INSERT INTO event_chunks (chunk_id, z) SELECT * FROM unnest($1::bigint[], $2::bytea[])', [
    chunks.map((chunk) => chunk.id),
    chunks.map((chunk) => chunk.z),
  ]);
}

/** One statement for all the rows; returns how many were new. */
async function insertRows(tx: Queryable, rows: readonly PlacedRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await tx.query(
    `INSERT INTO events (ts, eh, chunk, subj, pos, event_id, type, codes, hcodes, reason)
     SELECT timestamptz 'epoch' + r.ms * interval '1 millisecond', r.eh, r.chunk, r.subj, r.pos, r.event_id,
            r.type, r.codes::integer[], r.hcodes::bigint[], r.reason
     FROM unnest($1::float8[], $2::bigint[], $3::bigint[], $4::integer[], $5::smallint[], $6::text[],
                 $7::text[], $8::text[], $9::text[], $10::text[])
       AS r(ms, eh, chunk, subj, pos, event_id, type, codes, hcodes, reason)
     ON CONFLICT (eh, type, ts) DO NOTHING`,
    [
      rows.map((placed) => placed.row.ts),
      rows.map((placed) => placed.row.eventHash),
      rows.map((placed) => placed.chunk),
      rows.map((placed) => placed.subj),
      rows.map((placed) => placed.pos),
      rows.map((placed) => placed.row.eventId),
      rows.map((placed) => placed.row.type),
      rows.map((placed) => `{${placed.codes.join(',')}}`),
      rows.map((placed) => `{${placed.row.index.hashes.join(',')}}`),
      rows.map((placed) => placed.row.reason),
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * Inserts the rows in halves under a savepoint until each refused row stands alone: k refused rows of n
 * cost about 2k·log₂(n) statements. Pushes the reason of each refused row onto `refused`.
 */
async function insertIsolated(tx: Queryable, rows: readonly PlacedRow[], refused: string[]): Promise<number> {
  if (rows.length === 0) return 0;
  await tx.query('SAVEPOINT isolate');
  try {
    const inserted = await insertRows(tx, rows);
    await tx.query('RELEASE SAVEPOINT isolate');
    return inserted;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT isolate');
    await tx.query('RELEASE SAVEPOINT isolate');
    if (!isAboutTheRow(error)) throw error;
    if (rows.length === 1) {
      const { code, message } = error as { code: string; message: string };
      // PostgreSQL echoes an offending value at the end of some messages (`…: "value"`): not kept.
      const text = message.replace(/: ".*"$/s, '');
      refused.push(`the database refused the event (SQLSTATE ${code}): ${text}`.slice(0, 300));
      return 0;
    }
    const middle = Math.ceil(rows.length / 2);
    return (
      (await insertIsolated(tx, rows.slice(0, middle), refused)) +
      (await insertIsolated(tx, rows.slice(middle), refused))
    );
  }
}
