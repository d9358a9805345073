import { createApp, type WebhookAppDeps } from '../../src/app';
import type { WebhookOAuthClient } from '../../src/config';
import type { HttpResponse } from '../../src/core/http';
import { issueAccessToken, verifyAccessToken } from '../../src/core/oauth';
import { silentLogger } from '../../src/logger';

/**
 * `POST /oauth/token` (RFC 6749 §4.4, client credentials) and the access tokens it issues, through the
 * app as every runtime serves it. The webhook is only sent SparkPost's ping batch here, which is answered
 * before the store, so the store is never reached.
 */
const unused = () => {
  throw new Error('not reached: a ping batch is never stored');
};
const CLIENT: WebhookOAuthClient = { clientId: 'sparkpost', clientSecret: 'first-secret-0123456789' };
const START = Date.parse('2026-12-01T12:00:00Z');

function instance(
  oauth: WebhookOAuthClient | undefined,
  clock = { now: START },
  extra: Partial<WebhookAppDeps> = {},
) {
  return createApp({
    logger: silentLogger,
    webhook: {
      store: { putIfAbsent: unused, get: unused, list: unused },
      auth: { disabled: false, ...(oauth ? { oauth } : {}) },
      maxBatchBytes: 1024,
      logger: silentLogger,
      now: () => clock.now,
      ...extra,
    },
  });
}
type App = ReturnType<typeof instance>;

function tokenRequest(app: App, body: string, headers: Record<string, string> = {}) {
  return app({ method: 'POST', path: '/oauth/token', rawQuery: '', headers, body: Buffer.from(body) });
}
const asJson = (fields: Record<string, unknown>) =>
  [JSON.stringify(fields), { 'content-type': 'application/json' }] as const;
