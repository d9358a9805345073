import squelModule from 'squel';
import { ValidationError } from '../../errors';
import { META_KEY_FIELD, SCOPED_META_KEY_FIELD } from '../events/codes';
import { EVENTS_API_METADATA_KEYS_PATH } from '../paths';
import type { EventReader } from '../ports';
import { parseQueryTime } from './dates';
import { QueryParams } from './params';
import type { SqlQuery } from './sql';

const squel = squelModule.useFlavour('postgres');

/**
 * `GET /api/v1/events/message/metadata-keys`: the rcpt_meta key paths `meta.<key>` filters can name, from
 * the dictionary, where the loader records each key path with the newest day an event carried it
 * (`last_seen`). Maintenance deletes the entries no retained day uses, so the list follows retention.
 */

/** Which keys to list: those last seen on a day that overlaps the window; each bound optional. */
export interface MetadataKeysSpec {
  readonly from?: number;
  readonly to?: number;
}

/** `from` (inclusive) and `to` (exclusive) in the Events API's formats; neither has a default. */
export function parseMetadataKeysQuery(rawQuery: string): MetadataKeysSpec {
  const params = new QueryParams(EVENTS_API_METADATA_KEYS_PATH, rawQuery);
  const fromParam = params.get('from');
  const toParam = params.get('to');
  const from = fromParam === undefined ? undefined : parseQueryTime(fromParam, 'from');
  const to = toParam === undefined ? undefined : parseQueryTime(toParam, 'to');
  if (from !== undefined && to !== undefined && from > to) {
    throw new ValidationError('Invalid time range', 'from must be before to');
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/**
 * The keys in code point order (the dictionary's "C" collation), read through its (field, value) index.
 * A day D overlaps [from, to) when D starts before `to` and ends after `from`. For one subaccount (0: the
 * primary account), the keys of its events only: the entries `<subaccount>:<key>`, a range of that index.
 */
export function buildMetadataKeysQuery(spec: MetadataKeysSpec, subaccount?: number): SqlQuery {
  let q = squel.select().from('terms_dict');
  if (subaccount === undefined) q = q.field('value', 'key').where('field = ?', META_KEY_FIELD);
  else {
    // `;` follows `:` in code point order: [`N:`, `N;`) holds exactly the values that start with `N:`.
    const prefix = `${subaccount}:`;
    q = q
      .field(squel.str('substr(value, ?)', prefix.length + 1), 'key')
      .where('field = ?', SCOPED_META_KEY_FIELD)
      .where('value >= ? AND value < ?', prefix, `${subaccount};`);
  }
  q = q.field("to_char(last_seen, 'YYYY-MM-DD')", 'last_seen');
  if (spec.to !== undefined) q = q.where("(last_seen::timestamp AT TIME ZONE 'UTC') < ?", new Date(spec.to));
  if (spec.from !== undefined) {
    q = q.where("((last_seen + 1)::timestamp AT TIME ZONE 'UTC') > ?", new Date(spec.from));
  }
  const { text, values } = q.order('value').toParam();
  return { text, values };
}

export interface MetadataKeysResponse {
  results: Array<{ key: string; last_seen: string }>;
}

/**
 * Lists the metadata keys (parameters → spec → SQL → rows); with `subaccount`, those of that subaccount's
 * events (0: the primary account's), as this version's loader records them (sql/005_api_keys.sql).
 */
export async function listMetadataKeys(
  rawQuery: string,
  deps: { readonly reader: EventReader },
  subaccount?: number,
): Promise<MetadataKeysResponse> {
  const spec = parseMetadataKeysQuery(rawQuery);
  const rows = await deps.reader.records(buildMetadataKeysQuery(spec, subaccount));
  return { results: rows.map((row) => ({ key: String(row.key), last_seen: String(row.last_seen) })) };
}
