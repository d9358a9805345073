import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * Reference loader 2: the machine's limit. Our own rows — the `events` table and the `event_chunks`
 * table that holds their bodies, whatever columns they have today (read from the catalogue and exported
 * with COPY TO, so this never hard-codes their columns) — are COPYed into tables of the same shape (same
 * columns, storage, partition key and partitions) in a database of their own, without any index or
 * unique key: events `batch` rows per COPY statement, their chunks a batch's worth per COPY. The COPY
 * input is built before the clock starts; only the COPY statements are timed.
 */
const TABLES = ['events', 'event_chunks'] as const;
type CopyTable = (typeof TABLES)[number];

/** The partition key column of `table` (e.g. `ts`), read from the catalogue. */
export async function partitionKeyColumn(client: pg.ClientBase, table: CopyTable): Promise<string> {
  const result = await client.query<{ def: string }>('SELECT pg_get_partkeydef($1::regclass) AS def', [
    `public.${table}`,
  ]);
  const def = result.rows[0]?.def ?? '';
  const match = /^RANGE \(([a-z_][a-z0-9_]*)\)$/i.exec(def);
  if (!match?.[1]) throw new Error(`${table} is not range-partitioned by one column (${def})`);
  return match[1];
}

interface Column {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly collation: string | null;
  readonly storage: string;
}

const STORAGE: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' };

async function columnsOf(client: pg.ClientBase, relation: string): Promise<Column[]> {
  const result = await client.query<{
    name: string;
    type: string;
    not_null: boolean;
    collation: string | null;
    storage: string;
  }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
            a.attstorage AS storage
     FROM pg_attribute a
     JOIN pg_type t ON t.oid = a.atttypid
     LEFT JOIN pg_collation co ON co.oid = a.attcollation
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [relation],
  );
  return result.rows.map((row) => ({
    name: row.name,
    type: row.type,
    notNull: row.not_null,
    collation: row.collation,
    storage: row.storage,
  }));
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Creates in `target` each table with the columns and partition key it has in `source` (not timed). */
export async function createCopyTables(source: pg.ClientBase, target: pg.ClientBase): Promise<void> {
  for (const table of TABLES) {
    const columns = await columnsOf(source, `public.${table}`);
    const key = await source.query<{ def: string }>('SELECT pg_get_partkeydef($1::regclass) AS def', [
      `public.${table}`,
    ]);
    const definitions = columns.map(
      (column) =>
        `${ident(column.name)} ${column.type}${column.collation ? ` COLLATE ${ident(column.collation)}` : ''}` +
        `${column.notNull ? ' NOT NULL' : ''}`,
    );
    await target.query(`CREATE TABLE ${table} (${definitions.join(', ')}) PARTITION BY ${key.rows[0]?.def}`);
  }
}

/**
 * Creates in `target` every partition that `source` has and the target lacks, with the columns' storage
 * of the source partition (e.g. chunks stored EXTERNAL: no compression attempt). Not timed.
 */
export async function syncPartitions(source: pg.ClientBase, target: pg.ClientBase): Promise<void> {
  for (const table of TABLES) {
    const have = new Set(
      (
        await target.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = $1::regclass`,
          [`public.${table}`],
        )
      ).rows.map((row) => row.name),
    );
    const partitions = await source.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [`public.${table}`],
    );
    for (const partition of partitions.rows) {
      if (have.has(partition.name)) continue;
      await target.query(`CREATE TABLE ${ident(partition.name)} PARTITION OF ${table} ${partition.bound}`);
      for (const column of await columnsOf(source, `public.${ident(partition.name)}`)) {
        const storage = STORAGE[column.storage];
        if (storage) {
          await target.query(
            `ALTER TABLE ${ident(partition.name)} ALTER COLUMN ${ident(column.name)} SET STORAGE ${storage}`,
          );
        }
      }
    }
  }
}

/** Cuts COPY text output into chunks of `rowsPerChunk` rows. */
async function copyOut(client: pg.ClientBase, sql: string, rowsPerChunk: number): Promise<Buffer[]> {
  const stream = client.query(copyTo(sql));
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  let start = 0;
  let rows = 0;
  for (let i = 0; i < all.length; i += 1) {
    if (all[i] !== 0x0a) continue;
    rows += 1;
    if (rows === rowsPerChunk) {
      chunks.push(all.subarray(start, i + 1));
      start = i + 1;
      rows = 0;
    }
  }
  if (start < all.length) chunks.push(all.subarray(start));
  return chunks;
}

/**
 * Our events with `lo <= key < hi` (epoch ms; undefined = open), in key order, as COPY text input cut
 * into chunks of `rowsPerChunk` rows.
 */
export async function exportEvents(
  client: pg.ClientBase,
  key: string,
  lo: number | undefined,
  hi: number | undefined,
  rowsPerChunk: number,
): Promise<Buffer[]> {
  const where: string[] = [];
  if (lo !== undefined) where.push(`${ident(key)} >= to_timestamp(${lo / 1000})`);
  if (hi !== undefined) where.push(`${ident(key)} < to_timestamp(${hi / 1000})`);
  return copyOut(
    client,
    `COPY (SELECT * FROM public.events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${ident(key)}) TO STDOUT`,
    rowsPerChunk,
  );
}

/**
 * The chunk rows written since the last export: chunk ids carry a number from a sequence in their low
 * 32 bits (src/db/event-store.ts), so those above `after` are new. Returns the COPY input and the
 * highest number exported.
 */
export async function exportChunks(
  client: pg.ClientBase,
  after: number,
  rowsPerChunk: number,
): Promise<{ chunks: Buffer[]; upTo: number }> {
  const low = 'chunk_id & 4294967295';
  const max = await client.query<{ n: string | null }>(`SELECT max(${low}) AS n FROM public.event_chunks`);
  const upTo = Number(max.rows[0]?.n ?? after);
  if (upTo <= after) return { chunks: [], upTo: after };
  const chunks = await copyOut(
    client,
    `COPY (SELECT * FROM public.event_chunks WHERE ${low} > ${after} AND ${low} <= ${upTo} ORDER BY chunk_id) TO STDOUT`,
    rowsPerChunk,
  );
  return { chunks, upTo };
}

/** One COPY statement (its own transaction) of one prepared chunk into `table`; returns milliseconds. */
export async function copyChunk(client: pg.ClientBase, table: CopyTable, chunk: Buffer): Promise<number> {
  const started = performance.now();
  const stream = client.query(copyFrom(`COPY ${table} FROM STDIN`));
  const finished = once(stream, 'finish');
  stream.end(chunk);
  await finished;
  return performance.now() - started;
}

export function countRows(chunk: Buffer): number {
  let rows = 0;
  for (let i = 0; i < chunk.length; i += 1) if (chunk[i] === 0x0a) rows += 1;
  return rows;
}
