import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Element, fixture, inner } from '../helpers/fixtures';
import { startTestService, type TestService } from '../helpers/service';

/**
 * The lookup page at `/`, in a real browser (Debian's chromium, headless, driven by playwright-core),
 * against the local service on real PostgreSQL. The events are SparkPost's own samples (tests/fixtures),
 * given one recipient, message ids and times, so that the page has whole messages to show.
 */

/** Debian's chromium, found as a user would find it; .ci/run installs it when it is missing. */
function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      "The lookup page test needs Debian's chromium on the PATH: `apt-get install -y chromium` (.ci/run installs it when it runs as root)",
    );
  }
}

// What the callbacks run in the page (page.evaluate) read of the browser's globals (no DOM types here).
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  activeElement: { id: string; tagName: string } | null;
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number; scrollTo(x: number, y: number): void };
declare const sessionStorage: { length: number };
declare const localStorage: { length: number };

const API_KEY = 'test-api-key'; // startTestService's key
const RECIPIENT = 'jane.doe@example.com';
const ZONE = 'America/New_York'; // the agent's zone: September is EDT, GMT-4
const START = Date.UTC(2025, 8, 1, 6, 0, 0); // message 0 is injected at 02:00 in New York
const HOUR = 3_600_000;
const MESSAGES = 12; // more than one page (ten messages)
const REOPENS = 100;

const samples = [
  ...fixture<Element[]>('webhook-samples-2016.json'),
  ...fixture<Element[]>('webhook-real-batch-2017.json'),
];
/** A sample of a type, `from` the real 2017 batch when asked (its bounce has a real 5.1.1 reason). */
function sample(type: string, real = false): Element {
  const found = samples.filter((element) => inner(element).type === type);
  const chosen = real ? found[found.length - 1] : found[0];
  if (!chosen) throw new Error(`no ${type} sample in the fixtures`);
  return chosen;
}
const REAL_BOUNCE = inner(sample('bounce', true));
const BOUNCE_REASON = REAL_BOUNCE.reason as string;

/** What happens to message i: delivered and engaged, rejected by policy, or delayed then bounced. */
type Kind = 'delivered' | 'rejected' | 'bounced';
const kindOf = (i: number): Kind => (['delivered', 'rejected', 'bounced'] as const)[i % 3] as Kind;

/** [type, ms after the message's injection, from the real batch] of each kind's events. */
const STEPS: Record<Kind, ReadonlyArray<readonly [string, number, boolean?]>> = {
  delivered: [
    ['injection', 0],
    ['delivery', 2_000],
    ['open', 5 * 60_000],
    ['click', 6 * 60_000],
  ],
  rejected: [['policy_rejection', 0]],
  bounced: [
    ['injection', 0],
    ['delay', 60_000],
    ['bounce', 30 * 60_000, true],
  ],
};

let eventNumber = 0;
function event(i: number, type: string, ms: number, real: boolean | undefined, rcpt: string): Element {
  const element = structuredClone(sample(type, real));
  const [category] = Object.keys(element.msys) as [string];
  const fields = element.msys[category] as Record<string, unknown>;
  const injected = START + i * HOUR;
  eventNumber += 1;
  delete fields.subaccount_id;
  Object.assign(fields, {
    event_id: String(7_000_000_000 + eventNumber),
    message_id: `lookup-${rcpt === RECIPIENT ? '' : 'other-'}${i}`,
    transmission_id: String(5_000 + i),
    rcpt_to: rcpt,
    raw_rcpt_to: rcpt,
    subject: `Password reset ${i}`,
    campaign_id: 'password-reset',
    template_id: 'reset-password',
    template_version: '3',
    sending_ip: '10.1.2.3',
    ip_pool: 'transactional',
    injection_time: new Date(injected).toISOString(),
    timestamp: String(Math.floor((injected + ms) / 1000)),
  });
  return element;
}

function batch(): Element[] {
  const elements: Element[] = [];
  for (let i = 0; i < MESSAGES; i += 1) {
    for (const [type, ms, real] of STEPS[kindOf(i)]) elements.push(event(i, type, ms, real, RECIPIENT));
  }
  // Message 3 is opened again and again: its events fill the rest of the page's first events page (100),
  // so that finding message 2 for the first page of messages follows the Events API's links.next cursor.
  for (let n = 0; n < REOPENS; n += 1)
    elements.push(event(3, 'open', 7 * 60_000 + n * 10_000, false, RECIPIENT));
  // Someone else's messages at the same times: never on this recipient's pages.
  for (let i = 0; i < 3; i += 1)
    elements.push(event(i, 'delivery', 1_000, false, 'someone.else@example.com'));
  return elements;
}

let test: TestService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  const executablePath = chromiumPath();
  test = await startTestService();
  const stored = await test.postBatch(JSON.stringify(batch()));
  expect(stored.status).toBe(200);
  await test.loaded();
  browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  context = await browser.newContext({
    timezoneId: ZONE,
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
  });
  page = await context.newPage();
  // A CSP violation or a script error shows here: the page must run with none.
  page.on('console', (message) => {
    // The wrong keys' 401 and 403 are logged by the browser itself; they are the errors expected.
    const refused = /status of 40[13] \((Unauthorized|Forbidden)\)$/.test(message.text());
    if (message.type() === 'error' && !refused) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await test?.stop();
});

