import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { WebhookOAuthClient } from '../config';
import type { Logger } from '../logger';
import { parseBasic, safeEqual } from './auth';
import { type HttpRequest, type HttpResponse, header, jsonResponse } from './http';

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) for SparkPost's "OAuth 2.0" webhook authentication:
 * SparkPost POSTs its client id and secret to the token URL (`POST /oauth/token`), then sends each batch
 * with `Authorization: Bearer <access_token>`; on a 400 or 401 it takes the token as expired and asks
 * for a new one.
 *
 * The access token is self-contained, so any instance (each Lambda execution environment, a restarted
 * local service) verifies it without shared state: a JWT (RFC 7519) with HS256, whose key is derived from
 * the client secret (HKDF, a fixed context string). It carries its issue and expiry times; a new client
 * secret makes every token issued before it fail, unless the old one is still configured as the previous
 * secret during a rotation.
 */

/** The only header this service issues; a token with any other header is refused, whatever it says. */
const TOKEN_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const ISSUER = 'sparkpost-event-db';
const AUDIENCE = 'sparkpost-event-db/webhook';
/** Binds the key to this use: the same client secret keys nothing else. */
const KEY_CONTEXT = 'sparkpost-event-db webhook access token v1';
/** Instances' clocks may differ a little: a token issued this far "in the future" is still taken. */
const MAX_CLOCK_SKEW_SECONDS = 60;
/** No token lives longer than WEBHOOK_OAUTH_TOKEN_TTL_SECONDS allows (config.ts caps it there). */
const MAX_LIFETIME_SECONDS = 86_400;
/** Ours are ~250 characters; anything far longer is not one (and is not hashed). */
const MAX_TOKEN_CHARS = 1024;
/** A token request is a few parameters. */
const MAX_REQUEST_BYTES = 16 * 1024;

function signingKey(clientSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', clientSecret, Buffer.alloc(0), KEY_CONTEXT, 32));
}

function signature(clientSecret: string, signingInput: string): string {
  return createHmac('sha256', signingKey(clientSecret)).update(signingInput).digest('base64url');
}

/** Issues an access token for `client`, valid `ttlSeconds` from `nowMs`. */
export function issueAccessToken(client: WebhookOAuthClient, ttlSeconds: number, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    client_id: client.clientId,
    iat,
    exp: iat + ttlSeconds,
    jti: randomBytes(12).toString('base64url'),
  };
  const signingInput = `${TOKEN_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signingInput}.${signature(client.clientSecret, signingInput)}`;
}

/**
 * True when `token` was issued to `client` (signed with its secret, or the previous one during a
 * rotation), is not expired at `nowMs` and was not issued in the future. Signatures are compared in
 * constant time, and checked before anything of the token is parsed.
 */
export function verifyAccessToken(token: string, client: WebhookOAuthClient, nowMs: number): boolean {
  if (token.length > MAX_TOKEN_CHARS) return false;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [head, body, given] = parts as [string, string, string];
  if (head !== TOKEN_HEADER || !/^[A-Za-z0-9_-]+$/.test(body)) return false;
  const signingInput = `${head}.${body}`;
  let signed = false;
  for (const secret of [client.clientSecret, client.previousClientSecret]) {
    // Every configured secret is tried, so timing does not tell which one (if any) matched.
    if (secret !== undefined) signed = safeEqual(given, signature(secret, signingInput)) || signed;
  }
  if (!signed) return false;

  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (typeof claims !== 'object' || claims === null) return false;
  const { iss, aud, client_id: clientId, iat, exp } = claims as Record<string, unknown>;
  if (typeof iat !== 'number' || typeof exp !== 'number') return false;
  const now = Math.floor(nowMs / 1000);
  return (
    iss === ISSUER &&
    aud === AUDIENCE &&
    typeof clientId === 'string' &&
    safeEqual(clientId, client.clientId) &&
    Number.isSafeInteger(iat) &&
    Number.isSafeInteger(exp) &&
    iat <= now + MAX_CLOCK_SKEW_SECONDS &&
    exp > iat &&
    exp - iat <= MAX_LIFETIME_SECONDS &&
    now < exp
  );
}

/** What the token endpoint needs: the client it knows (none: every request is `invalid_client`). */
export interface TokenEndpointDeps {
  readonly client?: WebhookOAuthClient;
  readonly ttlSeconds: number;
  readonly now: () => number;
  readonly logger: Logger;
}

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';

/** An error of RFC 6749 §5.2, answered in that RFC's shape (not SparkPost's: this is its endpoint). */
class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    /** The client tried HTTP Basic: a 401 must then carry a Basic challenge (§5.2). */
    readonly challenge = false,
  ) {
    super(description);
  }
}

/** §5.1: token responses, and errors with them, must not be cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * `POST /oauth/token`: the client credentials grant. The client authenticates with `client_id` and
 * `client_secret` in the body (JSON, as SparkPost's `auth_request_details.body` is, or form-encoded as
 * RFC 6749 has it) or with HTTP Basic (§2.3.1). `grant_type` must be `client_credentials`; when absent
 * it is taken as that, because SparkPost's app creates OAuth webhooks with a body without it.
 */
