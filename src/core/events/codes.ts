import { createHash } from 'node:crypto';
import { isObject, type JsonObject } from './rows';

/**
 * What the index holds of an event (storage v2). Every value a query can filter on becomes either
 *
 *   a dictionary code    low-cardinality values (type, campaign, template, pool, domains, providers, from
 *                        address, sending IP, subaccount, bounce class, A/B test and version, tags) and
 *                        the keywords of the subject: `(field, value)` rows of `terms_dict`, whose int4 ids
 *                        sit in the event's `codes` array. Keyword and phrase filters on coded fields are
 *                        resolved in the dictionary (each entry keeps its value's keywords), so one code per
 *                        value serves exact, keyword and phrase search;
 *   a hash               high-cardinality exact values (recipient, message, transmission, each rcpt_meta
 *                        pair): the first 8 bytes of the MD5 of `<field>=<value>`, in the `hcodes` int8[];
 *                        no dictionary entry. (A lookup could match a colliding value with probability
 *                        about n/2⁶⁴; rows are never rechecked.)
 *
 * plus the whole subject as one more dictionary code (`subj`), to check phrases, the event id's hash
 * (`eh`, in the unique key) and the reason text (trigram index). The loader and the queries both call
 * these functions, so the stored and looked-up forms cannot drift apart.
 */

/** Characters PostgreSQL text cannot hold, and keyword separators elsewhere: cleaned to spaces. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const CONTROL = /[\u0000-\u001f]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same class, to test before replacing.
const HAS_CONTROL = /[\u0000-\u001f]/u;

/** Keywords are kept (and looked up) by at most this many characters. */
const MAX_KEYWORD_CHARS = 100;
/** A dictionary value longer than this (UTF-8 bytes) is replaced by its hash (`#<sha256>`). */
const MAX_VALUE_BYTES = 256;
/** The keyword text of an entry (`' k1 k2 … '`) keeps its first keywords up to this many bytes. */
const MAX_KW_BYTES = 1024;
/** An event's rcpt_meta contributes at most this many pairs to the index (the body keeps them all). */
export const MAX_META_PAIRS = 64;
/** …and its rcpt_tags at most this many tags. */
const MAX_TAGS = 64;

export type Normalise = 'as-is' | 'lower' | 'integer';

/** How a filterable field is indexed. */
export interface IndexField {
  /** The dictionary field (or the hash prefix): short, stable, it is stored. */
  readonly key: string;
  /** Reads the field's value(s) from a flat event; undefined or [] when absent. */
  readonly read: (event: Readonly<JsonObject>) => string | undefined;
  readonly index: 'code' | 'hash';
  /** Exact matching, after this normalisation (absent: the field only has keyword search). */
  readonly exact?: Normalise;
  /** Keyword search: `text` splits at spaces, `-` and `_`; `domain` also at `.`. */
  readonly keywords?: 'text' | 'domain';
}

const text =
  (name: string) =>
  (event: Readonly<JsonObject>): string | undefined =>
    scalarText(event[name]);

/** A boolean as `true`/`false` (SparkPost sends ingest events' `retryable` as a JSON boolean). */
const booleanText =
  (name: string) =>
  (event: Readonly<JsonObject>): string | undefined => {
    const value = event[name];
    return typeof value === 'boolean' ? String(value) : scalarText(value);
  };

function scalarText(value: unknown): string | undefined {
  let raw: string | undefined;
  if (typeof value === 'string') raw = value;
  else if (typeof value === 'number' && Number.isFinite(value)) raw = String(value);
  if (raw === undefined || raw === '') return undefined;
  return HAS_CONTROL.test(raw) ? raw.replace(CONTROL, ' ') : raw;
}

function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  return at >= 0 && at < address.length - 1 ? address.slice(at + 1) : undefined;
}

/** The recipient's domain as SparkPost derives it: the field when sent, else the domain of rcpt_to. */
export function recipientDomainOf(event: Readonly<JsonObject>): string | undefined {
  return scalarText(event.recipient_domain) ?? domainOf(scalarText(event.rcpt_to));
}

/** The sending domain as SparkPost derives it: the field when sent, else the domain of friendly_from. */
export function sendingDomainOf(event: Readonly<JsonObject>): string | undefined {
  return scalarText(event.sending_domain) ?? domainOf(scalarText(event.friendly_from));
}

