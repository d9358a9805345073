import { createApp, ROUTES } from '../../src/app';
import type { EventReader } from '../../src/core/ports';
import { silentLogger } from '../../src/logger';

/**
 * ROUTES is the route table: createApp serves exactly its rows (template.yaml is tested against the same
 * rows), each with the access it declares. No request here gets past authentication to the database,
 * so the reader and the store are never called.
 */
const unused = () => {
  throw new Error('not reached: every request here is refused or public');
};
const app = createApp({
  logger: silentLogger,
  webhook: {
    store: { putIfAbsent: unused, get: unused, list: unused },
    auth: { disabled: false, token: 'secret' },
    maxBatchBytes: 1024,
    logger: silentLogger,
  },
  query: {
    reader: { rows: unused, count: unused, records: unused } as EventReader,
    now: Date.now,
    auth: { disabled: false, apiKeys: ['key'] },
  },
});
const request = (method: string, path: string) =>
  app({ method, path, rawQuery: '', headers: {}, body: Buffer.alloc(0) });

describe('the route table', () => {
  it.each(ROUTES.map((route) => [route.method, route.path, route.access]))(
    '%s %s is served, and its access (%s) is enforced',
    async (method, path, access) => {
      const response = await request(method, path);
      if (access === 'public') expect(response.statusCode).toBe(200);
      else if (access === 'client-credentials') {
        // RFC 6749 §5.2: a client that did not authenticate is invalid_client, in that RFC's shape.
        expect(response.statusCode).toBe(401);
        expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_client' });
      } else {
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Basic realm="sparkpost-event-db"');
      }
    },
  );

  it('answers 404 for a path that is not in the table, and 405 with Allow for a method that is not', async () => {
    expect((await request('GET', '/api/v1/nothing')).statusCode).toBe(404);
    const wrongMethod = await request('DELETE', ROUTES[0]?.path as string);
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe(ROUTES[0]?.method);
  });

  it('serves only the routes whose function this process has dependencies for', async () => {
    const webhookOnly = createApp({
      logger: silentLogger,
      webhook: {
        store: { putIfAbsent: unused, get: unused, list: unused },
        auth: { disabled: false },
        maxBatchBytes: 1024,
        logger: silentLogger,
      },
    });
    const query = ROUTES.find((route) => route.fn === 'queryEvents');
    const response = await webhookOnly({
      method: 'GET',
      path: query?.path as string,
      rawQuery: '',
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(response.statusCode).toBe(404);
  });
});

describe("SparkPost's extended error codes (support-docs extended-error-codes.md)", () => {
  it('answers an unknown path 404 with code 1101 ("invalid URI")', async () => {
    const response = await request('GET', '/api/v1/nothing');
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: 'Resource could not be found', description: expect.any(String), code: '1101' }],
    });
  });

  it('answers a method the path does not take 405 with code 1102 ("invalid HTTP method")', async () => {
    const response = await request('PUT', '/api/v1/events/message');
    expect(response.statusCode).toBe(405);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: 'Method not allowed', description: 'Allowed: GET', code: '1102' }],
    });
  });

  it("answers any URI over SparkPost's 4096 characters (events.apib L13) 404 with 1103, or 1101 when the path alone is", async () => {
    const long = await app({
      method: 'GET',
      path: '/api/v1/events/message/documentation',
      rawQuery: `x=${'a'.repeat(4096)}`,
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(long.statusCode).toBe(404);
    expect(JSON.parse(long.body).errors[0]).toMatchObject({ message: 'URI too long', code: '1103' });
    const longPath = await request('GET', `/${'a'.repeat(4097)}`);
    expect(longPath.statusCode).toBe(404);
    expect(JSON.parse(longPath.body).errors[0]).toMatchObject({ message: 'URI too long', code: '1101' });
  });
});

describe('AWS $default route: a function answers every route of the table as the local server does', () => {
  const queryOnly = createApp({
    logger: silentLogger,
    query: {
      reader: { rows: unused, count: unused, records: unused } as EventReader,
      now: Date.now,
      auth: { disabled: false, apiKeys: ['key'] },
    },
  });
  const both = (method: string, path: string) =>
    Promise.all(
      [app, queryOnly].map((serve) =>
        serve({ method, path, rawQuery: '', headers: {}, body: Buffer.alloc(0) }),
      ),
    );

  it.each([
    ['GET', '/webhook', 405],
    ['PUT', '/oauth/token', 405],
    ['POST', '/api/v1/events/message', 405],
    ['GET', '/api/v1/nothing', 404],
    ['DELETE', '/', 405],
    ['DELETE', '/nothing/here', 404],
  ])(
    '%s %s: the query function answers %d with the same headers and body as the local app',
    async (method, path, status) => {
      const [local, aws] = await both(method, path);
      expect(local?.statusCode).toBe(status);
      expect(aws).toEqual(local);
    },
  );
});

describe('CORS (CORS_ORIGINS), an extension: SparkPost refuses browser calls', () => {
  const withOrigins = (corsOrigins: readonly string[]) =>
    createApp({
      logger: silentLogger,
      corsOrigins,
      query: {
        reader: { rows: unused, count: unused, records: unused } as EventReader,
        now: Date.now,
        auth: { disabled: false, apiKeys: ['key'] },
      },
    });
  const preflight = {
    method: 'OPTIONS',
    path: '/api/v1/events/message',
    rawQuery: '',
    headers: {
      origin: 'https://app.example.com',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    },
    body: Buffer.alloc(0),
  };

  it('without CORS_ORIGINS answers the OPTIONS preflight 403, as SparkPost does (support-docs calling-sparkpost-from-browser.md)', async () => {
    const response = await withOrigins([])(preflight);
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).errors[0]).toMatchObject({ message: 'Forbidden.', code: '1100' });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("answers a listed origin's preflight 204 with the path's methods and the Authorization header", async () => {
    const response = await withOrigins(['https://app.example.com'])(preflight);
    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      vary: 'Origin',
    });
    expect(response.headers['access-control-allow-headers']?.split(', ')).toEqual(
      expect.arrayContaining(['Authorization', 'X-MSYS-SUBACCOUNT']),
    );
  });

  it('refuses an origin not listed with 403, and lets any origin in with *', async () => {
    const other = { ...preflight, headers: { ...preflight.headers, origin: 'https://evil.example' } };
    expect((await withOrigins(['https://app.example.com'])(other)).statusCode).toBe(403);
    const any = await withOrigins(['*'])(other);
    expect(any.statusCode).toBe(204);
    expect(any.headers['access-control-allow-origin']).toBe('*');
  });

  it('marks the answers to a listed origin, errors too, and no others', async () => {
    const serve = withOrigins(['https://app.example.com']);
    const get = (origin: string) => serve({ ...preflight, method: 'GET', headers: { origin }, rawQuery: '' });
    const refused = await get('https://app.example.com');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect((await get('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
  });
});
