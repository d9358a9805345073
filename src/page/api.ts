import type { EventsPage, FetchPage } from './messages';

/** An answer other than 200, or no answer: what the page tells the agent. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the service could not be reached. */
    readonly status: number,
    message: string,
    readonly description?: string,
  ) {
    super(message);
  }

  /** The key was refused (401) or lacks the grant (403): ask for another one. */
  get isKeyProblem(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** An API key as an HTTP header value can carry it: printable ASCII, no spaces. */
export function isWellFormedKey(key: string): boolean {
  return /^[\x21-\x7e]+$/.test(key);
}

/** SparkPost's error shape, `{"errors":[{"message","description","code"}]}`, read defensively. */
function errorOf(status: number, body: unknown): ApiError {
  const first =
    typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors)
      ? ((body as { errors: unknown[] }).errors[0] as Record<string, unknown> | undefined)
      : undefined;
  const message = typeof first?.message === 'string' ? first.message : `HTTP ${status}`;
  const description = typeof first?.description === 'string' ? first.description : undefined;
  return new ApiError(status, message, description);
}

/**
 * Events API pages with the agent's key, from this page's own origin. `credentials: 'omit'`: the page
 * uses no cookies, and without credentials a 401's `WWW-Authenticate: Basic` challenge does not make the
 * browser open its own login dialog. `no-store`: answers hold addresses, keep them out of the cache.
 */
export function eventsApi(key: string, origin: string): FetchPage {
  return async (url) => {
    const target = new URL(url, origin);
    if (target.origin !== origin) throw new ApiError(0, 'Refused to follow a link to another site');
    let response: Response;
    try {
      response = await fetch(target, {
        headers: { authorization: key, accept: 'application/json' },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'The service could not be reached', 'Check the connection and try again.');
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw errorOf(response.status, body);
    if (typeof body !== 'object' || body === null || !Array.isArray((body as EventsPage).results)) {
      throw new ApiError(response.status, 'The service answered something other than an events page');
    }
    return body as EventsPage;
  };
}
