/**
 * The lookup page's search: from the Events API's event pages to pages of whole messages. Pure (the HTTP
 * call is injected), so the same code runs in the browser and, against the real service, in the tests.
 *
 * A page of messages is read in two steps:
 * 1. **Find** the next messages: walk the matching events newest first (following `links.next`) and keep
 *    the first `messagesPerPage` message ids not shown on an earlier page. Messages are therefore ordered
 *    by their latest matching event, and each appears on exactly one page.
 * 2. **Complete** them: one query by those message ids (`messages=`) over the same window returns every
 *    event of each, whatever its type, so a timeline is whole even when the filters matched one event
 *    of it, or when its events straddle an events page.
 * Events without a `message_id` (some relay and ingest events) are messages of their own.
 */
import { type ApiEvent, chronological, text } from './describe';

const EVENTS_PATH = '/api/v1/events/message';

/** What the agent asked for. Times are epoch ms; the window defaults to the last `DEFAULT_DAYS` days. */
export interface Search {
  readonly recipient?: string;
  readonly messageId?: string;
  readonly campaign?: string;
  readonly from?: number;
  readonly to?: number;
  /** Event types a message must have one of; empty: any. */
  readonly types?: readonly string[];
}

const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

/** The Events API's answer (SPEC §3.3). */
export interface EventsPage {
  readonly results: readonly ApiEvent[];
  readonly total_count: number;
  readonly links: { readonly next?: string };
}

/** GETs a same-origin Events API URL (path and query) and returns its page; throws on an error answer. */
export type FetchPage = (url: string) => Promise<EventsPage>;

/** Where a page of messages starts: an events page, and the messages already shown (skipped). */
export interface PageStart {
  readonly url: string;
  readonly shown: ReadonlySet<string>;
}

export interface Message {
  /** `m:<message_id>`, or `e:<event_id>` for an event without a message id. */
  readonly key: string;
  readonly messageId?: string;
  /** Oldest first. */
  readonly events: readonly ApiEvent[];
  /** The completing query stopped before every event of the message was read (over `MAX_EVENTS`). */
  readonly truncated: boolean;
}

export interface MessagePage {
  readonly messages: readonly Message[];
  /** Where the next (older) page starts; undefined when there is none. */
  readonly older?: PageStart;
  /** Matching events in the window (the Events API's `total_count` of the search). */
  readonly matchingEvents: number;
}

export interface Limits {
  readonly messagesPerPage: number;
  /** Events per request while finding messages. */
  readonly findPerPage: number;
  /** Most event pages one page of messages reads while finding them. */
  readonly findRequests: number;
  /** Most events read for the messages of one page. */
  readonly completePerPage: number;
  readonly completeRequests: number;
}

const LIMITS: Limits = {
  messagesPerPage: 10,
  findPerPage: 100,
  findRequests: 20,
  completePerPage: 1000,
  completeRequests: 5,
};

/** `YYYY-MM-DDTHH:MM:SSZ`, the Events API's time format. */
function apiTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * A list separator that none of the values holds (the Events API splits list parameters on
 * `delimiter`): a value with a comma stays one value.
 */
function delimiterFor(values: readonly string[]): string {
  return [',', '|', ';', '~', '^'].find((d) => values.every((value) => !value.includes(d))) ?? '\u001e';
}

/** The window of a search: its own, or the last DEFAULT_DAYS days up to a minute from now. */
export function searchWindow(search: Search, now: number): { from: number; to: number } {
  // `to` is exclusive and the API reads seconds: a minute ahead takes in an event of this second.
  const to = search.to ?? Math.ceil(now / 60_000) * 60_000 + 60_000;
  const from = search.from ?? to - DEFAULT_DAYS * DAY_MS;
  return { from, to };
}

/** The Events API URL that finds a search's messages (its first events page). */
export function searchUrl(search: Search, now: number, perPage = LIMITS.findPerPage): string {
  const { from, to } = searchWindow(search, now);
  const params = new URLSearchParams({ from: apiTime(from), to: apiTime(to), per_page: String(perPage) });
  const lists: Array<[string, string | undefined]> = [
    ['recipients', search.recipient?.trim()],
    ['messages', search.messageId?.trim()],
    ['campaigns', search.campaign?.trim()],
  ];
  const types = search.types ?? [];
  const values = lists.flatMap(([, value]) => (value ? [value] : []));
  const delimiter = delimiterFor(values);
  if (delimiter !== ',') params.set('delimiter', delimiter);
  for (const [name, value] of lists) if (value) params.set(name, value);
  if (types.length > 0) params.set('events', types.join(delimiter));
  return `${EVENTS_PATH}?${params.toString()}`;
}

