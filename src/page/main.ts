/**
 * The lookup page's controller: the form, the key kept for the tab (sessionStorage), the status and alert
 * regions, the pages of messages and the focus as the agent moves between them.
 */
import { ApiError, eventsApi, isWellFormedKey } from './api';
import { eventLabel } from './describe';
import { loadMessagePage, type MessagePage, type PageStart, type Search, searchUrl } from './messages';
import { renderMessage } from './render';

/** sessionStorage, not localStorage: the key is forgotten when the tab closes. */
const KEY_STORAGE = 'sparkpost-event-db.api-key';

/** The types an agent can narrow a search to, in the order of a message's life. */
const TYPE_OPTIONS = [
  'injection',
  'delivery',
  'delay',
  'bounce',
  'out_of_band',
  'policy_rejection',
  'generation_failure',
  'generation_rejection',
  'open',
  'initial_open',
  'click',
  'spam_complaint',
  'list_unsubscribe',
  'link_unsubscribe',
];

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page lacks #${id}`);
  return element as T;
}

const form = byId<HTMLFormElement>('search');
const keyField = byId<HTMLDivElement>('key-field');
const keyInput = byId<HTMLInputElement>('api-key');
const keyError = byId<HTMLParagraphElement>('api-key-error');
const keyStatus = byId<HTMLParagraphElement>('key-status');
const forgetKey = byId<HTMLButtonElement>('forget-key');
const recipientInput = byId<HTMLInputElement>('recipient');
const recipientError = byId<HTMLParagraphElement>('recipient-error');
const messageIdInput = byId<HTMLInputElement>('message-id');
const campaignInput = byId<HTMLInputElement>('campaign');
const fromInput = byId<HTMLInputElement>('from');
const toInput = byId<HTMLInputElement>('to');
const rangeError = byId<HTMLParagraphElement>('range-error');
const typeOptions = byId<HTMLDivElement>('type-options');
const typesSummary = byId<HTMLSpanElement>('types-summary');
const searchButton = byId<HTMLButtonElement>('search-button');
const status = byId<HTMLDivElement>('status');
const alertBox = byId<HTMLDivElement>('alert');
const results = byId<HTMLElement>('results');
const resultsTitle = byId<HTMLHeadingElement>('results-title');
const resultsSummary = byId<HTMLParagraphElement>('results-summary');
const messageList = byId<HTMLOListElement>('messages');
const newerButton = byId<HTMLButtonElement>('newer');
const olderButton = byId<HTMLButtonElement>('older');

const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
  } catch {
    return undefined; // storage disabled: the key lives in the field only
  }
}

function storeKey(key: string | undefined): void {
  try {
    if (key === undefined) sessionStorage.removeItem(KEY_STORAGE);
    else sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // storage disabled: nothing to keep or forget
  }
}

/** Asks for a key (the field shown) or says one is kept (the field hidden). */
function showKeyState(): void {
  const kept = storedKey() !== undefined;
  keyField.hidden = kept;
  keyStatus.hidden = !kept;
}

function setFieldError(input: HTMLInputElement, box: HTMLElement, message: string | undefined): void {
  box.textContent = message ?? '';
  box.hidden = message === undefined;
  if (message === undefined) input.removeAttribute('aria-invalid');
  else input.setAttribute('aria-invalid', 'true');
}

/**
 * Tells the live region. `quiet`: read out, but not shown, because the page shows it already (a page's
 * summary above its messages).
 */
function say(message: string, quiet = false): void {
  status.classList.toggle('visually-hidden', quiet);
  status.textContent = message;
}

function alarm(message: string): void {
  alertBox.textContent = message;
}

/** A `datetime-local` value read in the agent's zone; undefined when empty. */
function localTime(input: HTMLInputElement): number | undefined {
  if (input.value === '') return undefined;
  const ms = new Date(input.value).getTime();
  return Number.isNaN(ms) ? Number.NaN : ms;
}

