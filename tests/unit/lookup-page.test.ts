import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApp } from '../../src/app';
import { PAGE_CSP } from '../../src/core/lookup-page';
import { silentLogger } from '../../src/logger';
import { PAGE_HTML } from '../../src/page/bundle';
import { ROOT } from '../helpers/cfn-template';

/** The page's HTTP side; what it does in a browser is tests/integration/page.test.ts. */
const unused = () => {
  throw new Error('not reached: the page reads no events itself');
};
const app = createApp({
  logger: silentLogger,
  query: {
    reader: { rows: unused, count: unused, records: unused } as never,
    now: Date.now,
    auth: { disabled: false, apiKeys: ['key'] },
  },
});
const get = (headers: Record<string, string> = {}, method = 'GET') =>
  app({ method, path: '/', rawQuery: '', headers, body: Buffer.alloc(0) });

const sha256 = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
/** The text of every `<tag>…</tag>` of the page. */
const inline = (tag: string) =>
  [...PAGE_HTML.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map(
    (match) => match[1] as string,
  );

describe('the lookup page at /', () => {
  it('is what `npm run build:page` makes of src/page/ today: a forgotten rebuild fails here', async () => {
    await expect(
      promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-page.mjs'), '--check'], {
        cwd: ROOT,
      }),
    ).resolves.toBeDefined();
  });

  it('is served without a key, as HTML, with the security and cache headers', async () => {
    const response = await get();
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(PAGE_HTML);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-cache',
    });
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
  });

  it('allows exactly its one inline script and one inline style, by hash, and nothing inline else', () => {
    const scripts = inline('script');
    const styles = inline('style');
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(PAGE_CSP).toContain(`script-src '${sha256(scripts[0] as string)}';`);
    expect(PAGE_CSP).toContain(`style-src '${sha256(styles[0] as string)}';`);
    expect(PAGE_CSP).toContain("default-src 'none'");
    expect(PAGE_CSP).not.toMatch(/unsafe-|\*/);
    // No handler attributes or style attributes, which a hash-only policy would block.
    expect(PAGE_HTML).not.toMatch(/\son[a-z]+=|\sstyle=/);
  });

  it('answers 304 with no body to a browser that holds this version, and HEAD with the headers', async () => {
    const { headers } = await get();
    const again = await get({ 'if-none-match': headers.etag as string });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await get({ 'if-none-match': '"older"' })).statusCode).toBe(200);
    const head = await get({}, 'HEAD');
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-security-policy']).toBe(PAGE_CSP);
  });

  it('stays small: under 40 KiB before compression', () => {
    expect(Buffer.byteLength(PAGE_HTML)).toBeLessThan(40 * 1024);
  });
});
