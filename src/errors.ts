/**
 * Typed application errors. Core code throws these; only `toErrorResponse` (core/http.ts) turns them
 * into SparkPost-shaped bodies: {"errors":[{"message","description","code"}]}.
 */
export class AppError extends Error {
  /** Errors below 500 are the client's to see; 5xx bodies say "internal" and the cause is only logged. */
  readonly expose: boolean;

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly description?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.expose = statusCode < 500;
  }
}

/** A query parameter or request body SparkPost would refuse (400, extended code 1200). */
export class ValidationError extends AppError {
  constructor(message: string, description?: string, code = '1200') {
    super(400, code, message, description);
  }
}

/** Missing or wrong credentials (401). */
export class AuthError extends AppError {
  constructor(description = 'Missing or invalid credentials') {
    super(401, '1100', 'Unauthorized.', description);
  }
}

export class NotFoundError extends AppError {
  constructor(description: string) {
    super(404, '1101', 'Resource could not be found', description);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(readonly allow: string[]) {
    super(405, '1101', 'Method not allowed', `Allowed: ${allow.join(', ')}`);
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

/** Configuration is wrong: every problem is listed at once, at start. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}
