import { createHash } from 'node:crypto';

/**
 * Search terms: every field either query API filters on is reduced to short prefixed strings kept in one
 * `terms text[]` column with one GIN index, which serves every equality and keyword filter at once
 * (and combinations of them, through bitmap AND/OR) instead of one B-tree per field.
 *
 *   `<prefix>=<value>`     the exact value (recipients, message ids, campaign ids for the legacy API…)
 *   `<prefix>:<keyword>`   one keyword of a keyword-searchable field (SparkPost's keyword search)
 *   `<prefix>~ <k1> <k2> ` all keywords of a multi-keyword value in order, for phrase checks
 *
 * The same functions build the stored terms (loader) and the looked-up terms (queries), so the two
 * cannot drift apart. Terms are bounded, because PostgreSQL refuses an index entry over ~2.7 KB (and with
 * it the whole insert): a long exact value is indexed by its hash (`<prefix>#<sha256>`), a keyword by its
 * first MAX_KEYWORD_CHARS characters, and a phrase by as many of its first keywords as fit in
 * MAX_PHRASE_BYTES. Values themselves are always returned whole: only their index entry is bounded.
 */

/** Exact values longer than this (UTF-8 bytes) are indexed by their hash. */
const MAX_EXACT_BYTES = 256;
/** Keywords are indexed (and looked up) by at most this many characters. */
const MAX_KEYWORD_CHARS = 100;
/** A phrase term holds the value's first keywords up to this many bytes. */
const MAX_PHRASE_BYTES = 1024;

/** How a field's value is indexed. */
export interface TermField {
  /** Short prefix naming the field inside `terms`; stable, it is stored. */
  readonly prefix: string;
  /** Read the value from a flat event; undefined when absent. */
  readonly read: (event: Readonly<Record<string, unknown>>) => string | undefined;
  /** Index the exact value, normalised this way. */
  readonly exact?: 'as-is' | 'lower' | 'integer';
  /** Index keywords: `text` splits at spaces, `-` and `_`; `domain` also at `.`. */
  readonly keywords?: 'text' | 'domain';
}

const text = (name: string) => (event: Readonly<Record<string, unknown>>) => scalarText(event[name]);

/**
 * Control characters never reach a term (PostgreSQL text cannot hold NUL, and U+001F separates terms in
 * the loader); they become spaces, which keyword splitting treats like any other whitespace.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const CONTROL = /[\u0000-\u001f]/gu;

function scalarText(value: unknown): string | undefined {
  let raw: string | undefined;
  if (typeof value === 'string') raw = value;
  else if (typeof value === 'number' && Number.isFinite(value)) raw = String(value);
  const cleaned = raw?.replace(CONTROL, ' ');
  return cleaned === '' ? undefined : cleaned;
}

/** Cleans a value given in a query the same way stored values are cleaned. */
function cleanValue(value: string): string {
  return value.replace(CONTROL, ' ');
}

function domainOf(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  return at >= 0 && at < address.length - 1 ? address.slice(at + 1) : undefined;
}

