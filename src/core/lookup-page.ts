import { createHash } from 'node:crypto';
import { PAGE_HTML, PAGE_SCRIPT_HASH, PAGE_STYLE_HASH } from '../page/bundle';
import { type HttpRequest, type HttpResponse, header } from './http';

/**
 * The support desk's lookup page (src/page/, built into src/page/bundle.ts). Its policy allows only its own
 * inline script and style (by hash) and requests to this origin (the Events API): an injected script or
 * style, a form posting elsewhere, or framing the page are refused by the browser.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src '${PAGE_SCRIPT_HASH}'`,
  `style-src '${PAGE_STYLE_HASH}'`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Changes whenever the page does (a new deployment), so a revalidation fetches the new one. */
const ETAG = `"${createHash('sha256').update(PAGE_HTML).digest('base64url').slice(0, 27)}"`;

const HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Revalidated on every load (a 304 is a few bytes), so a deployment is seen at once.
  'cache-control': 'no-cache',
  etag: ETAG,
};

/** The page, or 304 when the browser holds this very version. */
export function lookupPage(request: HttpRequest): HttpResponse {
  const held = header(request.headers, 'if-none-match');
  if (held?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === ETAG)) {
    return { statusCode: 304, headers: { ...HEADERS }, body: '' };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', ...HEADERS },
    body: PAGE_HTML,
  };
}