function keyOf(event: ApiEvent): string {
  const messageId = text(event, 'message_id');
  if (messageId !== undefined) return `m:${messageId}`;
  return `e:${text(event, 'event_id') ?? JSON.stringify(event)}`;
}

/** Only Events API links of this origin are followed (the key goes with every request). */
function nextUrl(page: EventsPage): string | undefined {
  const next = page.links?.next;
  return typeof next === 'string' && next.startsWith(`${EVENTS_PATH}?`) ? next : undefined;
}

/** Reads one page of messages from `start` (see the module comment). */
export async function loadMessagePage(
  start: PageStart,
  fetchPage: FetchPage,
  search: Search,
  now: number,
  limits: Limits = LIMITS,
): Promise<MessagePage> {
  const found = new Map<string, ApiEvent[]>();
  const shown = new Set(start.shown);
  let url: string | undefined = start.url;
  let older: PageStart | undefined;
  let matchingEvents = 0;
  for (let request = 0; url !== undefined; request += 1) {
    if (request === limits.findRequests) {
      older = { url, shown: new Set([...shown, ...found.keys()]) };
      break;
    }
    const page = await fetchPage(url);
    if (request === 0) matchingEvents = page.total_count;
    for (const event of page.results) {
      const key = keyOf(event);
      if (shown.has(key)) continue;
      if (found.size === limits.messagesPerPage && !found.has(key)) {
        // A message beyond this page: the next page reads this events page again, skipping those shown.
        older = { url, shown: new Set([...shown, ...found.keys()]) };
        break;
      }
      const events = found.get(key);
      if (events) events.push(event);
      else found.set(key, [event]);
    }
    if (older) break;
    url = nextUrl(page);
  }
  if (found.size === 0) return { messages: [], ...(older ? { older } : {}), matchingEvents };

  const complete = await completeMessages([...found.keys()], fetchPage, search, now, limits);
  const messages = [...found.entries()].map(([key, events]): Message => {
    const whole = complete.events.get(key);
    const all = whole && whole.length >= events.length ? whole : events;
    const messageId = key.startsWith('m:') ? key.slice(2) : undefined;
    return {
      key,
      ...(messageId !== undefined ? { messageId } : {}),
      events: [...all].sort(chronological),
      truncated: messageId !== undefined && complete.truncated,
    };
  });
  return { messages, ...(older ? { older } : {}), matchingEvents };
}

/** Every event, of any type, of the messages named (keys `m:<id>`) in the search's window. */
async function completeMessages(
  keys: readonly string[],
  fetchPage: FetchPage,
  search: Search,
  now: number,
  limits: Limits,
): Promise<{ events: Map<string, ApiEvent[]>; truncated: boolean }> {
  const events = new Map<string, ApiEvent[]>();
  const ids = keys.filter((key) => key.startsWith('m:')).map((key) => key.slice(2));
  if (ids.length === 0) return { events, truncated: false };
  const { from, to } = searchWindow(search, now);
  const recipient = search.recipient?.trim();
  const delimiter = delimiterFor([...ids, ...(recipient ? [recipient] : [])]);
  const params = new URLSearchParams({
    from: apiTime(from),
    to: apiTime(to),
    per_page: String(limits.completePerPage),
    messages: ids.join(delimiter),
  });
  if (delimiter !== ',') params.set('delimiter', delimiter);
  if (recipient) params.set('recipients', recipient);
  let url: string | undefined = `${EVENTS_PATH}?${params.toString()}`;
  for (let request = 0; url !== undefined; request += 1) {
    if (request === limits.completeRequests) return { events, truncated: true };
    const page = await fetchPage(url);
    for (const event of page.results) {
      const key = keyOf(event);
      const list = events.get(key);
      if (list) list.push(event);
      else events.set(key, [event]);
    }
    url = nextUrl(page);
  }
  return { events, truncated: false };
}