/** The filterable fields, keyed by a name the query layers use. */
export const TERM_FIELDS = {
  type: { prefix: 't', read: text('type'), exact: 'as-is' },
  eventId: { prefix: 'e', read: text('event_id'), exact: 'as-is' },
  recipient: { prefix: 'r', read: text('rcpt_to'), exact: 'lower' },
  recipientDomain: {
    prefix: 'rd',
    read: (e) => scalarText(e.recipient_domain) ?? domainOf(scalarText(e.rcpt_to)),
    keywords: 'domain',
  },
  fromAddress: { prefix: 'f', read: text('friendly_from'), exact: 'lower' },
  sendingDomain: {
    prefix: 'sd',
    read: (e) => scalarText(e.sending_domain) ?? domainOf(scalarText(e.friendly_from)),
    keywords: 'domain',
  },
  subject: { prefix: 'j', read: text('subject'), keywords: 'text' },
  bounceClass: { prefix: 'b', read: text('bounce_class'), exact: 'integer' },
  reason: { prefix: 'rs', read: text('reason'), keywords: 'text' },
  campaign: { prefix: 'c', read: text('campaign_id'), exact: 'as-is', keywords: 'text' },
  template: { prefix: 'tp', read: text('template_id'), exact: 'as-is', keywords: 'text' },
  sendingIp: { prefix: 'i', read: text('sending_ip'), exact: 'as-is' },
  ipPool: { prefix: 'p', read: text('ip_pool'), keywords: 'text' },
  subaccount: { prefix: 's', read: text('subaccount_id'), exact: 'integer' },
  message: { prefix: 'm', read: text('message_id'), exact: 'as-is' },
  transmission: { prefix: 'x', read: text('transmission_id'), exact: 'as-is' },
  mailboxProvider: { prefix: 'mp', read: text('mailbox_provider'), keywords: 'text' },
  mailboxProviderRegion: { prefix: 'mr', read: text('mailbox_provider_region'), keywords: 'text' },
  abTest: { prefix: 'a', read: text('ab_test_id'), exact: 'as-is', keywords: 'text' },
  abTestVersion: { prefix: 'av', read: text('ab_test_version'), exact: 'integer' },
} as const satisfies Record<string, TermField>;

export type TermFieldName = keyof typeof TERM_FIELDS;

/** Splits a value into SparkPost keywords (lower-cased; matching is case-insensitive). */
export function keywordsOf(value: string, kind: 'text' | 'domain'): string[] {
  const separators = kind === 'domain' ? /[\s_.-]+/u : /[\s_-]+/u;
  return cleanValue(value)
    .toLowerCase()
    .split(separators)
    .filter(Boolean)
    .map((keyword) => (keyword.length > MAX_KEYWORD_CHARS ? [...keyword].slice(0, MAX_KEYWORD_CHARS).join('') : keyword));
}

/** Normalises an exact value; undefined when it cannot be normalised (e.g. a non-integer class). */
export function exactValue(raw: string, mode: 'as-is' | 'lower' | 'integer'): string | undefined {
  const value = cleanValue(raw);
  if (mode === 'lower') return value.trim().toLowerCase();
  if (mode === 'integer') {
    const trimmed = value.trim();
    return /^-?\d+$/.test(trimmed) ? String(BigInt(trimmed)) : undefined;
  }
  return value;
}

export function exactTerm(field: TermField, value: string): string | undefined {
  const normalised = field.exact ? exactValue(value, field.exact) : undefined;
  if (normalised === undefined) return undefined;
  return Buffer.byteLength(normalised) > MAX_EXACT_BYTES
    ? `${field.prefix}#${createHash('sha256').update(normalised).digest('hex')}`
    : `${field.prefix}=${normalised}`;
}

export function keywordTerm(field: TermField, keyword: string): string {
  return `${field.prefix}:${keyword}`;
}

/** The phrase term of a run of keywords: `<prefix>~ k1 k2 … kn `, cut after the last keyword that fits. */
export function phraseTerm(field: TermField, keywords: readonly string[]): string {
  let phrase = `${field.prefix}~ `;
  let bytes = Buffer.byteLength(phrase);
  for (const keyword of keywords) {
    const size = Buffer.byteLength(keyword) + 1;
    if (bytes + size > MAX_PHRASE_BYTES) break;
    phrase += `${keyword} `;
    bytes += size;
  }
  return phrase;
}

/** Every term of one flat event, without duplicates. */
export function termsOf(event: Readonly<Record<string, unknown>>): string[] {
  const terms = new Set<string>();
  for (const field of Object.values(TERM_FIELDS) as TermField[]) {
    const value = field.read(event);
    if (value === undefined) continue;
    if (field.exact) {
      const term = exactTerm(field, value);
      if (term !== undefined) terms.add(term);
    }
    if (field.keywords) {
      const keywords = keywordsOf(value, field.keywords);
      for (const keyword of keywords) terms.add(keywordTerm(field, keyword));
      if (keywords.length > 1) terms.add(phraseTerm(field, keywords));
    }
  }
  return [...terms];
}