/** The single-valued filterable fields, keyed by the name the query layers use. */
export const INDEX_FIELDS = {
  type: { key: 't', read: text('type'), index: 'code', exact: 'as-is' },
  recipient: { key: 'r', read: text('rcpt_to'), index: 'hash', exact: 'lower' },
  recipientDomain: { key: 'rd', read: recipientDomainOf, index: 'code', keywords: 'domain' },
  fromAddress: { key: 'f', read: text('friendly_from'), index: 'code', exact: 'lower' },
  sendingDomain: { key: 'sd', read: sendingDomainOf, index: 'code', keywords: 'domain' },
  bounceClass: { key: 'b', read: text('bounce_class'), index: 'code', exact: 'integer' },
  campaign: { key: 'c', read: text('campaign_id'), index: 'code', exact: 'as-is', keywords: 'text' },
  template: { key: 'tp', read: text('template_id'), index: 'code', exact: 'as-is', keywords: 'text' },
  sendingIp: { key: 'i', read: text('sending_ip'), index: 'code', exact: 'as-is' },
  ipPool: { key: 'p', read: text('ip_pool'), index: 'code', keywords: 'text' },
  subaccount: { key: 's', read: text('subaccount_id'), index: 'code', exact: 'integer' },
  message: { key: 'm', read: text('message_id'), index: 'hash', exact: 'as-is' },
  transmission: { key: 'x', read: text('transmission_id'), index: 'hash', exact: 'as-is' },
  mailboxProvider: { key: 'mp', read: text('mailbox_provider'), index: 'code', keywords: 'text' },
  mailboxProviderRegion: {
    key: 'mr',
    read: text('mailbox_provider_region'),
    index: 'code',
    keywords: 'text',
  },
  abTest: { key: 'a', read: text('ab_test_id'), index: 'code', exact: 'as-is', keywords: 'text' },
  abTestVersion: { key: 'av', read: text('ab_test_version'), index: 'code', exact: 'integer' },
  // Ingest events' own filters (`GET /api/v1/events/ingest`: batch_ids, error_types, retryable;
  // developers.sparkpost.com `content/api/events.apib`). Indexed from this version on: ingest events
  // stored before it are not found by these three filters (a replay skips stored events).
  batchId: { key: 'B', read: text('batch_id'), index: 'hash', exact: 'as-is' },
  errorType: { key: 'et', read: text('error_type'), index: 'code', exact: 'as-is' },
  retryable: { key: 'rt', read: booleanText('retryable'), index: 'code', exact: 'lower' },
} as const satisfies Record<string, IndexField>;

export type IndexFieldName = keyof typeof INDEX_FIELDS;

/** Dictionary fields outside INDEX_FIELDS: tags, subject keywords, whole subjects, metadata keys. */
export const TAG_FIELD = 'g';
export const SUBJECT_KEYWORD_FIELD = 'j';
export const SUBJECT_FIELD = 'J';
export const META_KEY_FIELD = 'mk';
/**
 * The rcpt_meta key paths by subaccount (`<subaccount>:<key path>`, `0` for the primary account), so that
 * a key limited to a subaccount lists only the keys of its own events.
 */
export const SCOPED_META_KEY_FIELD = 'mks';
/**
 * The subaccount of the primary account. An event without a subaccount_id (or with one that is not an
 * integer) is indexed as `s=0`, as SparkPost's Events API shows such events (`"subaccount_id": 0`).
 */
export const PRIMARY_SUBACCOUNT = '0';
/** Hash prefix of rcpt_meta pairs (`M=["key","value"]`). */
const META_HASH = 'M';
/** Hash prefix of event ids (the `eh` column). */
export const EVENT_ID_HASH = 'e';

/** Cleans a value given in a query the same way stored values are cleaned. */
export function cleanValue(value: string): string {
  return HAS_CONTROL.test(value) ? value.replace(CONTROL, ' ') : value;
}

/** Splits a value into SparkPost keywords (lower-cased: matching ignores case), each bounded. */
export function keywordsOf(value: string, kind: 'text' | 'domain'): string[] {
  const separators = kind === 'domain' ? /[\s_.-]+/u : /[\s_-]+/u;
  return cleanValue(value)
    .toLowerCase()
    .split(separators)
    .filter(Boolean)
    .map((keyword) => (keyword.length > MAX_KEYWORD_CHARS ? [...keyword].slice(0, MAX_KEYWORD_CHARS).join('') : keyword));
}

