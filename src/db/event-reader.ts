import type { EventReader, StoredRow } from '../core/ports';
import type { Queryable } from './pool';

/** Runs the query layer's statements and reads rows back in the shape it expects. */
export function createEventReader(db: Queryable): EventReader {
  return {
    async rows(query) {
      const result = await db.query<{ ts: Date; event_id: string; type: string; body: Buffer }>(
        query.text,
        query.values,
      );
      return result.rows.map(
        (row): StoredRow => ({ ts: row.ts.getTime(), eventId: row.event_id, type: row.type, body: row.body }),
      );
    },
    async count(query) {
      const result = await db.query<{ count: string }>(query.text, query.values);
      return Number(result.rows[0]?.count ?? 0);
    },
  };
}
