import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiAuthConfig } from '../config';
import { AuthError } from '../errors';
import type { Logger } from '../logger';
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
 * Checks a query request the way SparkPost does: `Authorization: <API key>`, or Basic with the key as
 * the user name and an empty password.
 */
export function authenticateApi(headers: Headers, auth: ApiAuthConfig): void {
  if (auth.disabled) return;
  const authorization = header(headers, 'authorization')?.trim();
  if (authorization) {
    const key = parseBasic(authorization)?.username ?? bearer(authorization) ?? authorization;
    let ok = false;
    for (const expected of auth.apiKeys) ok = safeEqual(key, expected) || ok;
    if (ok) return;
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
    ...(off.api ? ['anyone can read events'] : []),
  ];
  logger.warn(`authentication is off (AUTH_DISABLED=${scopes.join(',')}): ${effects.join(' and ')}`, {
    authDisabled: scopes,
  });
}