/** `' k1 k2 … '`: the form phrase patterns (`% k1 k2 %`) match against, cut to MAX_KW_BYTES. */
function keywordText(keywords: readonly string[]): string {
  let out = ' ';
  for (const keyword of keywords) {
    if (Buffer.byteLength(out) + Buffer.byteLength(keyword) + 1 > MAX_KW_BYTES) break;
    out += `${keyword} `;
  }
  return out;
}

/** Normalises an exact value; undefined when it cannot be one (e.g. "ten" as a bounce class). */
export function exactValue(raw: string, mode: Normalise): string | undefined {
  const value = cleanValue(raw);
  if (mode === 'lower') return value.trim().toLowerCase();
  if (mode === 'integer') {
    const trimmed = value.trim();
    return /^-?\d+$/.test(trimmed) ? String(BigInt(trimmed)) : undefined;
  }
  return value;
}

/** A dictionary value as stored: bounded (a longer value is stored, and looked up, by its hash). */
export function boundedValue(value: string): string {
  return Buffer.byteLength(value) > MAX_VALUE_BYTES
    ? `#${createHash('sha256').update(value).digest('hex')}`
    : value;
}

const hashes = new Map<string, string>();

/**
 * The first 8 bytes of MD5(`<prefix>=<value>`), as the decimal text of an int8. Kept for values that recur
 * (recipients, messages and transmissions come back event after event).
 */
export function hash64(prefix: string, value: string): string {
  const term = `${prefix}=${value}`;
  let hash = hashes.get(term);
  if (hash === undefined) {
    if (hashes.size >= MEMO_LIMIT) hashes.clear();
    hash = createHash('md5').update(term).digest().readBigInt64BE(0).toString();
    hashes.set(term, hash);
  }
  return hash;
}

/** The hash an exact value of a hashed field is indexed by; undefined when it cannot be normalised. */
export function hashOf(field: IndexField, raw: string): string | undefined {
  const value = field.exact ? exactValue(raw, field.exact) : undefined;
  return value === undefined ? undefined : hash64(field.key, value);
}

/** The hash of one rcpt_meta pair: the key path (dots between nested keys) and the value as text. */
export function metaHash(key: string, value: string): string {
  return hash64(META_HASH, JSON.stringify([key, value]));
}

/** A dictionary entry an event refers to: its field and (bounded) value, and for keyword fields its keywords. */
export interface DictKey {
  readonly field: string;
  readonly value: string;
  /** `' k1 k2 … '` for entries keyword filters look into; undefined for exact-only fields. */
  readonly kw?: string;
}

/** The dictionary entry of a coded field's value; undefined when the value cannot be normalised. */
export function dictKeyOf(field: IndexField, raw: string): DictKey | undefined {
  const exact = field.exact ? exactValue(raw, field.exact) : cleanValue(raw);
  if (exact === undefined || exact === '') return undefined;
  const value = boundedValue(exact);
  return field.keywords ? { field: field.key, value, kw: keywordText(keywordsOf(raw, field.keywords)) } : { field: field.key, value };
}

/** What the index holds of one event; the loader resolves `codes` and `subject` to dictionary ids. */
export interface EventIndex {
  /** Dictionary entries whose ids go into `codes` (no duplicates). */
  readonly codes: readonly DictKey[];
  /** The whole subject, with its keywords (which are among `codes`). */
  readonly subject?: DictKey & { readonly keywords: readonly DictKey[] };
  /** The int8 hashes for `hcodes` (decimal text, no duplicates). */
  readonly hashes: readonly string[];
  /** The rcpt_meta key paths, to list in the dictionary for users to discover. */
  readonly metaKeys: readonly string[];
  /** The event's subaccount as indexed (`s` code): its integer, or PRIMARY_SUBACCOUNT. */
  readonly subaccount: string;
}

/**
 * The index entries of one flat event. Memoised by raw value for coded fields: campaigns, templates and
 * pools recur on every event, so most of this is a map lookup.
 */