const asForm = (fields: Record<string, string>) =>
  [new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' }] as const;
/** RFC 6749 §2.3.1: the id and secret are form-encoded, then joined by a colon and base64-encoded. */
const basicClient = (id: string, secret: string) => {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
};

function postPing(app: App, token: string) {
  return app({
    method: 'POST',
    path: '/webhook',
    rawQuery: '',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: Buffer.from('[{"msys":{}}]'),
  });
}
const body = (response: HttpResponse) => JSON.parse(response.body);

async function accessToken(app: App, client = CLIENT): Promise<string> {
  const response = await tokenRequest(
    app,
    ...asJson({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      grant_type: 'client_credentials',
    }),
  );
  expect(response.statusCode).toBe(200);
  return body(response).access_token;
}

describe('POST /oauth/token', () => {
  const app = instance(CLIENT);
  const credentials = { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };

  it.each([
    ['a JSON body', ...asJson({ ...credentials, grant_type: 'client_credentials' })],
    ['a form-encoded body', ...asForm({ ...credentials, grant_type: 'client_credentials' })],
    ['a JSON body without grant_type, as SparkPost’s app creates OAuth webhooks', ...asJson(credentials)],
    ['a JSON body without a Content-Type', JSON.stringify(credentials), {}],
    ['a form body without a Content-Type', new URLSearchParams(credentials).toString(), {}],
  ])('issues a Bearer token to client credentials in %s', async (_, text, headers) => {
    const response = await tokenRequest(app, text, headers);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      pragma: 'no-cache',
    });
    expect(body(response)).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
    });
    expect((await postPing(app, body(response).access_token)).statusCode).toBe(200);
  });

  it('issues a token to HTTP Basic client credentials, form-encoded first (RFC 6749 §2.3.1)', async () => {
    const client = { clientId: 'id:with spaces', clientSecret: 'p@ss w:rd+%/ 0123456789' };
    const basicApp = instance(client);
    const response = await tokenRequest(basicApp, ...asForm({ grant_type: 'client_credentials' }));
    expect(response.statusCode).toBe(401);
    const withBasic = await tokenRequest(basicApp, 'grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicClient(client.clientId, client.clientSecret),
    });
    expect(withBasic.statusCode).toBe(200);
    expect((await postPing(basicApp, body(withBasic).access_token)).statusCode).toBe(200);
    // A body-less request with Basic alone is enough: grant_type defaults to client_credentials.
    const bare = await tokenRequest(basicApp, '', {
      authorization: basicClient(client.clientId, client.clientSecret),
    });
    expect(bare.statusCode).toBe(200);
  });

  it('answers the expires_in it is configured with, and tokens live that long', async () => {
    const clock = { now: START };
    const short = instance(CLIENT, clock, { tokenTtlSeconds: 120 });
    const response = await tokenRequest(short, ...asJson(credentials));
    expect(body(response).expires_in).toBe(120);
    clock.now += 119_000;
    expect((await postPing(short, body(response).access_token)).statusCode).toBe(200);
    clock.now += 1_000;
    expect((await postPing(short, body(response).access_token)).statusCode).toBe(401);
  });

  it.each([
    ['a wrong secret in the body', ...asJson({ ...credentials, client_secret: 'wrong-secret-0123456789' })],
    ['an unknown client id in the body', ...asForm({ ...credentials, client_id: 'someone' })],
    ['no client credentials at all', ...asForm({ grant_type: 'client_credentials' })],
  ])('refuses %s with 401 invalid_client', async (_, text, headers) => {
    const response = await tokenRequest(app, text, headers);
    expect(response.statusCode).toBe(401);
    expect(body(response)).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('refuses wrong Basic client credentials with 401 invalid_client and a Basic challenge', async () => {
    for (const authorization of [
      basicClient(CLIENT.clientId, 'wrong-secret-0123456789'),
      'Bearer x',
      'Basic %%%',
    ]) {
      const response = await tokenRequest(app, 'grant_type=client_credentials', { authorization });
      expect(response.statusCode).toBe(401);
      expect(body(response).error).toBe('invalid_client');
      expect(response.headers['www-authenticate']).toBe('Basic realm="sparkpost-event-db"');
    }
  });

  it('refuses a grant other than client_credentials with 400 unsupported_grant_type', async () => {
    for (const grant_type of ['password', 'authorization_code', 'refresh_token']) {
      const response = await tokenRequest(app, ...asForm({ ...credentials, grant_type }));
      expect(response.statusCode).toBe(400);
      expect(body(response)).toEqual({
        error: 'unsupported_grant_type',
        error_description: expect.any(String),
      });
    }
  });

  it.each([
    ['client_secret is missing', ...asJson({ client_id: CLIENT.clientId, grant_type: 'client_credentials' })],
    ['client_id is missing', ...asForm({ client_secret: CLIENT.clientSecret })],
    [
      'a parameter is repeated',
      `${new URLSearchParams(credentials)}&client_id=sparkpost`,
      { 'content-type': 'application/x-www-form-urlencoded' },
    ],
    ['the JSON is malformed', '{"client_id":', { 'content-type': 'application/json' }],
    ['the JSON is not an object', '["sparkpost"]', { 'content-type': 'application/json' }],
    ['a value is not a string', ...asJson({ ...credentials, client_secret: 12345 })],
    [
      'the body is larger than a token request can be',
      ...asForm({ ...credentials, scope: 'x'.repeat(20_000) }),
    ],
  ])('refuses a request where %s with 400 invalid_request', async (_, text, headers) => {
    const response = await tokenRequest(app, text, headers);
    expect(response.statusCode).toBe(400);
    expect(body(response)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('refuses two client authentication methods at once with 400 invalid_request', async () => {
    const response = await tokenRequest(app, ...asForm(credentials));
    expect(response.statusCode).toBe(200);
    const both = await tokenRequest(app, new URLSearchParams(credentials).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicClient(CLIENT.clientId, CLIENT.clientSecret),
    });
    expect(both.statusCode).toBe(400);
    expect(body(both).error).toBe('invalid_request');
  });

  it('refuses every client when none is configured, and answers only POST', async () => {
    const response = await tokenRequest(instance(undefined), ...asJson(credentials));
    expect(response.statusCode).toBe(401);
    expect(body(response).error).toBe('invalid_client');
    const get = await app({
      method: 'GET',
      path: '/oauth/token',
      rawQuery: '',
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(get.statusCode).toBe(405);
  });
});

describe('access tokens at the webhook', () => {
  it('are refused once expired, and the token endpoint gives a fresh one (what SparkPost does on 401)', async () => {
    const clock = { now: START };
    const app = instance(CLIENT, clock);
    const token = await accessToken(app);
    clock.now += 3599_000;
    expect((await postPing(app, token)).statusCode).toBe(200);
    clock.now += 1_000;
    const refused = await postPing(app, token);
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body).errors[0].code).toBe('1100');
    expect((await postPing(app, await accessToken(app))).statusCode).toBe(200);
  });

  it('are refused when any part is tampered with', async () => {
    const app = instance(CLIENT);
    const token = await accessToken(app);
    const [head, claims, signature] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(claims, 'base64url').toString());
    const forged = (changes: Record<string, unknown>) =>
      Buffer.from(JSON.stringify({ ...payload, ...changes })).toString('base64url');
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const tampered = [
      `${head}.${forged({ exp: payload.exp + 86_400 })}.${signature}`,
      `${head}.${forged({ client_id: 'someone-else' })}.${signature}`,
      `${head}.${claims}.${flip(signature, 0)}`,
      `${head}.${claims}.${flip(signature, signature.length - 1)}`,
      `${head}.${claims}.`,
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${claims}.`,
      `${Buffer.from('{"alg":"HS512","typ":"JWT"}').toString('base64url')}.${claims}.${signature}`,
      `${head}.${claims}`,
      `${token}.x`,
      `${token}x`,
    ];
    for (const bad of tampered) expect((await postPing(app, bad)).statusCode).toBe(401);
    expect((await postPing(app, token)).statusCode).toBe(200);
  });

  it('are refused when issued more than a minute in the future (an issuer clock ahead)', () => {
    const ahead = issueAccessToken(CLIENT, 3600, START + 61_000);
    const slightlyAhead = issueAccessToken(CLIENT, 3600, START + 30_000);
    expect(verifyAccessToken(ahead, CLIENT, START)).toBe(false);
    expect(verifyAccessToken(slightlyAhead, CLIENT, START)).toBe(true);
  });

  it('signed with a secret since rotated out are refused; while the old one is still the previous, accepted', async () => {
    const oldToken = await accessToken(instance(CLIENT));
    const rotated = { ...CLIENT, clientSecret: 'second-secret-0123456789' };
    expect((await postPing(instance(rotated), oldToken)).statusCode).toBe(401);
    const during = instance({ ...rotated, previousClientSecret: CLIENT.clientSecret });
    expect((await postPing(during, oldToken)).statusCode).toBe(200);
    // During the rotation, SparkPost may still ask with the old secret, and gets a token keyed by the new one.
    const fromOldSecret = await accessToken(during, CLIENT);
    expect((await postPing(instance(rotated), fromOldSecret)).statusCode).toBe(200);
  });

  it('of one instance are accepted by another with the same configuration, sharing nothing', async () => {
    const first = instance({ ...CLIENT });
    const second = instance({ ...CLIENT });
    expect((await postPing(second, await accessToken(first))).statusCode).toBe(200);
    expect((await postPing(first, await accessToken(second))).statusCode).toBe(200);
    // Another client id with the same secret is another client.
    const other = instance({ ...CLIENT, clientId: 'other' });
    expect((await postPing(other, await accessToken(first))).statusCode).toBe(401);
  });
});
