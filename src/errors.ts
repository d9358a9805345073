/**
 * Typed application errors. Core code throws these; only `toErrorResponse` (core/http.ts) turns them
 * into SparkPost-shaped bodies: {"errors":[{"message","description","code"}]}. Each class owns its HTTP
 * status, its SparkPost extended code and the response headers it needs, so no call site spells a code.
 */
export class AppError extends Error {
  /** Errors below 500 are the client's to see; 5xx bodies say "internal" and the cause is only logged. */
  readonly expose: boolean;
  /** Headers the response must carry (e.g. `www-authenticate` on a 401, `allow` on a 405). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly description?: string,
    options?: { cause?: unknown; headers?: Readonly<Record<string, string>> },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.expose = statusCode < 500;
    this.headers = options?.headers ?? {};
  }
}

/** A query parameter SparkPost would refuse (400, extended code 1200). */
export class ValidationError extends AppError {
  constructor(message: string, description?: string) {
    super(400, '1200', message, description);
  }
}

/** A request body that is not what the endpoint takes, e.g. a webhook batch that is not a JSON array. */
export class InvalidBodyError extends AppError {
  constructor(message: string, description?: string) {
    super(400, '1300', message, description);
  }
}

/** A parameter required by another one is missing (400, extended code 1401). */
export class MissingParameterError extends AppError {
  constructor(message: string, description?: string) {
    super(400, '1401', message, description);
  }
}

/** Missing or wrong credentials (401), with the challenge a client needs. */
export class AuthError extends AppError {
  constructor(description = 'Missing or invalid credentials') {
    super(401, '1100', 'Unauthorized.', description, {
      headers: { 'www-authenticate': 'Basic realm="sparkpost-event-db"' },
    });
  }
}

/** Valid credentials that do not allow this request (403, extended code 1100 "permission denied"). */
export class ForbiddenError extends AppError {
  constructor(description: string) {
    super(403, '1100', 'Forbidden.', description);
  }
}

/** A resource (e.g. an API key by id) that does not exist, at a valid URI (404, extended code 1600). */
export class ResourceNotFoundError extends AppError {
  constructor(description: string) {
    super(404, '1600', 'Resource could not be found', description);
  }
}

/** No resource at this path (404, extended code 1101 "invalid URI"). */
export class NotFoundError extends AppError {
  constructor(description: string) {
    super(404, '1101', 'Resource could not be found', description);
  }
}

/**
 * A request URI over SparkPost's 4096-character limit. SparkPost documents the limit (events.apib L13)
 * but not its answer; its extended-code table (support-docs extended-error-codes.md) gives an invalid
 * query string 404 with code 1103, and an invalid URI 404 with code 1101: the path alone over the limit.
 */
export class UriTooLongError extends AppError {
  constructor(part: 'path' | 'query', limit: number) {
    super(
      404,
      part === 'query' ? '1103' : '1101',
      'URI too long',
      `The request URI must be at most ${limit} characters`,
    );
  }
}

/** A method the path does not take (405 with Allow, extended code 1102 "invalid HTTP method"). */
export class MethodNotAllowedError extends AppError {
  constructor(allow: readonly string[]) {
    super(405, '1102', 'Method not allowed', `Allowed: ${allow.join(', ')}`, {
      headers: { allow: allow.join(', ') },
    });
  }
}

/**
 * A request line and headers larger than the server reads (431). SparkPost's table has no code for it;
 * 1300 ("invalid data format/type/length") is the nearest.
 */
export class HeadersTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(431, '1300', 'Request header fields too large', `The request headers exceed ${limitBytes} bytes`);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, '1300', 'Payload too large', `The body exceeds ${limitBytes} bytes`);
  }
}

/** A dependency (store, database) is down; the caller should retry (SparkPost retries 5xx for 8 hours). */
export class UnavailableError extends AppError {
  constructor(description: string, options?: { cause?: unknown }) {
    super(503, '1501', 'Service unavailable', description, options);
  }
}

/** Anything unexpected: the client sees only "Internal error"; the cause is logged. */
export class InternalError extends AppError {
  constructor(options?: { cause?: unknown }) {
    super(500, '1500', 'Internal error', undefined, options);
  }
}

/** Configuration is wrong: every problem is listed at once, at start. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}