export function indexOf(event: Readonly<JsonObject>): EventIndex {
  const codes = new Map<string, DictKey>();
  const add = (key: DictKey | undefined) => {
    if (key) codes.set(`${key.field}\u0000${key.value}`, key);
  };
  const hashes = new Set<string>();
  let subaccount: string | undefined;
  for (const field of Object.values(INDEX_FIELDS) as IndexField[]) {
    const raw = field.read(event);
    if (raw === undefined) continue;
    if (field.index === 'hash') {
      const hash = hashOf(field, raw);
      if (hash !== undefined) hashes.add(hash);
      continue;
    }
    const key = memoisedDictKey(field, raw);
    add(key);
    if (field === INDEX_FIELDS.subaccount) subaccount = key?.value;
  }
  if (subaccount === undefined) {
    subaccount = PRIMARY_SUBACCOUNT;
    add({ field: INDEX_FIELDS.subaccount.key, value: PRIMARY_SUBACCOUNT });
  }
  const tags = Array.isArray(event.rcpt_tags) ? event.rcpt_tags.slice(0, MAX_TAGS) : [];
  for (const tag of tags) {
    const raw = scalarText(tag);
    if (raw !== undefined) add({ field: TAG_FIELD, value: boundedValue(raw) });
  }
  const metaKeys = new Set<string>();
  for (const [key, value] of metaPairs(event.rcpt_meta)) {
    hashes.add(metaHash(key, value));
    // Listed in the dictionary, whose index entries are bounded: a longer key is listed by its hash.
    metaKeys.add(boundedValue(key));
  }
  let subject: EventIndex['subject'];
  const rawSubject = scalarText(event.subject);
  if (rawSubject !== undefined) {
    const words = keywordsOf(rawSubject, 'text');
    const keywords = [...new Set(words)].map((word) => ({ field: SUBJECT_KEYWORD_FIELD, value: word }));
    for (const keyword of keywords) add(keyword);
    subject = { field: SUBJECT_FIELD, value: boundedValue(rawSubject), kw: keywordText(words), keywords };
  }
  return {
    codes: [...codes.values()],
    ...(subject ? { subject } : {}),
    hashes: [...hashes],
    metaKeys: [...metaKeys],
    subaccount,
  };
}

/**
 * The (key path, value) pairs of rcpt_meta that filters can match: strings, numbers and booleans as
 * their JSON text (`5`, `true`), members of arrays as values of their key (arrays in arrays are not),
 * nested objects under dotted paths (`{"a":{"b":1}}` → `a.b`, as is `{"a.b":1}`). Control characters
 * become spaces in key paths as in values (PostgreSQL text, where the keys are listed, cannot hold NUL;
 * metaLookup cleans a filter's key and values the same way). At most MAX_META_PAIRS, walked without
 * recursion.
 */
export function metaPairs(meta: unknown): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!isObject(meta)) return pairs;
  const stack: Array<[string, unknown]> = Object.entries(meta).reverse();
  while (stack.length > 0 && pairs.length < MAX_META_PAIRS) {
    const [key, value] = stack.pop() as [string, unknown];
    if (typeof value === 'string') pairs.push([cleanValue(key), cleanValue(value)]);
    else if (typeof value === 'number' || typeof value === 'boolean') pairs.push([cleanValue(key), String(value)]);
    else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) {
        const member = value[i];
        if (!Array.isArray(member)) stack.push([key, member]);
      }
    } else if (isObject(value)) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [inner, innerValue] = entries[i] as [string, unknown];
        stack.push([`${key}.${inner}`, innerValue]);
      }
    }
  }
  return pairs;
}

const MEMO_LIMIT = 20_000;
const memo = new Map<string, DictKey | undefined>();

function memoisedDictKey(field: IndexField, raw: string): DictKey | undefined {
  const id = `${field.key}\u0000${raw}`;
  if (memo.has(id)) return memo.get(id);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  const key = dictKeyOf(field, raw);
  memo.set(id, key);
  return key;
}

/** Dictionary fields that hold several values per event: they never stand for one field of the body. */
const MULTI_VALUED = new Set([TAG_FIELD, SUBJECT_KEYWORD_FIELD]);

/** The single-valued dictionary values of an event, by dictionary field (what chunks.ts restores from). */
export function fieldValues(index: EventIndex): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of index.codes) if (!MULTI_VALUED.has(key.field)) values[key.field] = key.value;
  if (index.subject) values[SUBJECT_FIELD] = index.subject.value;
  return values;
}
