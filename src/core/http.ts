import { AppError } from '../errors';
import type { Logger } from '../logger';

/**
 * The plain request/response every entry point speaks: the local HTTP server and the API Gateway
 * handlers both translate to and from these, so routing and core logic are shared.
 */
export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/api/v1/events/message`. */
  readonly path: string;
  /** The raw query string without `?`, exactly as sent (needed for the URI length check and links). */
  readonly rawQuery: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function jsonResponse(
  statusCode: number,
  payload: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  };
}

/**
 * Turns any thrown value into SparkPost's error shape. Client errors show their message; anything else
 * is logged with its cause and answered with a bare "internal" message, never a stack trace.
 */
export function toErrorResponse(error: unknown, logger: Logger): HttpResponse {
  if (error instanceof AppError && error.expose) {
    const headers: Record<string, string> = {};
    if (error.statusCode === 401) headers['www-authenticate'] = 'Basic realm="sparkpost-event-db"';
    if ('allow' in error && Array.isArray(error.allow)) headers.allow = error.allow.join(', ');
    return jsonResponse(error.statusCode, { errors: [errorBody(error)] }, headers);
  }
  if (error instanceof AppError) {
    logger.error('request failed', { code: error.code, error, cause: error.cause });
    return jsonResponse(error.statusCode, { errors: [{ message: error.message, code: error.code }] });
  }
  logger.error('request failed', { error });
  return jsonResponse(500, { errors: [{ message: 'Internal error', code: '1500' }] });
}

function errorBody(error: AppError): { message: string; description?: string; code: string } {
  return {
    message: error.message,
    ...(error.description !== undefined ? { description: error.description } : {}),
    code: error.code,
  };
}

/** Reads a header case-insensitively from a record whose keys may be in any case. */
export function header(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