function chosenTypes(): string[] {
  return [...typeOptions.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map(
    (box) => box.value,
  );
}

/** The search the form describes, or undefined after marking what is wrong (focus on the first). */
function readForm(): { search: Search; key: string } | undefined {
  const problems: HTMLInputElement[] = [];
  const key = storedKey() ?? keyInput.value.trim();
  if (storedKey() === undefined) {
    const problem =
      key === ''
        ? 'Enter an API key.'
        : isWellFormedKey(key)
          ? undefined
          : 'An API key has no spaces or special characters.';
    setFieldError(keyInput, keyError, problem);
    if (problem) problems.push(keyInput);
  }
  const recipient = recipientInput.value.trim();
  const messageId = messageIdInput.value.trim();
  const campaign = campaignInput.value.trim();
  const recipientProblem =
    recipient === '' && messageId === ''
      ? 'Enter the recipient’s address (or a message ID).'
      : recipient !== '' && !recipient.includes('@')
        ? 'An address has an @, such as name@example.com.'
        : undefined;
  setFieldError(recipientInput, recipientError, recipientProblem);
  if (recipientProblem) problems.push(recipientInput);

  const from = localTime(fromInput);
  const to = localTime(toInput);
  let rangeProblem: string | undefined;
  if (Number.isNaN(from) || Number.isNaN(to)) rangeProblem = 'Enter a full date and time.';
  else if (from !== undefined && to !== undefined && from >= to) rangeProblem = '“From” must be before “To”.';
  else if (from !== undefined && to === undefined && from >= Date.now())
    rangeProblem = '“From” must be in the past.';
  setFieldError(fromInput, rangeError, rangeProblem);
  if (rangeProblem) {
    toInput.setAttribute('aria-invalid', 'true');
    problems.push(fromInput);
  } else toInput.removeAttribute('aria-invalid');

  if (problems.length > 0) {
    alarm(
      `Check the form: ${problems.length === 1 ? 'one field needs' : `${problems.length} fields need`} attention.`,
    );
    problems[0]?.focus();
    return undefined;
  }
  const search: Search = {
    ...(recipient ? { recipient } : {}),
    ...(messageId ? { messageId } : {}),
    ...(campaign ? { campaign } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    types: chosenTypes(),
  };
  return { search, key };
}

/** The search being shown: what was asked, when (the window's end), and the pages read so far. */
interface Shown {
  readonly search: Search;
  readonly key: string;
  readonly now: number;
  /** Where each page read so far starts; the last is the one shown. */
  readonly starts: PageStart[];
}

let shown: Shown | undefined;
let busy = false;

function setBusy(value: boolean): void {
  busy = value;
  searchButton.disabled = value;
  olderButton.disabled = value;
  newerButton.disabled = value;
  results.setAttribute('aria-busy', String(value));
}

function describeSearch(search: Search): string {
  const parts = [
    search.recipient,
    search.messageId && `message ${search.messageId}`,
    search.campaign && `campaign ${search.campaign}`,
  ].filter((part): part is string => Boolean(part));
  return parts.join(', ');
}

function showPage(page: MessagePage, state: Shown): void {
  messageList.replaceChildren(
    ...page.messages.map((message, i) =>
      renderMessage(message, `message-${state.starts.length}-${i}`, timeZone),
    ),
  );
  const pageNumber = state.starts.length;
  const count = page.messages.length;
  const subject = describeSearch(state.search);
  resultsSummary.textContent =
    count === 0
      ? page.older
        ? `No messages for ${subject} among the events read so far; older ones may follow.`
        : `No${pageNumber > 1 ? ' more' : ''} messages for ${subject} in this time range.`
      : `Page ${pageNumber}: ${count} message${count === 1 ? '' : 's'} for ${subject}, newest first${
          page.older ? '' : pageNumber > 1 ? ' (the oldest ones)' : ''
        }.`;
  results.hidden = false;
  newerButton.hidden = pageNumber <= 1;
  olderButton.hidden = page.older === undefined;
  olderNext = page.older;
}

let olderNext: PageStart | undefined;

/** Reads and shows the page starting at `start`; on success it becomes the last of `state.starts`. */
async function open(state: Shown, start: PageStart, action: string): Promise<void> {
  if (busy) return;
  setBusy(true);
  alarm('');
  say(action);
  try {
    const page = await loadMessagePage(
      start,
      eventsApi(state.key, window.location.origin),
      state.search,
      state.now,
    );
    state.starts.push(start);
    shown = state;
    if (storedKey() === undefined) {
      storeKey(state.key);
      keyInput.value = '';
      showKeyState();
    }
    showPage(page, state);
    say(resultsSummary.textContent ?? '', true);
    resultsTitle.focus();
  } catch (error) {
    failed(error);
  } finally {
    setBusy(false);
  }
}

function failed(error: unknown): void {
  say('');
  if (error instanceof ApiError && error.isKeyProblem) {
    storeKey(undefined);
    showKeyState();
    const message =
      error.status === 401
        ? 'The API key was not accepted. Enter another key.'
        : 'This API key may not read message events (it lacks the message_events/view grant). Enter another key.';
    setFieldError(keyInput, keyError, message);
    alarm(message);
    keyInput.value = '';
    keyInput.focus();
    return;
  }
  const text =
    error instanceof ApiError
      ? `The search failed: ${error.message}${error.description ? ` — ${error.description}` : ''}`
      : `The search failed: ${error instanceof Error ? error.message : String(error)}`;
  alarm(text);
}

form.addEventListener('submit', (submit) => {
  submit.preventDefault();
  if (busy) return;
  const read = readForm();
  if (!read) return;
  const now = Date.now();
  const state: Shown = { ...read, now, starts: [] };
  void open(state, { url: searchUrl(read.search, now), shown: new Set() }, 'Searching…');
});

olderButton.addEventListener('click', () => {
  if (shown && olderNext) void open(shown, olderNext, 'Loading older messages…');
});

newerButton.addEventListener('click', () => {
  if (!shown || shown.starts.length < 2) return;
  const starts = shown.starts.slice(0, -2);
  const previous = shown.starts[shown.starts.length - 2] as PageStart;
  void open({ ...shown, starts }, previous, 'Loading newer messages…');
});

forgetKey.addEventListener('click', () => {
  storeKey(undefined);
  showKeyState();
  setFieldError(keyInput, keyError, undefined);
  say('The API key is forgotten. Enter a key to search again.');
  keyInput.focus();
});

function updateTypesSummary(): void {
  const types = chosenTypes();
  typesSummary.textContent = types.length === 0 ? '(any)' : `(${types.length} chosen)`;
}

for (const type of TYPE_OPTIONS) {
  const id = `type-${type}`;
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = id;
  box.name = 'types';
  box.value = type;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.append(box, ` ${eventLabel(type)}`);
  typeOptions.append(label);
}
typeOptions.addEventListener('change', updateTypesSummary);

byId<HTMLSpanElement>('zone').textContent = timeZone ? `your time zone (${timeZone})` : 'your time zone';
showKeyState();
