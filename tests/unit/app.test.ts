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
