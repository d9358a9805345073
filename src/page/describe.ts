/**
 * What the lookup page says about events: labels, the fields each type shows, bounce classes, times in the
 * agent's zone. Pure functions (no DOM), shared by the page and its unit tests.
 */

/** One event as the Events API returns it: flat, `timestamp` ISO 8601 UTC. */
export type ApiEvent = Readonly<Record<string, unknown>>;

/** A field's value as text; absent, empty, objects and arrays give undefined. */
export function text(event: ApiEvent, field: string): string | undefined {
  const value = event[field];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Epoch milliseconds of the event's `timestamp` (NaN when it has none). */
export function eventTime(event: ApiEvent): number {
  const value = event.timestamp;
  return typeof value === 'string' || typeof value === 'number' ? new Date(value).getTime() : Number.NaN;
}

const LABELS: Readonly<Record<string, string>> = {
  injection: 'Injected',
  delivery: 'Delivered',
  delay: 'Delayed',
  bounce: 'Bounced',
  out_of_band: 'Bounced after delivery (out of band)',
  policy_rejection: 'Rejected by policy',
  spam_complaint: 'Spam complaint',
  open: 'Opened',
  initial_open: 'Opened (first pixel)',
  amp_open: 'Opened (AMP)',
  amp_initial_open: 'Opened (AMP, first pixel)',
  click: 'Clicked',
  amp_click: 'Clicked (AMP)',
  generation_failure: 'Generation failed',
  generation_rejection: 'Generation rejected',
  list_unsubscribe: 'Unsubscribed (List-Unsubscribe)',
  link_unsubscribe: 'Unsubscribed (link)',
  sms_status: 'SMS status',
  relay_injection: 'Relay: received',
  relay_rejection: 'Relay: rejected',
  relay_delivery: 'Relay: delivered to the relay webhook',
  relay_tempfail: 'Relay: temporary failure',
  relay_permfail: 'Relay: failed',
  ab_test_completed: 'A/B test completed',
  ab_test_cancelled: 'A/B test cancelled',
  success: 'Ingest batch succeeded',
  error: 'Ingest batch failed',
};

/** The agent-facing name of an event type; an unknown type is shown as it is. */
export function eventLabel(type: string): string {
  return LABELS[type] ?? type;
}

/**
 * Where a type falls in a message's life, to order events of the same second (an injection and its
 * delivery often share one): the injection first, then attempts, the outcome, engagement, complaints.
 */
const STAGE: Readonly<Record<string, number>> = {
  injection: 0,
  generation_failure: 0,
  generation_rejection: 0,
  policy_rejection: 0,
  delay: 1,
  delivery: 2,
  bounce: 2,
  out_of_band: 3,
  initial_open: 4,
  amp_initial_open: 4,
  open: 5,
  amp_open: 5,
  click: 6,
  amp_click: 6,
  spam_complaint: 7,
  list_unsubscribe: 7,
  link_unsubscribe: 7,
};

/** Oldest first; same-time events by their stage in a message's life, then by id. */
export function chronological(a: ApiEvent, b: ApiEvent): number {
  const byTime = eventTime(a) - eventTime(b);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  const stage = (event: ApiEvent) => STAGE[text(event, 'type') ?? ''] ?? 4;
  const byStage = stage(a) - stage(b);
  if (byStage !== 0) return byStage;
  return (text(a, 'event_id') ?? '').localeCompare(text(b, 'event_id') ?? '');
}

/** SparkPost's bounce classification codes (support.sparkpost.com, "Bounce Classification Codes"). */
const BOUNCE_CLASSES: Readonly<Record<string, readonly [name: string, category: string]>> = {
  '1': ['Undetermined', 'undetermined'],
  '10': ['Invalid Recipient', 'hard'],
  '20': ['Soft Bounce', 'soft'],
  '21': ['DNS Failure', 'soft'],
  '22': ['Mailbox Full', 'soft'],
  '23': ['Too Large', 'soft'],
  '24': ['Timeout', 'soft'],
  '25': ['Admin Failure', 'admin'],
  '30': ['Generic Bounce: No RCPT', 'hard'],
  '40': ['Generic Bounce', 'soft'],
  '50': ['Mail Block', 'block'],
  '51': ['Spam Block', 'block'],
  '52': ['Spam Content', 'block'],
  '53': ['Prohibited Attachment', 'block'],
  '54': ['Relaying Denied', 'block'],
  '60': ['Auto-Reply', 'soft'],
  '70': ['Transient Failure', 'soft'],
  '80': ['Subscribe', 'admin'],
  '90': ['Unsubscribe', 'hard'],
  '100': ['Challenge-Response', 'soft'],
};

/** `10 — Invalid Recipient (hard bounce)`; a code SparkPost's table lacks is shown as the number. */
export function describeBounceClass(code: string): string {
  const known = BOUNCE_CLASSES[code.trim()];
  return known ? `${code.trim()} — ${known[0]} (${known[1]} bounce)` : code;
}

/** One line of an event's or a message's details. */
export interface Detail {
  readonly label: string;
  readonly value: string;
  /** Long machine text (reasons, URLs, user agents): shown as code, wrapped anywhere. */
  readonly code?: boolean;
}

function location(event: ApiEvent): string | undefined {
  const geo = event.geo_ip;
  if (typeof geo !== 'object' || geo === null) return undefined;
  const parts = ['city', 'region', 'country']
    .map((field) => text(geo as ApiEvent, field))
    .filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

type Field = readonly [label: string, read: (event: ApiEvent) => string | undefined, code?: boolean];

const field =
  (name: string) =>
  (event: ApiEvent): string | undefined =>
    text(event, name);

const REASON: readonly Field[] = [
  ['Reason', field('reason'), true],
  ['Bounce class', (event) => mapText(text(event, 'bounce_class'), describeBounceClass)],
  ['SMTP code', field('error_code')],
];
const ENGAGEMENT: readonly Field[] = [
  ['Location', location],
  ['Client IP', field('ip_address')],
  ['User agent', field('user_agent'), true],
];

/** What each type shows, in order; the rest of the event is one click away in its raw JSON. */
const DETAILS: Readonly<Record<string, readonly Field[]>> = {
  injection: [
    ['Received by', field('recv_method')],
    ['Size', (event) => mapText(text(event, 'msg_size'), (size) => `${size} bytes`)],
  ],
  delivery: [
    ['Remote server', field('ip_address')],
    ['Receiving domain', field('routing_domain')],
    ['Mailbox provider', field('mailbox_provider')],
    ['Queue time', (event) => mapText(text(event, 'queue_time'), milliseconds)],
    ['Earlier attempts', field('num_retries')],
    ['TLS', (event) => mapText(text(event, 'outbound_tls'), (tls) => (tls === '1' ? 'yes' : 'no'))],
  ],
  delay: [...REASON, ['Attempts so far', field('num_retries')], ['Remote server', field('ip_address')]],
  bounce: [...REASON, ['Earlier attempts', field('num_retries')], ['Remote server', field('ip_address')]],
  out_of_band: REASON,
  policy_rejection: [...REASON, ['Sent from', field('remote_addr')]],
  generation_failure: REASON,
  generation_rejection: REASON,
  spam_complaint: [
    ['Report type', field('fbtype')],
    ['Reported by', field('report_by')],
  ],
  open: ENGAGEMENT,
  initial_open: ENGAGEMENT,
  amp_open: ENGAGEMENT,
  amp_initial_open: ENGAGEMENT,
  click: [['Link', field('target_link_url'), true], ['Link name', field('target_link_name')], ...ENGAGEMENT],
  amp_click: [['Link', field('target_link_url'), true], ...ENGAGEMENT],
  list_unsubscribe: [['Unsubscribe from', field('mailfrom'), true]],
  link_unsubscribe: [['Link', field('target_link_url'), true], ...ENGAGEMENT],
};
const OTHER: readonly Field[] = REASON;

function mapText(value: string | undefined, map: (value: string) => string): string | undefined {
  return value === undefined ? undefined : map(value);
}

function milliseconds(value: string): string {
  const ms = Number(value);
  return Number.isFinite(ms)
    ? `${(ms / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`
    : value;
}

/** The details an event of its type shows (only the fields it has). */
export function eventDetails(event: ApiEvent): Detail[] {
  const fields = DETAILS[text(event, 'type') ?? ''] ?? OTHER;
  return collect(fields, (read) => read(event));
}

function collect(fields: readonly Field[], value: (read: Field[1]) => string | undefined): Detail[] {
  const details: Detail[] = [];
  for (const [label, read, code] of fields) {
    const found = value(read);
    if (found !== undefined) details.push(code ? { label, value: found, code } : { label, value: found });
  }
  return details;
}

/** The first value of a field among a message's events (oldest first). */
function first(events: readonly ApiEvent[], read: (event: ApiEvent) => string | undefined) {
  for (const event of events) {
    const value = read(event);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** When the message was injected: its injection event, else any event's `injection_time`. */
export function sentTime(events: readonly ApiEvent[]): number | undefined {
  const injection = events.find((event) => event.type === 'injection');
  if (injection && !Number.isNaN(eventTime(injection))) return eventTime(injection);
  const stated = first(events, field('injection_time'));
  const ms = stated === undefined ? Number.NaN : new Date(stated).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** The lines above a message's timeline (times are added by the page, in the agent's zone). */
export function messageDetails(events: readonly ApiEvent[]): Detail[] {
  const template = (event: ApiEvent) => {
    const id = text(event, 'template_id');
    const version = text(event, 'template_version');
    return id === undefined ? undefined : version === undefined ? id : `${id} (version ${version})`;
  };
  const sendingIp = (event: ApiEvent) => {
    const ip = text(event, 'sending_ip');
    const pool = text(event, 'ip_pool');
    return ip === undefined ? undefined : pool === undefined ? ip : `${ip} (pool ${pool})`;
  };
  const fields: readonly Field[] = [
    ['Recipient', field('rcpt_to'), true],
    ['From', field('friendly_from'), true],
    ['Campaign', field('campaign_id')],
    ['Template', template],
    ['Sending IP', sendingIp],
    ['Message ID', field('message_id'), true],
    ['Transmission', field('transmission_id'), true],
    ['Subaccount', field('subaccount_id')],
  ];
  return collect(fields, (read) => first(events, read));
}

/** The subject line of a message (the first event that carries one). */
export function messageSubject(events: readonly ApiEvent[]): string | undefined {
  return first(events, field('subject'));
}

/** How a message ended, in words (never by colour alone), and the tone the page colours it with. */
export interface Outcome {
  readonly label: string;
  readonly tone: 'good' | 'bad' | 'pending' | 'neutral';
}

/** The outcome of a message from all its events: failures win, then delivery and engagement. */
export function messageOutcome(events: readonly ApiEvent[]): Outcome {
  const types = new Set(events.map((event) => text(event, 'type') ?? ''));
  const has = (...wanted: string[]) => wanted.some((type) => types.has(type));
  if (has('out_of_band')) return { label: 'Bounced after delivery', tone: 'bad' };
  if (has('bounce')) return { label: 'Bounced', tone: 'bad' };
  if (has('policy_rejection')) return { label: 'Rejected', tone: 'bad' };
  if (has('generation_failure', 'generation_rejection')) return { label: 'Not sent', tone: 'bad' };
  if (has('spam_complaint')) return { label: 'Delivered, then reported as spam', tone: 'bad' };
  const unsubscribed = has('list_unsubscribe', 'link_unsubscribe') ? ', unsubscribed' : '';
  if (has('click', 'amp_click'))
    return { label: `Delivered, opened and clicked${unsubscribed}`, tone: 'good' };
  if (has('open', 'initial_open', 'amp_open', 'amp_initial_open'))
    return { label: `Delivered and opened${unsubscribed}`, tone: 'good' };
  if (has('delivery')) return { label: `Delivered${unsubscribed}`, tone: 'good' };
  if (has('delay')) return { label: 'Delayed: still being retried', tone: 'pending' };
  if (has('injection')) return { label: 'Injected: no delivery yet', tone: 'pending' };
  const only = events[0];
  return { label: only ? eventLabel(text(only, 'type') ?? 'event') : 'No events', tone: 'neutral' };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A time in a zone (the browser's unless given) as `2017-05-30 10:30:25 GMT-4`: digits in a fixed order
 * whatever the locale, so that agents in different countries read the same thing, with the offset.
 */
export function formatTime(ms: number, timeZone?: string): string {
  const key = timeZone ?? '';
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      ...(timeZone ? { timeZone } : {}),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    });
    formatters.set(key, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(ms)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** The gap between two times, as an agent says it: `+45 s`, `+3 min`, `+2 h 5 min`, `+3 d 4 h`. */
export function formatGap(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `+${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `+${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `+${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const days = Math.floor(hours / 24);
  return `+${days} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}
