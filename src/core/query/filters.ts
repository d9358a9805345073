import {
  exactTerm,
  keywordsOf,
  keywordTerm,
  phraseTerm,
  TERM_FIELDS,
  type TermField,
  type TermFieldName,
} from '../events/terms';

/**
 * A validated filter: the typed middle of parameters → spec → SQL. Values within one filter are ORed;
 * separate filters are ANDed.
 */
export type Filter =
  /** The field equals one of the values (after the field's normalisation). */
  | { readonly kind: 'exact'; readonly field: TermFieldName; readonly values: readonly string[] }
  /** One of the values occurs as a whole keyword, or a run of keywords, in the field (SPEC §3.2). */
  | { readonly kind: 'keyword'; readonly field: TermFieldName; readonly values: readonly string[] }
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
 * Exact terms for the values. Parameters are validated once, in params.ts; a value that still cannot be a
 * value of the field has no term, and matches nothing.
 */
export function exactTerms(fieldName: TermFieldName, values: readonly string[]): string[] {
  const field: TermField = TERM_FIELDS[fieldName];
  return values.map((value) => exactTerm(field, value)).filter((term): term is string => term !== undefined);
}

/** How one keyword filter value is looked up: a single keyword term, or all keywords plus a phrase check. */
export type KeywordLookup =
  | { readonly kind: 'term'; readonly term: string }
  | { readonly kind: 'phrase'; readonly terms: readonly string[]; readonly pattern: string }
  | { readonly kind: 'nothing' };

export function keywordLookup(fieldName: TermFieldName, value: string): KeywordLookup {
  const field: TermField = TERM_FIELDS[fieldName];
  const keywords = keywordsOf(value, field.keywords ?? 'text');
  if (keywords.length === 0) return { kind: 'nothing' };
  if (keywords.length === 1) return { kind: 'term', term: keywordTerm(field, keywords[0] as string) };
  // The stored phrase term is `<prefix>~ k1 k2 … kn `; the value's keywords must appear in it in a row.
  const phrase = phraseTerm(field, keywords);
  const pattern = `${escapeLike(`${field.prefix}~`)}%${escapeLike(phrase.slice(field.prefix.length + 1))}%`;
  return { kind: 'phrase', terms: keywords.map((keyword) => keywordTerm(field, keyword)), pattern };
}

/** Escapes LIKE wildcards (backslash is PostgreSQL's default LIKE escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