/** The messages shown: title, outcome, and each timeline entry's type attribute and text. */
async function shownMessages() {
  return page.locator('#messages > li').evaluateAll((items) =>
    items.map((item) => ({
      title: item.querySelector('h3')?.textContent,
      outcome: item.querySelector('.outcome')?.textContent?.replace(/^\W+/, '').trim(),
      types: [...item.querySelectorAll('.timeline > li')].map((li) => li.getAttribute('data-type')),
      events: [...item.querySelectorAll('.timeline > li .event-head')].map((p) => p.textContent?.trim()),
      facts: Object.fromEntries(
        [...item.querySelectorAll('.facts > div')].map((div) => [
          div.querySelector('dt')?.textContent,
          div.querySelector('dd')?.textContent,
        ]),
      ),
    })),
  );
}

/** Waits until the element's text is `expected` (or matches it), and returns it; says what it was if not. */
async function textBecomes(selector: string, expected: string | RegExp): Promise<string> {
  const wanted = typeof expected === 'string' ? { exact: expected } : { source: expected.source };
  try {
    await page.waitForFunction(
      ([sel, want]) => {
        const text = document.querySelector(sel)?.textContent ?? '';
        return want.exact !== undefined ? text === want.exact : new RegExp(want.source as string).test(text);
      },
      [selector, wanted] as const,
      { timeout: 15_000 },
    );
  } catch {
    const actual = await page.locator(selector).textContent();
    throw new Error(`${selector} says ${JSON.stringify(actual)}, not ${String(expected)}`);
  }
  return (await page.locator(selector).textContent()) ?? '';
}

const focused = () => page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
const visible = (selector: string) => page.locator(selector).isVisible();

async function search(fields: { key?: string; recipient: string }) {
  if (fields.key !== undefined) await page.getByLabel('API key').fill(fields.key);
  await page.getByLabel('Recipient address').fill(fields.recipient);
  // The window, in the agent's zone: 2025-09-01 00:00 to 2025-09-02 00:00 in New York.
  await page.getByLabel('From', { exact: true }).fill('2025-09-01T00:00');
  await page.getByLabel('To', { exact: true }).fill('2025-09-02T00:00');
  await page.getByRole('button', { name: 'Search' }).click();
}

