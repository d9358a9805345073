import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOUR_MS } from '../../src/core/time';
import { loadOrCreateCredentials } from '../../src/local/credentials';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { type Element, inner } from '../helpers/fixtures';
import { makeBatch } from '../helpers/make-events';
import { spawnService } from '../helpers/processes';
import { basic, json, startTestService, type TestService } from '../helpers/service';

/**
 * Every webhook authentication SparkPost sends, against the local HTTP server as SparkPost reaches it:
 * the OAuth 2.0 token request and the batches that carry its token, the custom header, and the
 * credentials `npm start` generates (and adds to a credentials file an older version wrote).
 */
jest.setTimeout(120_000);

const CLIENT_ID = 'sparkpost';
const CLIENT_SECRET = 'local-client-secret-0123456789';
const now = Date.now();
const WINDOW = `from=${new Date(now - 2 * HOUR_MS).toISOString().slice(0, 19)}Z&to=${new Date(now).toISOString().slice(0, 19)}Z`;

/** POST <token URL> with SparkPost's `auth_request_details.body`, in the encoding given. */
function requestToken(url: string, body: Record<string, string>, as: 'json' | 'form') {
  return fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: as === 'json' ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
}

describe('OAuth 2.0 and the custom header, through the local HTTP server', () => {
  let test: TestService;
  beforeAll(async () => {
    test = await startTestService({
      WEBHOOK_OAUTH_CLIENT_ID: CLIENT_ID,
      WEBHOOK_OAUTH_CLIENT_SECRET: CLIENT_SECRET,
      WEBHOOK_HEADER: 'X-Webhook-Key: header-secret-value',
    });
  });
  afterAll(async () => {
    await test.stop();
  });

  it.each([
    // auth_request_details.body as SparkPost's API documents it, sent as JSON or (RFC 6749) form-encoded…
    [
      'JSON',
      'json',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials' },
    ],
    [
      'form-encoded',
      'form',
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials' },
    ],
    // …and as SparkPost's app saves it on create: without grant_type.
    ['JSON without grant_type', 'json', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }],
  ] as const)(
    'SparkPost gets a token (%s), posts a batch with it, and its events are stored and queryable',
    async (label, as, request) => {
      const token = await requestToken(test.service.url, request, as);
      expect(token.status).toBe(200);
      expect(token.headers.get('cache-control')).toBe('no-store');
      const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = await json(token);
      expect([tokenType, expiresIn]).toEqual(['Bearer', 3600]);

      const batchId = `oauth-${as}-${label.length}`;
      const batch = makeBatch(3, now - HOUR_MS, `${batchId}-`, 10);
      const posted = await test.postBatch(JSON.stringify(batch), { batchId, auth: `Bearer ${accessToken}` });
      expect(posted.status).toBe(200);
      expect(await json(posted)).toEqual({ results: { batch_id: batchId, stored: true } });
      await test.loaded();
      const found = await json(await test.get(`/api/v1/events/message?${WINDOW}&per_page=100`));
      const ids = found.results.map((event: { event_id: string }) => event.event_id);
      const sent = batch.map((element) => inner(element as Element).event_id);
      expect(sent).toHaveLength(3);
      expect(ids).toEqual(expect.arrayContaining(sent));
    },
  );

  it('a wrong client secret gets 401 invalid_client, and a made-up token 401 at the webhook', async () => {
    const refused = await requestToken(
      test.service.url,
      { client_id: CLIENT_ID, client_secret: 'guess' },
      'json',
    );
    expect(refused.status).toBe(401);
    expect(await json(refused)).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    const posted = await test.postBatch('[{"msys":{}}]', { auth: 'Bearer made-up' });
    expect(posted.status).toBe(401);
  });

  it('the custom header lets a batch in, whatever the case of its name; a wrong value does not', async () => {
    const ping = '[{"msys":{}}]';
    const right = await test.postBatch(ping, {
      auth: null,
      headers: { 'x-webhook-key': 'header-secret-value' },
    });
    expect(right.status).toBe(200);
    const upper = await test.postBatch(ping, {
      auth: null,
      headers: { 'X-WEBHOOK-KEY': 'header-secret-value' },
    });
    expect(upper.status).toBe(200);
    const wrong = await test.postBatch(ping, {
      auth: null,
      headers: { 'x-webhook-key': 'header-secret-valuE' },
    });
    expect(wrong.status).toBe(401);
  });
});

