import { gzipSync } from 'node:zlib';
import { AppError, InternalError } from '../errors';
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
  /**
   * A body sent as it is produced (the export), `body` then empty: the local server writes each part
   * when the client has taken the previous one, and stops the iteration (`return()`) when the client
   * goes away; API Gateway's handler buffers it, up to a limit (aws/api-gateway.ts).
   */
  readonly stream?: AsyncIterable<Buffer | string>;
}

export function jsonResponse(
  statusCode: number,
  payload: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  };
}

/**
 * Turns any thrown value into SparkPost's error shape, with the headers the error carries. Client errors
 * show their message and are logged at info with their code; anything else is logged with its cause and
 * answered with a bare message, never a stack trace.
 */
export function toErrorResponse(error: unknown, logger: Logger): HttpResponse {
  const appError = error instanceof AppError ? error : new InternalError({ cause: error });
  if (appError.expose) {
    logger.info('request refused', { status: appError.statusCode, code: appError.code });
    return jsonResponse(appError.statusCode, { errors: [errorBody(appError)] }, appError.headers);
  }
  logger.error('request failed', { code: appError.code, error: appError, cause: appError.cause });
  return jsonResponse(
    appError.statusCode,
    { errors: [{ message: appError.message, code: appError.code }] },
    appError.headers,
  );
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

/** Bodies smaller than this are sent as they are: gzip would save nearly nothing. */
const COMPRESS_FROM_BYTES = 1024;

/**
 * Whether an Accept-Encoding header accepts gzip: `gzip` or `*` with a quality above 0 (RFC 9110
 * §12.5.3), unless gzip itself is listed with q=0.
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const part of acceptEncoding.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    const quality = q === undefined ? 1 : Number(q);
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') gzip = quality;
    else if (coding.trim() === '*') any = quality;
  }
  return (gzip ?? any ?? 0) > 0;
}

/** A response as the bytes to send: gzip-compressed when the request accepts it and it is worth it. */
export interface EncodedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly compressed: boolean;
}

/**
 * Content negotiation shared by the local server and the API Gateway adapter: JSON compresses about
 * eight times, so a full page travels as ~0.7 MB instead of ~5 MB. `vary` tells caches the answer
 * depends on Accept-Encoding.
 */
export function encodeResponse(
  request: Pick<HttpRequest, 'headers'>,
  response: HttpResponse,
): EncodedResponse {
  const body = Buffer.from(response.body, 'utf8');
  if (body.length < COMPRESS_FROM_BYTES || header(response.headers, 'content-encoding') !== undefined) {
    return { statusCode: response.statusCode, headers: response.headers, body, compressed: false };
  }
  const headers = { ...response.headers, vary: 'accept-encoding' };
  if (!acceptsGzip(header(request.headers, 'accept-encoding'))) {
    return { statusCode: response.statusCode, headers, body, compressed: false };
  }
  return {
    statusCode: response.statusCode,
    headers: { ...headers, 'content-encoding': 'gzip' },
    body: gzipSync(body),
    compressed: true,
  };
}