describe('the lookup page at /', () => {
  it('is served as HTML with a strict content security policy, nosniff and revalidation', async () => {
    const response = await page.goto(`${test.service.url}/`);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cache-control']).toBe('no-cache');
    const csp = headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("connect-src 'self'");
    // The same version again: 304, a few bytes.
    const again = await fetch(`${test.service.url}/`, { headers: { 'if-none-match': headers.etag ?? '' } });
    expect(again.status).toBe(304);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Message lookup');
    // The script ran under that policy: it named the agent's zone and made the type choices.
    await textBecomes('#zone', `your time zone (${ZONE})`);
    expect(await page.locator('#type-options input[type=checkbox]').count()).toBe(14);
  });

  it('says a wrong key was refused, keeps nothing, and asks for another one', async () => {
    await search({ key: 'not-a-key', recipient: RECIPIENT });
    await textBecomes('[role=alert]', 'The API key was not accepted. Enter another key.');
    expect(await page.locator('#api-key-error').textContent()).toBe(
      'The API key was not accepted. Enter another key.',
    );
    expect(await focused()).toBe('api-key');
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await visible('#results')).toBe(false);
  });

  it('says a key without the message_events/view grant may not read events, and asks for another', async () => {
    const created = await fetch(`${test.service.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'keys only', grants: ['api_keys/manage'] }),
    });
    expect(created.status).toBe(200);
    const { key } = ((await created.json()) as { results: { key: string } }).results;
    await search({ key, recipient: RECIPIENT });
    await textBecomes(
      '[role=alert]',
      'This API key may not read message events (it lacks the message_events/view grant). Enter another key.',
    );
    expect(await focused()).toBe('api-key');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await visible('#results')).toBe(false);
  });

  it("shows the recipient's newest messages first, each as one timeline, with its facts in the agent's zone", async () => {
    await search({ key: API_KEY, recipient: RECIPIENT });
    await textBecomes('[role=status]', /^Page 1: 10 messages for jane\.doe@example\.com, newest first/);
    expect(await focused()).toBe('results-title');
    expect(await page.getByRole('alert').textContent()).toBe('');

    const messages = await shownMessages();
    expect(messages.map((message) => message.title)).toEqual(
      [11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map((i) => `Password reset ${i}`),
    );
    const [bounced, rejected, delivered] = messages;
    expect(bounced?.outcome).toBe('Bounced');
    expect(bounced?.types).toEqual(['injection', 'delay', 'bounce']);
    // Message 11 is injected at 17:00 UTC: 13:00 in New York (EDT).
    expect(bounced?.events).toEqual([
      'Injected 2025-09-01 13:00:00 GMT-4',
      'Delayed 2025-09-01 13:01:00 GMT-4 after the previous event: +1 min',
      'Bounced 2025-09-01 13:30:00 GMT-4 after the previous event: +29 min',
    ]);
    expect(bounced?.facts).toMatchObject({
      Recipient: RECIPIENT,
      Campaign: 'password-reset',
      Template: 'reset-password (version 3)',
      'Sending IP': '10.1.2.3 (pool transactional)',
      'Message ID': 'lookup-11',
    });
    const bounce = page.locator('#messages > li').first().locator('.timeline > li[data-type=bounce]');
    const details = await bounce
      .locator('.event-details > div')
      .evaluateAll((rows) =>
        rows.map((row) => [row.querySelector('dt')?.textContent, row.querySelector('dd')?.textContent]),
      );
    expect(details.slice(0, 3)).toEqual([
      ['Reason', BOUNCE_REASON],
      ['Bounce class', '10 — Invalid Recipient (hard bounce)'],
      ['SMTP code', '550'],
    ]);
    expect(rejected).toMatchObject({ outcome: 'Rejected', types: ['policy_rejection'] });
    // Message 2 comes after 100 newer events: the cursor was followed to find it.
    const reopened = messages[8];
    expect(reopened?.types).toEqual([
      'injection',
      'delivery',
      'open',
      'click',
      ...Array(REOPENS).fill('open'),
    ]);
    expect(messages[9]?.title).toBe('Password reset 2');
    expect(delivered).toMatchObject({
      outcome: 'Delivered, opened and clicked',
      types: ['injection', 'delivery', 'open', 'click'],
    });
    expect(await page.getByText('someone.else@example.com').count()).toBe(0);

    // The key is kept for this tab, and not asked for again.
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([API_KEY]);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await visible('#api-key')).toBe(false);
    expect(await page.getByText('API key kept for this tab only.').isVisible()).toBe(true);

    // The README's picture: the form and the newest messages, as the agent sees them.
    mkdirSync(join(__dirname, '..', '..', 'docs'), { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({
      path: join(__dirname, '..', '..', 'docs', 'lookup-page.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: 1500 },
    });

    // The raw event, one click away.
    const raw = bounce.locator('details.raw');
    await raw.locator('summary').click();
    const json = JSON.parse((await raw.locator('pre').textContent()) ?? '') as Record<string, unknown>;
    expect(json).toMatchObject({
      type: 'bounce',
      message_id: 'lookup-11',
      reason: BOUNCE_REASON,
      bounce_class: '10',
    });
  });

  it('pages to older messages and back, with the focus on the new page', async () => {
    await page.getByRole('button', { name: 'Older messages' }).click();
    await textBecomes('[role=status]', /^Page 2: 2 messages for jane\.doe@example\.com/);
    expect(await focused()).toBe('results-title');
    const older = await shownMessages();
    expect(older.map((message) => [message.title, message.types])).toEqual([
      ['Password reset 1', ['policy_rejection']],
      ['Password reset 0', ['injection', 'delivery', 'open', 'click']],
    ]);
    expect(await visible('#older')).toBe(false);

    await page.getByRole('button', { name: 'Newer messages' }).click();
    await textBecomes('[role=status]', /^Page 1: 10 messages/);
    expect((await shownMessages())[0]?.title).toBe('Password reset 11');
    expect(await visible('#newer')).toBe(false);
    expect(await visible('#older')).toBe(true);
  });

  it('narrows to messages with an event of a chosen type, and still shows their whole timeline', async () => {
    await page.locator('details.types > summary').click();
    await page.getByLabel('Bounced', { exact: true }).check();
    await search({ recipient: RECIPIENT });
    await textBecomes('[role=status]', /^Page 1: 4 messages/);
    const messages = await shownMessages();
    expect(messages.map((message) => [message.title, message.types])).toEqual(
      [11, 8, 5, 2].map((i) => [`Password reset ${i}`, ['injection', 'delay', 'bounce']]),
    );
    await page.getByLabel('Bounced', { exact: true }).uncheck();
  });

  it('asks for a recipient before searching, and says so next to the field', async () => {
    await page.getByLabel('Recipient address').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await textBecomes('#recipient-error', 'Enter the recipient’s address (or a message ID).');
    expect(await focused()).toBe('recipient');
    expect(await page.getByLabel('Recipient address').getAttribute('aria-invalid')).toBe('true');
  });

  it('fits a phone screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await search({ recipient: RECIPIENT });
    await textBecomes('[role=status]', /^Page 1: 10 messages/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('says so when the recipient has no messages in the range', async () => {
    await search({ recipient: 'nobody@example.com' });
    await textBecomes('[role=status]', 'No messages for nobody@example.com in this time range.');
    expect(await page.locator('#messages > li').count()).toBe(0);
    expect(await visible('#older')).toBe(false);
  });

  it('forgets the key on request', async () => {
    await page.getByRole('button', { name: 'Forget the key' }).click();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await focused()).toBe('api-key');
  });

  it('ran without a script error or a content security policy violation', () => {
    expect(problems).toEqual([]);
  });
});
