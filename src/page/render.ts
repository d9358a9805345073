/**
 * The lookup page's DOM: messages as articles, each with its timeline. Text goes in as text nodes only
 * (event fields come from outside: subjects, user agents, URLs), never as markup.
 */
import {
  type ApiEvent,
  type Detail,
  eventDetails,
  eventLabel,
  eventTime,
  formatGap,
  formatTime,
  messageDetails,
  messageOutcome,
  messageSubject,
  sentTime,
  text,
} from './describe';
import type { Message } from './messages';

type Child = Node | string | undefined | false;

/** An element with a class and attributes, and its children (strings become text nodes). */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

function timeElement(ms: number, timeZone: string | undefined): HTMLTimeElement {
  return h('time', { datetime: new Date(ms).toISOString() }, formatTime(ms, timeZone));
}

function detailList(details: readonly Detail[], className: string): HTMLDListElement | undefined {
  if (details.length === 0) return undefined;
  return h(
    'dl',
    { class: className },
    ...details.map((detail) =>
      h(
        'div',
        {},
        h('dt', {}, detail.label),
        h('dd', {}, detail.code ? h('code', {}, detail.value) : detail.value),
      ),
    ),
  );
}

const MARKS = { good: '✓', bad: '✕', pending: '…', neutral: '•' } as const;

/** The tone of one event in a timeline (its colour; its label says the same in words). */
function eventTone(type: string): 'good' | 'bad' | 'pending' | 'neutral' {
  if (
    ['bounce', 'out_of_band', 'policy_rejection', 'generation_failure', 'generation_rejection'].includes(type)
  )
    return 'bad';
  if (type === 'spam_complaint') return 'bad';
  if (type === 'delay') return 'pending';
  if (type === 'delivery' || type.includes('open') || type.includes('click')) return 'good';
  return 'neutral';
}

function renderEvent(
  event: ApiEvent,
  previous: number | undefined,
  timeZone: string | undefined,
): HTMLLIElement {
  const type = text(event, 'type') ?? 'event';
  const ms = eventTime(event);
  const label = eventLabel(type);
  const when = Number.isNaN(ms) ? undefined : timeElement(ms, timeZone);
  const gap =
    previous !== undefined && !Number.isNaN(ms)
      ? h(
          'span',
          { class: 'gap' },
          h('span', { class: 'visually-hidden' }, 'after the previous event: '),
          formatGap(ms - previous),
        )
      : undefined;
  const raw = h(
    'details',
    { class: 'raw' },
    h(
      'summary',
      {},
      'Raw event',
      h('span', { class: 'visually-hidden' }, ` (${label}${when ? `, ${when.textContent}` : ''})`),
    ),
    h('pre', {}, h('code', {}, JSON.stringify(event, null, 2))),
  );
  return h(
    'li',
    { class: `event tone-${eventTone(type)}`, 'data-type': type },
    h('p', { class: 'event-head' }, h('strong', { class: 'event-type' }, label), ' ', when, ' ', gap),
    detailList(eventDetails(event), 'event-details'),
    raw,
  );
}

/** One message: subject, outcome in words, when it was sent, its facts, and its timeline oldest first. */
export function renderMessage(message: Message, id: string, timeZone: string | undefined): HTMLLIElement {
  const events = message.events;
  const outcome = messageOutcome(events);
  const sent = sentTime(events);
  const subject = messageSubject(events);
  const titleId = `${id}-title`;
  let previous: number | undefined;
  const timeline = events.map((event) => {
    const item = renderEvent(event, previous, timeZone);
    const ms = eventTime(event);
    if (!Number.isNaN(ms)) previous = ms;
    return item;
  });
  const first = events[0];
  const firstTime = first ? eventTime(first) : Number.NaN;
  return h(
    'li',
    { class: 'message', id },
    h(
      'article',
      { 'aria-labelledby': titleId },
      h(
        'header',
        { class: 'message-head' },
        h(
          'h3',
          { id: titleId },
          subject ?? (message.messageId ? '(no subject)' : eventLabel(text(first ?? {}, 'type') ?? 'Event')),
        ),
        h(
          'p',
          { class: `outcome tone-${outcome.tone}` },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, MARKS[outcome.tone]),
          ' ',
          outcome.label,
        ),
        sent !== undefined
          ? h('p', { class: 'sent' }, 'Sent ', timeElement(sent, timeZone))
          : !Number.isNaN(firstTime)
            ? h('p', { class: 'sent' }, 'First event ', timeElement(firstTime, timeZone))
            : undefined,
      ),
      detailList(messageDetails(events), 'facts'),
      h('h4', { class: 'visually-hidden' }, 'Timeline'),
      h('ol', { class: 'timeline' }, ...timeline),
      message.truncated &&
        h(
          'p',
          { class: 'note' },
          'More events of this message exist than one page reads; see the Events API.',
        ),
    ),
  );
}