export function tokenEndpoint(request: HttpRequest, deps: TokenEndpointDeps): HttpResponse {
  try {
    const params = requestParameters(request);
    const client = authenticateClient(request, params, deps.client);
    const grantType = params.get('grant_type') ?? 'client_credentials';
    if (grantType !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported');
    }
    const accessToken = issueAccessToken(client, deps.ttlSeconds, deps.now());
    deps.logger.info('access token issued', { expiresIn: deps.ttlSeconds });
    return jsonResponse(
      200,
      { access_token: accessToken, token_type: 'Bearer', expires_in: deps.ttlSeconds },
      NO_STORE,
    );
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    const status = error.code === 'invalid_client' ? 401 : 400;
    deps.logger.info('token request refused', { status, error: error.code });
    return jsonResponse(
      status,
      { error: error.code, error_description: error.description },
      status === 401 && error.challenge
        ? { ...NO_STORE, 'www-authenticate': 'Basic realm="sparkpost-event-db"' }
        : NO_STORE,
    );
  }
}

/**
 * The request's parameters, from a JSON object or a form-encoded body (by Content-Type; without one,
 * by the body's first character). Empty values count as absent (§3.1); a repeated one is an error.
 */
function requestParameters(request: HttpRequest): Map<string, string> {
  if (request.body.length > MAX_REQUEST_BYTES) {
    throw new OAuthError('invalid_request', `The request body exceeds ${MAX_REQUEST_BYTES} bytes`);
  }
  const encoding = header(request.headers, 'content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new OAuthError('invalid_request', 'The request body must not be compressed');
  }
  const text = request.body.toString('utf8');
  if (text.trim() === '') return new Map();
  const type = (header(request.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const json =
    type === 'application/json' ||
    type.endsWith('+json') ||
    (type !== 'application/x-www-form-urlencoded' && text.trimStart().startsWith('{'));
  return json ? jsonParameters(text) : formParameters(text);
}

function jsonParameters(text: string): Map<string, string> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OAuthError('invalid_request', 'The request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be a JSON object');
  }
  const params = new Map<string, string>();
  for (const name of ['grant_type', 'client_id', 'client_secret']) {
    const value = (body as Record<string, unknown>)[name];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be a string`);
    params.set(name, value);
  }
  return params;
}

function formParameters(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (value === '') continue;
    if (params.has(name)) throw new OAuthError('invalid_request', `${name} is repeated`);
    params.set(name, value);
  }
  return params;
}

/**
 * Client authentication (§2.3.1): HTTP Basic with the form-encoded id and secret, or both in the body;
 * never both ways at once. Wrong, unknown or absent credentials are `invalid_client` (401).
 */
function authenticateClient(
  request: HttpRequest,
  params: ReadonlyMap<string, string>,
  client: WebhookOAuthClient | undefined,
): WebhookOAuthClient {
  const authorization = header(request.headers, 'authorization')?.trim();
  let id: string | undefined;
  let secret: string | undefined;
  const viaBasic = Boolean(authorization);
  if (authorization) {
    const basic = parseBasic(authorization);
    if (!basic) {
      throw new OAuthError('invalid_client', 'Authenticate with HTTP Basic or in the request body', true);
    }
    try {
      id = formDecode(basic.username);
      secret = formDecode(basic.password);
    } catch {
      throw new OAuthError('invalid_client', 'The Basic credentials are not form-encoded', true);
    }
    if (params.has('client_secret')) {
      throw new OAuthError('invalid_request', 'Use one client authentication method, not two');
    }
    const bodyId = params.get('client_id');
    if (bodyId !== undefined && bodyId !== id) {
      throw new OAuthError('invalid_request', 'client_id differs from the one in the Authorization header');
    }
  } else {
    id = params.get('client_id');
    secret = params.get('client_secret');
    if (id === undefined && secret === undefined) {
      throw new OAuthError('invalid_client', 'Client authentication is required');
    }
    if (id === undefined) throw new OAuthError('invalid_request', 'client_id is missing');
    if (secret === undefined) throw new OAuthError('invalid_request', 'client_secret is missing');
  }
  if (!client) throw new OAuthError('invalid_client', 'No OAuth 2.0 client is configured', viaBasic);
  // Every comparison runs, so timing does not tell which part was wrong.
  const idOk = safeEqual(id ?? '', client.clientId);
  let secretOk = safeEqual(secret ?? '', client.clientSecret);
  if (client.previousClientSecret !== undefined) {
    secretOk = safeEqual(secret ?? '', client.previousClientSecret) || secretOk;
  }
  if (!idOk || !secretOk) throw new OAuthError('invalid_client', 'Unknown client or wrong secret', viaBasic);
  return client;
}

/** application/x-www-form-urlencoded decoding of one value (`+` is a space). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}