describe('credentials `npm start` generates', () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-credentials-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adds the OAuth client to a credentials file of an older version, keeping what it holds', async () => {
    const file = join(dir, 'credentials.json');
    const old = { webhookUsername: 'sparkpost', webhookPassword: 'old-password', apiKey: 'old-api-key' };
    await writeFile(file, JSON.stringify(old), { mode: 0o600 });

    const first = await loadOrCreateCredentials(file);
    expect(first.created).toBe(false);
    expect(first.generated).toEqual(['oauthClientId', 'oauthClientSecret']);
    expect(first.credentials).toEqual({
      ...old,
      oauthClientId: 'sparkpost',
      oauthClientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first.credentials);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const again = await loadOrCreateCredentials(file);
    expect(again).toEqual({ credentials: first.credentials, created: false, generated: [] });
  });

  it('prints only what it just generated, and every generated credential lets SparkPost in', async () => {
    const file = join(dir, 'credentials.json');
    await writeFile(
      file,
      JSON.stringify({
        webhookUsername: 'sparkpost',
        webhookPassword: 'old-password',
        apiKey: 'old-api-key',
      }),
      { mode: 0o600 },
    );
    const env = { DATA_DIR: dir, PORT: '0', DATABASE_URL: database.connectionString };
    for (const start of ['upgraded', 'again'] as const) {
      const service = spawnService(env);
      try {
        const url = await service.started();
        const saved = JSON.parse(readFileSync(file, 'utf8'));
        const out = service.stdout();
        // The password and key of the older file were shown when they were generated, not now; the
        // OAuth client secret is new on the first of these starts only.
        expect(out).not.toContain('old-password');
        expect(out).not.toContain('old-api-key');
        expect(out.includes(saved.oauthClientSecret)).toBe(start === 'upgraded');
        expect(out).toContain(`token URL: ${url}/oauth/token`);
        expect(out).toContain('client ID: sparkpost');

        const ping = (authorization: string) =>
          fetch(`${url}/webhook`, { method: 'POST', headers: { authorization }, body: '[{"msys":{}}]' });
        expect((await ping(basic('sparkpost', 'old-password'))).status).toBe(200);
        const token = await requestToken(
          url,
          {
            client_id: saved.oauthClientId,
            client_secret: saved.oauthClientSecret,
            grant_type: 'client_credentials',
          },
          'form',
        );
        expect(token.status).toBe(200);
        expect((await ping(`Bearer ${(await json(token)).access_token}`)).status).toBe(200);
      } finally {
        service.child.kill('SIGINT');
        await service.exited;
      }
    }
  });

  it('generates nothing for the webhook when the environment sets a method: exactly those are accepted', async () => {
    const service = spawnService({
      DATA_DIR: dir,
      PORT: '0',
      DATABASE_URL: database.connectionString,
      WEBHOOK_HEADER: 'X-Webhook-Key: from-the-environment',
      API_KEY: 'env-api-key',
    });
    try {
      const url = await service.started();
      expect(service.stdout()).toContain('header      X-Webhook-Key: (in ');
      expect(service.stdout()).not.toContain('from-the-environment');
      expect(service.stdout()).not.toContain('OAuth 2.0');
      const token = await requestToken(
        url,
        { client_id: 'sparkpost', client_secret: 'anything-0123456789' },
        'json',
      );
      expect(token.status).toBe(401);
      const posted = await fetch(`${url}/webhook`, {
        method: 'POST',
        headers: { 'x-webhook-key': 'from-the-environment' },
        body: '[{"msys":{}}]',
      });
      expect(posted.status).toBe(200);
    } finally {
      service.child.kill('SIGINT');
      await service.exited;
    }
  });
});
