import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiAuthConfig } from '../config';
import { AuthError } from '../errors';
import type { Logger } from '../logger';
import { ADMIN, type ApiKeyService, type Principal } from './api-keys';
import { header } from './http';

type Headers = Readonly<Record<string, string | undefined>>;

/** Compares secrets in constant time (digests first, so the lengths leak nothing either). */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Splits `Basic <base64(user:password)>`; undefined when the header is not Basic. */
export function parseBasic(
  authorization: string | undefined,
): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The token of `Bearer <token>`; undefined when the header is not Bearer. */
export function bearer(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/**
 * Authenticates a query request the way SparkPost does: `Authorization: <API key>`, or Basic with the key
 * as the user name and an empty password. A key of the configuration (API_KEYS, API_KEY, Secrets Manager)
 * is the admin principal, compared in constant time against every configured key; any other key is
 * looked up among the stored keys by its digest (core/api-keys.ts). Throws AuthError (401) for a key that
 * is neither. With authentication off, everyone is the admin principal.
 */
export async function authenticateApi(
  headers: Headers,
  auth: ApiAuthConfig,
  storedKeys?: Pick<ApiKeyService, 'authenticate'>,
): Promise<Principal> {
  if (auth.disabled) return ADMIN;
  const authorization = header(headers, 'authorization')?.trim();
  if (authorization) {
    const key = parseBasic(authorization)?.username ?? bearer(authorization) ?? authorization;
    let ok = false;
    for (const expected of auth.apiKeys) ok = safeEqual(key, expected) || ok;
    if (ok) return ADMIN;
    const principal = key === '' ? undefined : await storedKeys?.authenticate(key);
    if (principal) return principal;
  }
  throw new AuthError('Send your API key in the Authorization header');
}

/**
 * Says at every start (the local service, each Lambda cold start) what AUTH_DISABLED turned off, so that
 * an open service is never silently open.
 */
export function warnIfAuthDisabled(
  logger: Logger,
  off: { readonly webhook?: boolean; readonly api?: boolean },
) {
  const scopes = [...(off.webhook ? ['webhook'] : []), ...(off.api ? ['api'] : [])];
  if (scopes.length === 0) return;
  const effects = [
    ...(off.webhook ? ['anyone can post batches'] : []),
    ...(off.api ? ['anyone can read events and manage API keys'] : []),
  ];
  logger.warn(`authentication is off (AUTH_DISABLED=${scopes.join(',')}): ${effects.join(' and ')}`, {
    authDisabled: scopes,
  });
}
