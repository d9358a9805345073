import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * Reference loader 2: the machine's limit. Our own rows (whatever columns the events table has today,
 * exported from it with COPY TO, so this never hard-codes our schema) are COPYed, 350 rows per COPY
 * statement, into a copy of the events table's shape (`LIKE`, same partition key, same day partitions
 * created beforehand) without any index or unique key. The COPY input is built before the clock starts;
 * only the COPY statements are timed.
 */
export const COPY_SCHEMA = 'copy_limit';

/** The partition key column of `events` (e.g. `ts`), read from the catalogue. */
export async function partitionKeyColumn(client: pg.ClientBase): Promise<string> {
  const result = await client.query<{ def: string }>("SELECT pg_get_partkeydef('events'::regclass) AS def");
  const def = result.rows[0]?.def ?? '';
  const match = /^RANGE \(([a-z_][a-z0-9_]*)\)$/i.exec(def);
  if (!match?.[1]) throw new Error(`events is not range-partitioned by one column (${def})`);
  return match[1];
}

export async function createCopyTable(client: pg.ClientBase): Promise<void> {
  const result = await client.query<{ def: string }>("SELECT pg_get_partkeydef('events'::regclass) AS def");
  await client.query(`CREATE SCHEMA ${COPY_SCHEMA}`);
  await client.query(
    `CREATE TABLE ${COPY_SCHEMA}.events (LIKE public.events) PARTITION BY ${result.rows[0]?.def}`,
  );
}

/** Creates in the copy every partition that `public.events` has and the copy lacks (not timed). */
export async function syncPartitions(client: pg.ClientBase): Promise<void> {
  const result = await client.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'public.events'::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_class x WHERE x.relname = c.relname
                         AND x.relnamespace = '${COPY_SCHEMA}'::regnamespace)`,
  );
  for (const row of result.rows) {
    await client.query(
      `CREATE TABLE ${COPY_SCHEMA}."${row.name}" PARTITION OF ${COPY_SCHEMA}.events ${row.bound}`,
    );
  }
}

/**
 * Our rows with `lo <= key < hi` (epoch ms; undefined = open), in key order, as COPY text input cut into
 * chunks of `rowsPerChunk` rows.
 */
export async function exportRows(
  client: pg.ClientBase,
  key: string,
  lo: number | undefined,
  hi: number | undefined,
  rowsPerChunk: number,
): Promise<Buffer[]> {
  const where: string[] = [];
  if (lo !== undefined) where.push(`"${key}" >= to_timestamp(${lo / 1000})`);
  if (hi !== undefined) where.push(`"${key}" < to_timestamp(${hi / 1000})`);
  const sql = `COPY (SELECT * FROM public.events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY "${key}") TO STDOUT`;
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

/** One COPY statement (its own transaction) of one prepared chunk; returns milliseconds. */
export async function copyChunk(client: pg.ClientBase, chunk: Buffer): Promise<number> {
  const started = performance.now();
  const stream = client.query(copyFrom(`COPY ${COPY_SCHEMA}.events FROM STDIN`));
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
