import { type ChunkItems, decodeChunk, needsDictionary, restore } from '../core/events/chunks';
import { SUBJECT_FIELD, SUBJECT_KEYWORD_FIELD, TAG_FIELD } from '../core/events/codes';
import type { EventReader, StoredRow } from '../core/ports';
import type { SqlQuery } from '../core/query/sql';
import type { Queryable, Streamable } from './pool';

/** The columns a page query returns (core/query/sql.ts selects exactly these). */
interface PageRow {
  ts: Date;
  event_id: string;
  type: string;
  chunk: string;
  pos: number;
  codes: number[];
  subj: number | null;
  reason: string | null;
}

interface DictionaryEntry {
  readonly field: string;
  readonly value: string;
}

/** Dictionary entries kept in memory: ids never change meaning while their entry exists. */
const CACHE_LIMIT = 100_000;

/**
 * Runs the query layer's statements and reads events back as received (storage v2): the page's rows,
 * then their chunks (each fetched and inflated once), then, for fields a chunk blanked, the dictionary
 * values the rows' codes stand for (cached). With a database that streams (db/pool.ts), `stream` reads
 * a statement's rows through a server-side cursor, block by block, each block decoded the same way.
 */
export function createEventReader(
  db: Queryable & Partial<Streamable>,
  { dictionaryCacheLimit = CACHE_LIMIT }: { readonly dictionaryCacheLimit?: number } = {},
): EventReader {
  const entries = new Map<number, DictionaryEntry>();

  /**
   * The dictionary entries of `ids`, from the cache or the database. What it answers is the caller's
   * own map: the cache may be cleared meanwhile (by this call or a concurrent one) without leaving the
   * caller's rows unrestorable.
   */
  async function dictionary(ids: Iterable<number>): Promise<Map<number, DictionaryEntry>> {
    const wanted = new Map<number, DictionaryEntry>();
    const missing: number[] = [];
    for (const id of new Set(ids)) {
      const entry = entries.get(id);
      if (entry) wanted.set(id, entry);
      else missing.push(id);
    }
    if (missing.length === 0) return wanted;
    const result = await db.query<{ id: number; field: string; value: string }>(
      'SELECT id, field, value FROM terms_dict WHERE id = ANY($1::integer[])',
      [missing],
    );
    if (entries.size + result.rows.length > dictionaryCacheLimit) entries.clear();
    for (const row of result.rows) {
      const entry = { field: row.field, value: row.value };
      entries.set(row.id, entry);
      wanted.set(row.id, entry);
    }
    return wanted;
  }

  /** The single-valued dictionary values of a row, by field (what chunks.ts restores from). */
  function fieldsOf(row: PageRow, dict: ReadonlyMap<number, DictionaryEntry>): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const id of row.codes) {
      const entry = dict.get(id);
      if (entry && entry.field !== TAG_FIELD && entry.field !== SUBJECT_KEYWORD_FIELD)
        fields[entry.field] = entry.value;
    }
    const subject = row.subj === null ? undefined : dict.get(row.subj);
    if (subject) fields[SUBJECT_FIELD] = subject.value;
    return fields;
  }

  /**
   * The events of rows a page or stream statement returned (sql.ts's ROW_FIELDS), in their order. The
   * chunks not in `known` are fetched and inflated, and added to it.
   */
  async function decode(page: readonly PageRow[], known: Map<string, ChunkItems>): Promise<StoredRow[]> {
    if (page.length === 0) return [];
    const missing = [...new Set(page.map((row) => row.chunk))].filter((id) => !known.has(id));
    if (missing.length > 0) {
      const chunks = await db.query<{ chunk_id: string; z: Buffer }>(
        'SELECT chunk_id, z FROM event_chunks WHERE chunk_id = ANY($1::bigint[])',
        [missing],
      );
      for (const chunk of chunks.rows) known.set(chunk.chunk_id, decodeChunk(chunk.z));
    }
    const items = page.map((row) => {
      const item = known.get(row.chunk)?.item(row.pos);
      if (!item)
        throw new Error(`event ${row.event_id} has no body (chunk ${row.chunk}, position ${row.pos})`);
      return item;
    });
    const dict = await dictionary(
      page.flatMap((row, i) =>
        needsDictionary((items[i] as [number, unknown])[0])
          ? [...row.codes, ...(row.subj === null ? [] : [row.subj])]
          : [],
      ),
    );
    return page.map((row, i): StoredRow => {
      const [mask, blanked] = items[i] as [number, unknown];
      const ts = row.ts.getTime();
      const element = restore(blanked, mask, {
        ts,
        eventId: row.event_id,
        type: row.type,
        reason: row.reason,
        fields: needsDictionary(mask) ? fieldsOf(row, dict) : {},
      });
      return { ts, eventId: row.event_id, type: row.type, element };
    });
  }

  return {
    async rows(query) {
      return decode((await db.query<PageRow>(query.text, query.values)).rows, new Map());
    },
    ...(db.stream
      ? {
          async *stream(query: SqlQuery, batchSize: number): AsyncGenerator<StoredRow[]> {
            // Consecutive blocks share chunks (a chunk holds CHUNK_EVENTS events loaded together):
            // those of the previous block are kept, nothing older, so memory stays one block's worth.
            let chunks = new Map<string, ChunkItems>();
            for await (const block of (db as Streamable).stream<PageRow>(query.text, query.values, {
              batchSize,
            })) {
              const rows = await decode(block, chunks);
              chunks = new Map(
                block.flatMap((row) => {
                  const items = chunks.get(row.chunk);
                  return items ? [[row.chunk, items] as const] : [];
                }),
              );
              yield rows;
            }
          },
        }
      : {}),
    async count(query) {
      const result = await db.query<{ count: string }>(query.text, query.values);
      return Number(result.rows[0]?.count ?? 0);
    },
    async records(query) {
      return (await db.query<Record<string, unknown>>(query.text, query.values)).rows;
    },
  };
}
