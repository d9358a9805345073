import type { ApiKeyRecord, ApiKeyStore, KeyScope } from '../core/ports';
import type { Queryable } from './pool';

interface KeyRow {
  id: string;
  label: string;
  short_key: string;
  grants: string[];
  subaccount_id: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'id, label, short_key, grants, subaccount_id, created_at, last_used_at';

function recordOf(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    label: row.label,
    shortKey: row.short_key,
    grants: row.grants,
    ...(row.subaccount_id !== null ? { subaccount: Number(row.subaccount_id) } : {}),
    createdAt: row.created_at,
    ...(row.last_used_at !== null ? { lastUsedAt: row.last_used_at } : {}),
  };
}

/** The condition of a scope on `api_keys`, its value the parameter numbered `n`. */
function scopeCondition(scope: KeyScope, n: number): { sql: string; values: unknown[] } {
  if (scope === undefined) return { sql: 'true', values: [] };
  if (scope === 0) return { sql: 'subaccount_id IS NULL', values: [] };
  return { sql: `subaccount_id = $${n}`, values: [scope] };
}

/** The `api_keys` table (sql/005_api_keys.sql): the stored API keys, by digest. */
export function createApiKeyStore(db: Queryable): ApiKeyStore {
  return {
    async insert(key) {
      const result = await db.query<KeyRow>(
        `INSERT INTO api_keys (id, label, digest, short_key, grants, subaccount_id)
         VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING ${COLUMNS}`,
        [key.id, key.label, key.digest, key.shortKey, [...key.grants], key.subaccount ?? null],
      );
      return recordOf(result.rows[0] as KeyRow);
    },
    async list(scope) {
      const where = scopeCondition(scope, 1);
      const result = await db.query<KeyRow>(
        `SELECT ${COLUMNS} FROM api_keys WHERE ${where.sql} ORDER BY created_at, id`,
        where.values,
      );
      return result.rows.map(recordOf);
    },
    async get(id, scope) {
      const where = scopeCondition(scope, 2);
      const result = await db.query<KeyRow>(
        `SELECT ${COLUMNS} FROM api_keys WHERE id = $1 AND ${where.sql}`,
        [id, ...where.values],
      );
      return result.rows[0] ? recordOf(result.rows[0]) : undefined;
    },
    async remove(id, scope) {
      const where = scopeCondition(scope, 2);
      const result = await db.query(`DELETE FROM api_keys WHERE id = $1 AND ${where.sql}`, [
        id,
        ...where.values,
      ]);
      return (result.rowCount ?? 0) > 0;
    },
    async findByDigest(digest) {
      const result = await db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE digest = $1`, [digest]);
      return result.rows[0] ? recordOf(result.rows[0]) : undefined;
    },
    async touch(id, at, since) {
      await db.query(
        'UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)',
        [id, at, since],
      );
    },
  };
}
