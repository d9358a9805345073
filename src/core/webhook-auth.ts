import type { WebhookAuthConfig } from '../config';
import { AuthError } from '../errors';
import { bearer, parseBasic, safeEqual } from './auth';
import { header } from './http';
import { verifyAccessToken } from './oauth';

type Headers = Readonly<Record<string, string | undefined>>;

/**
 * Checks a webhook request against every configured method, as SparkPost sends them: HTTP Basic
 * (`auth_type: basic`), a Bearer access token from `POST /oauth/token` (`auth_type: oauth2`), a custom
 * header (`custom_headers`), a static token as Bearer or in the deprecated
 * `X-MessageSystems-Webhook-Token`. Any one that matches lets the request in; none throws AuthError
 * (401, which makes SparkPost fetch a new OAuth token). Every secret comparison is constant-time.
 */
export function authenticateWebhook(headers: Headers, auth: WebhookAuthConfig, nowMs = Date.now()): void {
  if (auth.disabled) return;
  const authorization = header(headers, 'authorization');
  const basic = parseBasic(authorization);
  if (auth.basic && basic) {
    // Evaluate every comparison so timing does not tell which part was wrong.
    const userOk = safeEqual(basic.username, auth.basic.username);
    let passwordOk = safeEqual(basic.password, auth.basic.password);
    if (auth.basic.previousPassword !== undefined) {
      passwordOk = safeEqual(basic.password, auth.basic.previousPassword) || passwordOk;
    }
    if (userOk && passwordOk) return;
  }
  const token = bearer(authorization);
  if (auth.oauth && token !== undefined && verifyAccessToken(token, auth.oauth, nowMs)) return;
  if (auth.header) {
    for (const expected of [auth.header, auth.header.previous]) {
      const value = expected && header(headers, expected.name);
      if (expected && value !== undefined && safeEqual(value.trim(), expected.value)) return;
    }
  }
  if (auth.token) {
    const given = token ?? header(headers, 'x-messagesystems-webhook-token');
    if (given !== undefined && safeEqual(given, auth.token)) return;
  }
  throw new AuthError();
}
