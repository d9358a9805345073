import type { FlatEvent } from './seed';

/**
 * An independent, plain-JavaScript statement of what each query parameter means (SPEC §2.1, §3.1,
 * §3.2): the suites compare the service's answers with it. It shares no code with src/.
 */
type Predicate = (event: FlatEvent) => boolean;

const OTHER_TYPES = new Set([
  'relay_injection',
  'relay_rejection',
  'relay_delivery',
  'relay_tempfail',
  'relay_permfail',
  'ab_test_completed',
  'ab_test_cancelled',
  'success',
  'error',
]);

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const domain = (address: unknown) => {
  const text = str(address);
  return text?.includes('@') ? text.slice(text.lastIndexOf('@') + 1) : undefined;
};

function words(value: string, splitDots: boolean): string[] {
  return value
    .toLowerCase()
    .split(splitDots ? /[\s_.-]+/ : /[\s_-]+/)
    .filter((w) => w !== '');
}

/** SPEC §3.2: the value's keywords appear, in order and adjacent, among the field's keywords. */
function keywordMatches(field: string | undefined, value: string, splitDots = false): boolean {
  if (field === undefined) return false;
  const have = words(field, splitDots);
  const want = words(value, splitDots);
  if (want.length === 0) return false;
  for (let start = 0; start + want.length <= have.length; start += 1) {
    if (want.every((w, k) => have[start + k] === w)) return true;
  }
  return false;
}

const FIELD: Record<string, (e: FlatEvent) => string | undefined> = {
  event_id: (e) => str(e.event_id),
  rcpt_to: (e) => str(e.rcpt_to),
  recipient_domain: (e) => str(e.recipient_domain) ?? domain(e.rcpt_to),
  friendly_from: (e) => str(e.friendly_from),
  sending_domain: (e) => str(e.sending_domain) ?? domain(e.friendly_from),
  subject: (e) => str(e.subject),
  bounce_class: (e) => str(e.bounce_class),
  reason: (e) => str(e.reason),
  campaign_id: (e) => str(e.campaign_id),
  template_id: (e) => str(e.template_id),
  sending_ip: (e) => str(e.sending_ip),
  ip_pool: (e) => str(e.ip_pool),
  subaccount_id: (e) => str(e.subaccount_id),
  message_id: (e) => str(e.message_id),
  transmission_id: (e) => str(e.transmission_id),
  mailbox_provider: (e) => str(e.mailbox_provider),
  mailbox_provider_region: (e) => str(e.mailbox_provider_region),
  ab_test_id: (e) => str(e.ab_test_id),
  ab_test_version: (e) => str(e.ab_test_version),
};

/** A parameter's meaning, given its values (and its name, for `meta.<key>`). */
type Rule = (values: string[], name: string) => Predicate;
const exact =
  (field: string, fold = false): Rule =>
  (values) =>
  (e) => {
    const have = FIELD[field]?.(e);
    return (
      have !== undefined && values.some((v) => (fold ? v.toLowerCase() === have.toLowerCase() : v === have))
    );
  };
const integer =
  (field: string): Rule =>
  (values) =>
  (e) => {
    const have = FIELD[field]?.(e);
    return have !== undefined && values.some((v) => Number(v) === Number(have));
  };
/**
 * `subaccounts`: the event's subaccount is one of the values, an event without an integer subaccount_id
 * being the primary account's, 0 (SparkPost's Events API shows them with `"subaccount_id": 0`).
 */
const subaccounts: Rule = (values) => (e) => {
  const have = FIELD.subaccount_id?.(e);
  const id = have !== undefined && /^\s*-?\d+\s*$/.test(have) ? BigInt(have.trim()) : 0n;
  return values.some((v) => /^\s*-?\d+\s*$/.test(v) && BigInt(v.trim()) === id);
};
const keyword =
  (field: string, dots = false): Rule =>
  (values) =>
  (e) =>
    values.some((v) => keywordMatches(FIELD[field]?.(e), v, dots));

/** Control characters, which the stored form (PostgreSQL text) turns into spaces, in values as in queries. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it matches.
const clean = (text: string) => text.replace(/[\u0000-\u001f]/g, ' ');

/** `tags`: one of the event's rcpt_tags (strings) is one of the values, exactly (case matters). */
const tags: Rule = (values) => {
  const wanted = new Set(values.map(clean));
  return (e) =>
    Array.isArray(e.rcpt_tags) &&
    e.rcpt_tags.some((tag) => typeof tag === 'string' && wanted.has(clean(tag)));
};

