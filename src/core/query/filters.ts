import {
  boundedValue,
  cleanValue,
  dictKeyOf,
  EVENT_ID_HASH,
  hash64,
  hashOf,
  INDEX_FIELDS,
  type IndexField,
  type IndexFieldName,
  keywordsOf,
  metaHash,
  TAG_FIELD,
} from '../events/codes';
import { boundedKey } from '../events/rows';

/** A field a filter can name: an indexed field (codes.ts), or the event id, subject and reason. */
export type FilterField = IndexFieldName | 'eventId' | 'subject' | 'reason';

/**
 * A validated filter: the typed middle of parameters → spec → SQL. Values within one filter are ORed;
 * separate filters are ANDed.
 */
export type Filter =
  /** The field equals one of the values (after the field's normalisation). */
  | { readonly kind: 'exact'; readonly field: FilterField; readonly values: readonly string[] }
  /** One of the values occurs as a whole keyword, or a run of keywords, in the field (SPEC §3.2). */
  | { readonly kind: 'keyword'; readonly field: FilterField; readonly values: readonly string[] }
  /** The event carries one of these rcpt_tags. */
  | { readonly kind: 'tags'; readonly values: readonly string[] }
  /** rcpt_meta holds one of these values at this key path (an array member counts). */
  | { readonly kind: 'meta'; readonly key: string; readonly values: readonly string[] }
  /** The event type is not one of these (the default exclusion of non-message events). */
  | { readonly kind: 'not-type'; readonly values: readonly string[] }
  /** `reason` contains the text, case-insensitively (the legacy API's `reason`). */
  | { readonly kind: 'reason-substring'; readonly value: string };

/** Splits a list parameter on the delimiter; blank items are dropped. */
export function splitList(raw: string, delimiter: string): string[] {
  return raw
    .split(delimiter)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * How an exact filter is looked up. Parameters are validated once, in params.ts; a value that still
 * cannot be a value of the field is left out, and matches nothing.
 */
export type ExactLookup =
  /** Rows whose `hcodes` hold one of these hashes. */
  | { readonly kind: 'hashes'; readonly hashes: readonly string[] }
  /** Rows whose `codes` hold the id of one of these dictionary values. */
  | { readonly kind: 'codes'; readonly field: string; readonly values: readonly string[] }
  /** Rows with one of these event ids (the unique key, through their hashes). */
  | { readonly kind: 'event-ids'; readonly hashes: readonly string[]; readonly ids: readonly string[] };

export function exactLookup(field: FilterField, values: readonly string[]): ExactLookup {
  if (field === 'eventId') {
    // As stored: PostgreSQL text cannot hold NUL, so the loader drops it from ids (rows.ts).
    const ids = values.map((value) => boundedKey(value.replaceAll('\u0000', '')));
    return { kind: 'event-ids', ids, hashes: ids.map((id) => hash64(EVENT_ID_HASH, id)) };
  }
  const indexField = INDEX_FIELDS[field as IndexFieldName] as IndexField | undefined;
  if (!indexField) throw new Error(`${field} has no exact lookup`);
  if (indexField.index === 'hash') {
    return { kind: 'hashes', hashes: values.flatMap((value) => hashOf(indexField, value) ?? []) };
  }
  return {
    kind: 'codes',
    field: indexField.key,
    values: values.flatMap((value) => dictKeyOf(indexField, value)?.value ?? []),
  };
}

/** The dictionary lookups of tags: the values are stored as sent (bounded). */
export function tagLookup(values: readonly string[]): ExactLookup {
  const tags = values.map((value) => cleanValue(value)).filter((value) => value !== '');
  return { kind: 'codes', field: TAG_FIELD, values: tags.map(boundedValue) };
}

/** The hashes of a metadata filter: key and values cleaned as the loader cleans rcpt_meta's (metaPairs). */
export function metaLookup(key: string, values: readonly string[]): ExactLookup {
  return { kind: 'hashes', hashes: values.map((value) => metaHash(cleanValue(key), cleanValue(value))) };
}

/**
 * How a keyword filter is looked up, one entry per value (values made only of separators hold no
 * keyword and are left out):
 * - on a coded field, the dictionary entries of the field whose keywords hold the value's keywords in a
 *   row (`kw LIKE '% k1 k2 %'`);
 * - on the subject, the events whose codes hold every keyword, and, for a phrase, whose whole subject's
 *   keywords hold them in a row;
 * - on the reason, a regular expression over the reason text (trigram index).
 */
export type KeywordLookup =
  | { readonly kind: 'dictionary'; readonly field: string; readonly patterns: readonly string[] }
  | {
      readonly kind: 'subject';
      readonly values: ReadonlyArray<{ readonly keywords: readonly string[]; readonly pattern: string }>;
    }
  | { readonly kind: 'reason'; readonly patterns: readonly string[] };

export function keywordLookup(field: FilterField, values: readonly string[]): KeywordLookup {
  if (field === 'reason') {
    return {
      kind: 'reason',
      patterns: values.flatMap((value) => reasonPattern(keywordsOf(value, 'text')) ?? []),
    };
  }
  if (field === 'subject') {
    return {
      kind: 'subject',
      values: values
        .map((value) => keywordsOf(value, 'text'))
        .filter((keywords) => keywords.length > 0)
        .map((keywords) => ({ keywords: [...new Set(keywords)], pattern: likePhrase(keywords) })),
    };
  }
  const indexField = INDEX_FIELDS[field as IndexFieldName] as IndexField | undefined;
  if (!indexField?.keywords) throw new Error(`${field} has no keyword search`);
  const kind = indexField.keywords;
  return {
    kind: 'dictionary',
    field: indexField.key,
    patterns: values
      .map((value) => keywordsOf(value, kind))
      .filter((keywords) => keywords.length > 0)
      .map(likePhrase),
  };
}

/** `% k1 k2 %`: a run of whole keywords inside an entry's `' k1 k2 … '` keyword text. */
function likePhrase(keywords: readonly string[]): string {
  return `% ${keywords.map(escapeLike).join(' ')} %`;
}

/** The reason's keyword separators (those of `text` keywords: whitespace, `_`, `-`, and control characters). */
const SEPARATOR = '[[:space:][:cntrl:]_-]';

/** A case-insensitive POSIX regular expression matching the keywords as a run of whole keywords. */
function reasonPattern(keywords: readonly string[]): string | undefined {
  if (keywords.length === 0) return undefined;
  const escaped = keywords.map((keyword) => keyword.replace(/[\\^$.|?*+()[\]{}]/g, (char) => `\\${char}`));
  return `(^|${SEPARATOR})${escaped.join(`${SEPARATOR}+`)}(${SEPARATOR}|$)`;
}

/** Escapes LIKE wildcards (backslash is PostgreSQL's default LIKE escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
