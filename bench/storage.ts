import type pg from 'pg';

/** On-disk size of one table (all its partitions, if partitioned), per part. */
export interface TableSize {
  readonly partitions: number;
  /** Heap main fork plus free-space and visibility maps, all partitions. */
  readonly heap: number;
  /** TOAST tables and their indexes. */
  readonly toast: number;
  /** Per index of the parent (summed over its partition indexes). */
  readonly indexes: ReadonlyArray<{
    readonly name: string;
    readonly definition: string;
    readonly bytes: number;
  }>;
  /** pg_total_relation_size summed over every partition (and the parent). */
  readonly total: number;
  /** Rows (count(*)): events, chunks, dictionary entries… */
  readonly rows: number;
}

/**
 * The relations of a partition tree (`relid`, `isleaf`): the partitioned table or index `relation` and
 * its partitions, or a plain table or index alone (pg_partition_tree returns nothing for those).
 */
const tree = (relation: string) =>
  `(SELECT relid, isleaf FROM pg_partition_tree(${relation})
    UNION ALL SELECT ${relation}::regclass, true WHERE NOT EXISTS (SELECT FROM pg_partition_tree(${relation})))`;

/** Sizes of a table (`schema.table`), declaratively partitioned or not, per heap, TOAST and each index. */
export async function tableSize(client: pg.ClientBase, qualified: string): Promise<TableSize> {
  const leaves = await client.query<{ partitions: string; heap: string; toast: string; total: string }>(
    `SELECT count(*) FILTER (WHERE t.isleaf) AS partitions,
            coalesce(sum(pg_table_size(t.relid) - coalesce(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)), 0) AS heap,
            coalesce(sum(coalesce(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)), 0) AS toast,
            coalesce(sum(pg_total_relation_size(t.relid)), 0) AS total
     FROM ${tree('$1::regclass')} t JOIN pg_class c ON c.oid = t.relid`,
    [qualified],
  );
  const indexes = await client.query<{ name: string; definition: string; bytes: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition,
            (SELECT coalesce(sum(pg_relation_size(p.relid)), 0) FROM ${tree('i.indexrelid')} p) AS bytes
     FROM pg_index i WHERE i.indrelid = $1::regclass ORDER BY 3 DESC`,
    [qualified],
  );
  const rows = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified}`);
  const leaf = leaves.rows[0];
  return {
    partitions: Number(leaf?.partitions ?? 0),
    heap: Number(leaf?.heap ?? 0),
    toast: Number(leaf?.toast ?? 0),
    indexes: indexes.rows.map((row) => ({
      name: row.name,
      definition: row.definition,
      bytes: Number(row.bytes),
    })),
    total: Number(leaf?.total ?? 0),
    rows: Number(rows.rows[0]?.n ?? 0),
  };
}

/** Sizes of an inheritance-partitioned table (the 2017 design): the parent and every child. */
export async function inheritedTableSize(client: pg.ClientBase, qualified: string): Promise<TableSize> {
  const result = await client.query<{
    partitions: string;
    heap: string;
    toast: string;
    indexes: string;
    total: string;
  }>(
    `WITH tables AS (
       SELECT $1::regclass AS oid
       UNION ALL SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)
     SELECT count(*) - 1 AS partitions,
            sum(pg_table_size(t.oid) - coalesce(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)) AS heap,
            sum(coalesce(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)) AS toast,
            sum(pg_indexes_size(t.oid)) AS indexes,
            sum(pg_total_relation_size(t.oid)) AS total
     FROM tables t JOIN pg_class c ON c.oid = t.oid`,
    [qualified],
  );
  const rows = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified}`);
  const row = result.rows[0];
  const indexBytes = Number(row?.indexes ?? 0);
  return {
    partitions: Number(row?.partitions ?? 0),
    heap: Number(row?.heap ?? 0),
    toast: Number(row?.toast ?? 0),
    indexes: indexBytes > 0 ? [{ name: '(all)', definition: '', bytes: indexBytes }] : [],
    total: Number(row?.total ?? 0),
    rows: Number(rows.rows[0]?.n ?? 0),
  };
}

/** Every table of a schema (partitions summed into their root) and its sequences: the all-in size. */
export interface SchemaSize {
  /** Each table with everything it owns on disk (partitions, TOAST, indexes), largest first. */
  readonly tables: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  readonly sequences: number;
  /** Tables plus sequences: every byte the schema's relations hold (the catalog is not counted). */
  readonly total: number;
}

export async function schemaSize(client: pg.ClientBase, schema: string): Promise<SchemaSize> {
  const tables = await client.query<{ name: string; bytes: string }>(
    `SELECT c.oid::regclass::text AS name,
            (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0) FROM ${tree('c.oid')} t) AS bytes
     FROM pg_class c
     WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
     ORDER BY 2 DESC, 1`,
    [schema],
  );
  const sequences = await client.query<{ bytes: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
     FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'S'`,
    [schema],
  );
  const list = tables.rows.map((row) => ({ name: row.name, bytes: Number(row.bytes) }));
  const sequenceBytes = Number(sequences.rows[0]?.bytes ?? 0);
  return {
    tables: list,
    sequences: sequenceBytes,
    total: list.reduce((total, table) => total + table.bytes, 0) + sequenceBytes,
  };
}

/** Dictionary entries per field: how many, and their row bytes (pg_column_size of the row). */
export async function dictionaryFields(
  client: pg.ClientBase,
  qualified: string,
): Promise<Array<{ field: string; entries: number; rowBytes: number }>> {
  const result = await client.query<{ field: string; entries: string; bytes: string }>(
    `SELECT field, count(*) AS entries, sum(pg_column_size(d.*)) AS bytes
     FROM ${qualified} d GROUP BY field ORDER BY count(*) DESC, field`,
  );
  return result.rows.map((row) => ({
    field: row.field,
    entries: Number(row.entries),
    rowBytes: Number(row.bytes),
  }));
}