/**
 * Every (key path, value) of rcpt_meta: nested objects' keys joined by dots, strings as they are,
 * numbers and booleans as their JSON text, each member of an array as a value of the array's key (an
 * object member nests under it; an array member does not count). null counts as nothing.
 */
function metaEntries(meta: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const visit = (value: unknown, path: string, inArray: boolean) => {
    if (typeof value === 'string') out.push([path, clean(value)]);
    else if (typeof value === 'number' || typeof value === 'boolean') out.push([path, JSON.stringify(value)]);
    else if (Array.isArray(value)) {
      if (!inArray) for (const member of value) visit(member, path, true);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) visit(inner, `${path}.${clean(key)}`, false);
    }
  };
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
    for (const [key, value] of Object.entries(meta)) visit(value, clean(key), false);
  }
  return out;
}

/** `meta.<key path>`: rcpt_meta holds one of the values at that path (see metaEntries). */
const meta: Rule = (values, name) => {
  const key = clean(name.slice('meta.'.length));
  const wanted = new Set(values.map(clean));
  return (e) => metaEntries(e.rcpt_meta).some(([path, value]) => path === key && wanted.has(value));
};

/** The rules both APIs add to SparkPost's: `tags`, and `meta.*` for every `meta.<key>` parameter. */
const EXTENSION_RULES: Record<string, Rule> = { tags, 'meta.*': meta };

export const EVENTS_API_RULES: Record<string, Rule> = {
  event_ids: exact('event_id'),
  recipients: exact('rcpt_to', true),
  recipient_domains: keyword('recipient_domain', true),
  from_addresses: exact('friendly_from', true),
  sending_domains: keyword('sending_domain', true),
  subjects: keyword('subject'),
  bounce_classes: integer('bounce_class'),
  reasons: keyword('reason'),
  campaigns: keyword('campaign_id'),
  templates: keyword('template_id'),
  sending_ips: exact('sending_ip'),
  ip_pools: keyword('ip_pool'),
  subaccounts,
  messages: exact('message_id'),
  transmissions: exact('transmission_id'),
  mailbox_providers: keyword('mailbox_provider'),
  mailbox_provider_regions: keyword('mailbox_provider_region'),
  ab_tests: keyword('ab_test_id'),
  ab_test_versions: integer('ab_test_version'),
  ...EXTENSION_RULES,
};

export const LEGACY_RULES: Record<string, Rule> = {
  recipients: exact('rcpt_to', true),
  friendly_froms: exact('friendly_from', true),
  bounce_classes: integer('bounce_class'),
  subaccounts,
  transmission_ids: exact('transmission_id'),
  campaign_ids: exact('campaign_id'),
  template_ids: exact('template_id'),
  ab_test_ids: exact('ab_test_id'),
  message_ids: exact('message_id'),
  reason: (values) => (e) => {
    const reason = FIELD.reason?.(e);
    const wanted = values.join(',');
    return reason?.toLowerCase().includes(wanted.toLowerCase()) === true;
  },
  ...EXTENSION_RULES,
};

/**
 * The events a query selects, newest first (ties by event_id), given `params` as name → list items.
 * `rules` is the API's table; `events` and the time window are handled here.
 */
export function expectedEvents(
  events: readonly FlatEvent[],
  params: Readonly<Record<string, string[]>>,
  rules: Record<string, Rule>,
  window: { from: number; to: number },
): FlatEvent[] {
  const predicates: Predicate[] = [];
  const types = params.events ?? [];
  predicates.push(
    types.length > 0 ? (e) => types.includes(e.type as string) : (e) => !OTHER_TYPES.has(e.type as string),
  );
  for (const [name, values] of Object.entries(params)) {
    const rule = rules[name] ?? (name.startsWith('meta.') ? rules['meta.*'] : undefined);
    if (rule && values.length > 0) predicates.push(rule(values, name));
  }
  const ts = (e: FlatEvent) => Number(e.timestamp) * 1000;
  return events
    .filter((e) => ts(e) >= window.from && ts(e) < window.to && predicates.every((p) => p(e)))
    .sort((a, b) => ts(b) - ts(a) || byCodePoint(String(a.event_id), String(b.event_id)));
}

/** PostgreSQL's "C" collation order, which event ids are sorted by. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
