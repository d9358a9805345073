/**
 * A deterministic data set for the query suites: every filterable field takes values chosen so that each
 * parameter has matching and non-matching rows, including SPEC §3.2's keyword examples.
 */
export const SEED_FROM = Date.UTC(2025, 8, 1, 0, 0);
export const SEED_TO = Date.UTC(2025, 8, 2, 0, 0);
export const SEED_WINDOW = 'from=2025-09-01T00:00:00Z&to=2025-09-02T00:00:00Z';

/** A deterministic, well-mixed choice per (row, field), so that field values are not correlated. */
function pick<T>(values: readonly T[], i: number, salt: number): T {
  let h = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return values[(h >>> 0) % values.length] as T;
}

export const SEED_VALUES = {
  types: [
    'delivery',
    'injection',
    'open',
    'click',
    'bounce',
    'delay',
    'spam_complaint',
    'policy_rejection',
    'relay_delivery',
  ],
  recipients: ['a@mail.yahoo.com', 'b@yahoo.co.uk', 'c@gmail.com', 'd@yahoomail.com', 'E@Example.org'],
  froms: ['news@info.example.com', 'deals@example.com.uk', 'hello@notexample.com', 'Team@Shop.io'],
  subjects: ['Black Friday deals', 'Your weekly digest', 'Friday fun', 'Summer deals are here!'],
  reasons: [
    '5.4.7 Example text',
    '550 5.1.1 User unknown',
    '421 4.7.0 Try again later',
    'MAIL REFUSED - IP (a.b.c.d) is in black list',
  ],
  bounceClasses: ['10', '25', '1'],
  campaigns: ['blackfriday-specials', 'friday', 'Summer_Sale 2025', 'newsletter'],
  templates: ['welcome-email', 'reset_password', 'digest'],
  sendingIps: ['10.0.0.1', '10.0.0.2', '192.168.1.7'],
  ipPools: ['admin_notify', 'administrator', 'default'],
  subaccounts: ['0', '101', '102'],
  providers: ['Gmail', 'Verizon Media Group', 'Outlook'],
  regions: ['North America - USA', 'Europe - UK', 'Asia - Japan'],
  abTests: ['subject-test', 'cta_test', 'subject'],
  abVersions: ['1', '2'],
  /** rcpt_tags come from this pool, 0–3 to an event; `Promo` and `promo` are different tags. */
  tags: ['vip', 'newsletter', 'Promo', 'promo', 'onboarding', 'churn-risk'],
  /** rcpt_meta.user_id, one per recipient (in the order of `recipients`). */
  userIds: ['u-1001', 'u-1002', 'u-1003', 'u-1004', 'u-1005'],
  /** rcpt_meta.score: numbers, and once the string "5" (another sender's system). */
  scores: [5, 12.5, 0, -3, '5'],
  /** rcpt_meta.interests; the last one holds an array in an array, which filters do not look into. */
  interests: [['shoes'], ['shoes', 'travel'], [], ['books', 'travel', 'shoes'], ['books', ['nested']]],
  tiers: ['gold', 'silver'],
} as const;

/**
 * Realistic rcpt_tags (0–3 of the pool) and rcpt_meta: a per-recipient user id, a numeric score, a
 * boolean (now and then the string "true"), an array of strings, nested objects
 * ({"plan":{"tier":"gold"}}), an array of objects, and on a few events a note with control characters.
 * Some events carry neither. No other field depends on them, so no other filter's matches change.
 */
function recipientData(i: number, rcpt: string): Record<string, unknown> {
  const v = SEED_VALUES;
  const extra: Record<string, unknown> = {};
  if (i % 11 !== 10) {
    const count = pick([0, 1, 2, 3], i, 16);
    const start = pick([0, 1, 2, 3, 4, 5], i, 17);
    extra.rcpt_tags = Array.from({ length: count }, (_, k) => v.tags[(start + k) % v.tags.length]);
  }
  if (i % 7 !== 5) {
    const meta: Record<string, unknown> = {
      user_id: v.userIds[(v.recipients as readonly string[]).indexOf(rcpt)],
      score: pick(v.scores, i, 18),
      vip: pick([true, false, true, false, 'true'], i, 19),
      interests: pick(v.interests, i, 20),
    };
    const tier = pick([...v.tiers, undefined], i, 21);
    if (tier) meta.plan = tier === 'gold' ? { tier } : { tier, seats: 3 };
    if (i % 5 === 0) meta.orders = [{ sku: pick(['A1', 'B2'], i, 22) }, { sku: 'C3' }];
    if (i % 13 === 0) meta.note = 'call\nback\u0001later';
    extra.rcpt_meta = meta;
  }
  return extra;
}

const CATEGORY: Record<string, string> = {
  open: 'track_event',
  click: 'track_event',
  relay_delivery: 'relay_event',
};
const WITH_REASON = new Set(['bounce', 'delay', 'policy_rejection']);

/** `count` webhook elements spread over the seed window, all distinct. */
export function seedElements(count = 240) {
  const v = SEED_VALUES;
  return Array.from({ length: count }, (_, i) => {
    const type = v.types[i % v.types.length] as string;
    const rcpt = pick(v.recipients, i, 2);
    const event: Record<string, unknown> = {
      type,
      event_id: `seed-${String(i).padStart(4, '0')}`,
      timestamp: String(Math.floor((SEED_FROM + i * 6 * 60_000 + (i % 3) * 1000) / 1000)),
      rcpt_to: rcpt.toLowerCase(),
      raw_rcpt_to: rcpt,
      friendly_from: pick(v.froms, i, 3),
      subject: pick(v.subjects, i, 4),
      campaign_id: pick(v.campaigns, i, 5),
      template_id: pick(v.templates, i, 6),
      sending_ip: pick(v.sendingIps, i, 7),
      ip_pool: pick(v.ipPools, i, 8),
      subaccount_id: pick(v.subaccounts, i, 9),
      message_id: `msg-${Math.floor(i / 3)}`,
      transmission_id: String(9000 + Math.floor(i / 10)),
      customer_id: '42',
      mailbox_provider: pick(v.providers, i, 10),
      mailbox_provider_region: pick(v.regions, i, 11),
      ...recipientData(i, rcpt),
    };
    if (i % 4 !== 3) {
      event.ab_test_id = pick(v.abTests, i, 12);
      event.ab_test_version = pick(v.abVersions, i, 13);
    }
    if (WITH_REASON.has(type)) {
      event.reason = pick(v.reasons, i, 14);
      event.bounce_class = pick(v.bounceClasses, i, 15);
    }
    return { msys: { [CATEGORY[type] ?? 'message_event']: event } };
  });
}

export type FlatEvent = Record<string, unknown>;

/** The flat events of seedElements, for the oracle. */
export function seedEvents(count = 240): FlatEvent[] {
  return seedElements(count).map((element) => Object.values(element.msys)[0] as FlatEvent);
}
