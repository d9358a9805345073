import { ForbiddenError } from '../errors';
import { type HttpRequest, type HttpResponse, header } from './http';

/**
 * Optional CORS for browser clients (CORS_ORIGINS), an extension: SparkPost itself refuses calls from a
 * browser, answering the OPTIONS preflight with 403 Forbidden (support-docs
 * integrations/calling-sparkpost-from-browser.md L11-15). Without CORS_ORIGINS this service does the same;
 * with it, a listed origin's preflight is answered and its responses carry Access-Control-Allow-Origin.
 */

/** The request headers a browser client of the query APIs sends: the API key, and the subaccount. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-MSYS-SUBACCOUNT';
/** How long a browser may cache a preflight answer, in seconds. */
const MAX_AGE_SECONDS = 600;

/** The Access-Control-Allow-Origin value for the request's Origin, or undefined when it is not allowed. */
function allowOrigin(origins: readonly string[], request: HttpRequest): string | undefined {
  const origin = header(request.headers, 'origin');
  if (origin === undefined || origins.length === 0) return undefined;
  if (origins.includes('*')) return '*';
  return origins.includes(origin.toLowerCase()) ? origin : undefined;
}

/**
 * The answer to an OPTIONS request on a path that takes `methods`: 204 with the allowed methods and
 * headers for a preflight from an allowed origin; SparkPost's 403 for anything else.
 */
export function preflight(origins: readonly string[], request: HttpRequest, methods: readonly string[]) {
  const origin = allowOrigin(origins, request);
  if (origin === undefined || header(request.headers, 'access-control-request-method') === undefined) {
    throw new ForbiddenError('Cross-origin (browser) calls are not allowed from this origin');
  }
  const allow = [...new Set([...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'])];
  return {
    statusCode: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': allow.join(', '),
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': String(MAX_AGE_SECONDS),
      vary: 'Origin',
    },
    body: '',
  } satisfies HttpResponse;
}

/** The response, with Access-Control-Allow-Origin when the request comes from an allowed origin. */
export function withCors(
  origins: readonly string[],
  request: HttpRequest,
  response: HttpResponse,
): HttpResponse {
  if (origins.length === 0) return response;
  const origin = allowOrigin(origins, request);
  const vary: Record<string, string> = origins.includes('*') ? {} : { vary: 'Origin' };
  if (origin === undefined) return { ...response, headers: { ...response.headers, ...vary } };
  return {
    ...response,
    headers: { ...response.headers, 'access-control-allow-origin': origin, ...vary },
  };
}
