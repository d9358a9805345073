import { createHash } from 'node:crypto';
import { createApp } from '../../src/app';
import { createApiKeyService, KEY_CACHE_MS, LAST_USED_RESOLUTION_MS } from '../../src/core/api-keys';
import type { HttpRequest } from '../../src/core/http';
import { createApiKeyStore } from '../../src/db/api-key-store';
import { createEventReader } from '../../src/db/event-reader';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { json, startTestService, type TestService } from '../helpers/service';

/**
 * SparkPost's API-keys resource over HTTP on the local service (a real PostgreSQL), and the stored keys'
 * authentication: shown once, stored as a digest, grants enforced, revocation, the cache's bound.
 */
const ADMIN_KEY = 'test-api-key';
const EVENTS = '/api/v1/events/message?from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z';

let t: TestService;

function call(
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? ADMIN_KEY : options.key;
  if (key !== null) headers.authorization = key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${t.service.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
}

async function create(body: unknown, headers: Record<string, string> = {}) {
  const response = await call('POST', '/api/v1/api-keys', { body, headers });
  expect(response.status).toBe(200);
  return (await json(response)).results;
}

beforeAll(async () => {
  t = await startTestService();
});
afterAll(async () => {
  await t.stop();
});

describe('the API keys resource (GET/POST /api/v1/api-keys, GET/DELETE /api/v1/api-keys/{id})', () => {
  it('creates a key and shows it once; the list and the database never hold it; revoking it stops it', async () => {
    const created = await create({ label: 'reporting', grants: ['message_events/view'] });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      key: expect.stringMatching(/^[0-9a-f]{48}$/),
      short_key: created.key.slice(0, 4),
      label: 'reporting',
      grants: ['message_events/view'],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      last_used_at: null,
      link: { href: `/api/v1/api-keys/${created.id}` },
    });

    const list = await call('GET', '/api/v1/api-keys');
    expect(list.status).toBe(200);
    const listed = await list.text();
    expect(listed).not.toContain(created.key);
    expect(JSON.parse(listed).results).toContainEqual(
      expect.objectContaining({ id: created.id, short_key: created.short_key, label: 'reporting' }),
    );
    const one = await json(await call('GET', `/api/v1/api-keys/${created.id}`));
    expect(one.results).toEqual(expect.objectContaining({ id: created.id, grants: ['message_events/view'] }));
    expect(one.results.key).toBeUndefined();

    // Only the SHA-256 digest is stored: no column of the row holds the key.
    const [row] = (await t.database.db.query('SELECT * FROM api_keys WHERE id = $1', [created.id])).rows;
    expect(row?.digest).toEqual(createHash('sha256').update(created.key).digest());
    expect(JSON.stringify(row)).not.toContain(created.key);

    expect((await call('GET', EVENTS, { key: created.key })).status).toBe(200);
    // As SparkPost clients send it too: Basic, the key as the user name.
    const asBasic = `Basic ${Buffer.from(`${created.key}:`).toString('base64')}`;
    expect((await call('GET', EVENTS, { key: asBasic })).status).toBe(200);

    const revoked = await call('DELETE', `/api/v1/api-keys/${created.id}`);
    expect(revoked.status).toBe(204);
    expect(await revoked.text()).toBe('');
    const refused = await call('GET', EVENTS, { key: created.key });
    expect(refused.status).toBe(401);
    expect((await json(refused)).errors[0].message).toBe('Unauthorized.');

    const again = await call('DELETE', `/api/v1/api-keys/${created.id}`);
    expect(again.status).toBe(404);
    expect(await json(again)).toEqual({
      errors: [
        {
          message: 'Resource could not be found',
          description: `No API key with id ${created.id}`,
          code: '1600',
        },
      ],
    });
    expect((await call('GET', `/api/v1/api-keys/${created.id}`)).status).toBe(404);
  });

  it('gives 403 in SparkPost shape to a key without the route grant, and serves a key with it', async () => {
    const viewer = await create({ label: 'viewer', grants: ['message_events/view'] });
    const manager = await create({ label: 'manager', grants: ['api_keys/manage'] });
    const both = await create({ label: 'both', grants: ['api_keys/manage', 'message_events/view'] });

    const forbidden = await call('GET', '/api/v1/api-keys', { key: viewer.key });
    expect(forbidden.status).toBe(403);
    expect(await json(forbidden)).toEqual({
      errors: [
        {
          message: 'Forbidden.',
          description: 'This API key does not have the api_keys/manage grant',
          code: '1100',
        },
      ],
    });
    for (const path of [EVENTS, '/api/v1/message-events', '/api/v1/events/message/metadata-keys']) {
      const response = await call('GET', path, { key: manager.key });
      expect(response.status).toBe(403);
      expect((await json(response)).errors[0].description).toBe(
        'This API key does not have the message_events/view grant',
      );
      expect((await call('GET', path, { key: viewer.key })).status).toBe(200);
    }
    expect((await call('DELETE', `/api/v1/api-keys/${viewer.id}`, { key: viewer.key })).status).toBe(403);
    expect((await call('GET', '/api/v1/api-keys', { key: both.key })).status).toBe(200);
    expect((await call('GET', EVENTS, { key: both.key })).status).toBe(200);
    // A manager key creates and revokes keys, as the admin key does.
    const made = await call('POST', '/api/v1/api-keys', {
      key: manager.key,
      body: { label: 'made by a manager', grants: ['message_events/view'] },
    });
    expect(made.status).toBe(200);
    const madeId = (await json(made)).results.id;
    expect((await call('DELETE', `/api/v1/api-keys/${madeId}`, { key: manager.key })).status).toBe(204);
  });

  it('answers 401 to an unknown, empty or missing key, and takes the configured key as an admin', async () => {
    for (const key of ['0'.repeat(48), 'not-a-key', null]) {
      const response = await call('GET', '/api/v1/api-keys', { key });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="sparkpost-event-db"');
    }
    expect((await call('GET', '/api/v1/api-keys', { key: ADMIN_KEY })).status).toBe(200);
    expect((await call('GET', EVENTS, { key: ADMIN_KEY })).status).toBe(200);
  });

  it('records the last use of a key', async () => {
    const created = await create({ label: 'used', grants: ['message_events/view'] });
    expect((await call('GET', EVENTS, { key: created.key })).status).toBe(200);
    const { results } = await json(await call('GET', `/api/v1/api-keys/${created.id}`));
    expect(Date.parse(results.last_used_at)).toBeGreaterThanOrEqual(Date.parse(results.created_at));
  });

  it.each([
    ['no body', undefined, 'Invalid JSON'],
    ['a body that is not JSON', '{label', 'Invalid JSON'],
    ['an array', [], 'Invalid JSON'],
    ['no label', { grants: ['message_events/view'] }, 'Invalid label'],
    ['a blank label', { label: '  ', grants: ['message_events/view'] }, 'Invalid label'],
    [
      'a label of 1025 characters',
      { label: 'x'.repeat(1025), grants: ['message_events/view'] },
      'Invalid label',
    ],
    ['no grants', { label: 'x' }, 'Invalid grants'],
    ['no grant in the list', { label: 'x', grants: [] }, 'Invalid grants'],
    ['an unknown grant', { label: 'x', grants: ['metrics/view'] }, 'Invalid grants'],
    ['a grant that is not a string', { label: 'x', grants: [1] }, 'Invalid grants'],
    [
      'a subaccount key with api_keys/manage',
      { label: 'x', grants: ['api_keys/manage'], subaccount_id: 5 },
      'Invalid grants',
    ],
    [
      'a subaccount_id that is not an integer',
      { label: 'x', grants: ['message_events/view'], subaccount_id: '5' },
      'Invalid subaccount_id',
    ],
    [
      'a negative subaccount_id',
      { label: 'x', grants: ['message_events/view'], subaccount_id: -3 },
      'Invalid subaccount_id',
    ],
    [
      'valid_ips',
      { label: 'x', grants: ['message_events/view'], valid_ips: ['10.0.0.1'] },
      'Invalid valid_ips',
    ],
  ])('refuses a key to create with %s: 400 in SparkPost shape', async (_case, body, message) => {
    const response = await call('POST', '/api/v1/api-keys', { body: body ?? '' });
    expect(response.status).toBe(400);
    const answer = await json(response);
    expect(answer.errors).toEqual([expect.objectContaining({ message, description: expect.any(String) })]);
  });

  it('takes SparkPost’s valid_ips when empty, as its app sends it', async () => {
    const created = await create({ label: 'from the app', grants: ['message_events/view'], valid_ips: [] });
    expect(created.id).toBeDefined();
  });

  it('scopes the resource by X-MSYS-SUBACCOUNT, as SparkPost does: create for, and list, read or revoke in, a subaccount', async () => {
    const sub = await create(
      { label: 'sub 101', grants: ['message_events/view'] },
      { 'x-msys-subaccount': '101' },
    );
    expect(sub.subaccount_id).toBe(101);
    const viaBody = await create({ label: 'sub 102', grants: ['message_events/view'], subaccount_id: 102 });
    expect(viaBody.subaccount_id).toBe(102);
    const primary = await create(
      { label: 'primary', grants: ['message_events/view'] },
      { 'x-msys-subaccount': '0' },
    );
    expect(primary.subaccount_id).toBeUndefined();

    const ids = async (headers: Record<string, string>) =>
      (await json(await call('GET', '/api/v1/api-keys', { headers }))).results.map(
        (key: { id: string }) => key.id,
      );
    expect(await ids({ 'x-msys-subaccount': '101' })).toEqual([sub.id]);
    const primaryIds = await ids({ 'x-msys-subaccount': '0' });
    expect(primaryIds).toContain(primary.id);
    expect(primaryIds).not.toContain(sub.id);
    expect(primaryIds).not.toContain(viaBody.id);
    expect(await ids({})).toEqual(expect.arrayContaining([sub.id, viaBody.id, primary.id]));

    const other = { 'x-msys-subaccount': '102' };
    expect((await call('GET', `/api/v1/api-keys/${sub.id}`, { headers: other })).status).toBe(404);
    expect((await call('DELETE', `/api/v1/api-keys/${sub.id}`, { headers: other })).status).toBe(404);
    expect(
      (await call('DELETE', `/api/v1/api-keys/${sub.id}`, { headers: { 'x-msys-subaccount': '101' } }))
        .status,
    ).toBe(204);

    for (const value of ['abc', '-1', '1.5', '']) {
      const response = await call('GET', '/api/v1/api-keys', { headers: { 'x-msys-subaccount': value } });
      expect(response.status).toBe(400);
      expect((await json(response)).errors[0].message).toBe('Invalid X-MSYS-SUBACCOUNT header');
    }
    const conflicting = await call('POST', '/api/v1/api-keys', {
      body: { label: 'x', grants: ['message_events/view'], subaccount_id: 5 },
      headers: { 'x-msys-subaccount': '6' },
    });
    expect(conflicting.status).toBe(400);
  });

  it('routes only the resource’s paths and methods', async () => {
    expect((await call('GET', '/api/v1/api-keys/a/b')).status).toBe(404);
    const put = await call('PUT', '/api/v1/api-keys/abc', { body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, DELETE');
    expect((await call('PATCH', '/api/v1/api-keys')).headers.get('allow')).toBe('GET, POST');
    // A trailing slash is ignored, as everywhere; an id is decoded.
    expect((await call('GET', '/api/v1/api-keys/')).status).toBe(200);
    expect((await call('GET', '/api/v1/api-keys/no%20such%20key')).status).toBe(404);
  });
});

describe('AUTH_DISABLED=api', () => {
  it('lets anyone manage keys and query, as the admin', async () => {
    const open = await startTestService({ AUTH_DISABLED: 'api' });
    try {
      const response = await fetch(`${open.service.url}/api/v1/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ label: 'x', grants: ['message_events/view'] }),
      });
      expect(response.status).toBe(200);
      expect((await fetch(`${open.service.url}${EVENTS}`)).status).toBe(200);
      expect((await fetch(`${open.service.url}/api/v1/api-keys`)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});

describe('stored keys across instances (two apps on one database, a clock of their own)', () => {
  let database: TestDatabase;
  let clock: number;
  const instance = () => {
    const keys = createApiKeyService({
      store: createApiKeyStore(database.db),
      logger: silentLogger,
      now: () => clock,
    });
    const app = createApp({
      logger: silentLogger,
      query: {
        reader: createEventReader(database.db),
        now: () => clock,
        auth: { disabled: false, apiKeys: [] },
        keys,
      },
    });
    return { keys, app };
  };
  const get = (app: ReturnType<typeof instance>['app'], key: string): Promise<number> => {
    const request: HttpRequest = {
      method: 'GET',
      path: '/api/v1/events/message',
      rawQuery: '',
      headers: { authorization: key },
      body: Buffer.alloc(0),
    };
    return app(request).then((response) => response.statusCode);
  };
  const lastUsed = async (id: string) =>
    (await database.db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [id])).rows[0]?.last_used_at;

  beforeAll(async () => {
    database = await createTestDatabase();
    clock = Date.parse('2026-03-01T00:00:00Z');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('a revoked key is refused at once where it was revoked, and elsewhere once the cache time has passed', async () => {
    const a = instance();
    const b = instance();
    const { record, key } = await a.keys.create({ label: 'x', grants: ['message_events/view'] });
    expect(await get(a.app, key)).toBe(200);
    expect(await get(b.app, key)).toBe(200);
    await a.keys.revoke(record.id, undefined);
    expect(await get(a.app, key)).toBe(401);
    // B verified the key a moment ago and trusts it until its cache time is over, never longer.
    expect(await get(b.app, key)).toBe(200);
    clock += KEY_CACHE_MS - 1;
    expect(await get(b.app, key)).toBe(200);
    clock += 1;
    expect(await get(b.app, key)).toBe(401);
    expect(KEY_CACHE_MS).toBeLessThanOrEqual(60_000);
  });

  it('a key created on one instance works at once on another that was refused it before', async () => {
    const a = instance();
    const b = instance();
    expect(await get(b.app, 'f'.repeat(48))).toBe(401);
    const { key } = await a.keys.create({ label: 'x', grants: ['message_events/view'] });
    expect(await get(b.app, key)).toBe(200);
  });

  it('writes last_used_at at most once a minute per key, not on every request', async () => {
    const a = instance();
    const { record, key } = await a.keys.create({ label: 'x', grants: ['message_events/view'] });
    const first = clock;
    expect(await get(a.app, key)).toBe(200);
    expect((await lastUsed(record.id)).getTime()).toBe(first);
    for (let i = 0; i < 5; i += 1) {
      clock += 10_000;
      expect(await get(a.app, key)).toBe(200);
    }
    expect((await lastUsed(record.id)).getTime()).toBe(first);
    clock = first + LAST_USED_RESOLUTION_MS;
    expect(await get(a.app, key)).toBe(200);
    expect((await lastUsed(record.id)).getTime()).toBe(clock);
    // Another instance finds it recently written and leaves it.
    const b = instance();
    clock += 1000;
    expect(await get(b.app, key)).toBe(200);
    expect((await lastUsed(record.id)).getTime()).toBe(first + LAST_USED_RESOLUTION_MS);
  });
});
