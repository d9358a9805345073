import { recordingLogger, waitFor } from '../helpers/logs';
import { json, startTestService } from '../helpers/service';

/**
 * `npm start` reads its database settings through the same config as everything else: a regression test
 * for local mode reading PG_SSL and PG_STATEMENT_TIMEOUT_MS and then connecting with values of its own.
 */
describe('local mode honours the database settings', () => {
  it('PG_STATEMENT_TIMEOUT_MS reaches the connections of the running service', async () => {
    const test = await startTestService({ PG_STATEMENT_TIMEOUT_MS: '1234' });
    try {
      const timeout = await test.service.db.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(timeout.rows[0]?.statement_timeout).toBe('1234ms');
      // The service still answers queries with it.
      expect(await json(await test.get('/api/v1/events/message'))).toMatchObject({ total_count: 0 });
    } finally {
      await test.stop();
    }
  });

  it('PG_SSL=true makes it connect over TLS with certificate checks (refused by a server without a trusted certificate)', async () => {
    const log = recordingLogger();
    const test = await startTestService({ PG_SSL: 'true' }, { waitForDatabase: false, logger: log });
    try {
      await waitFor(() => log.lines.some((line) => line.message === 'database not ready; retrying'));
      const failure = log.lines.find((line) => line.message === 'database not ready; retrying');
      expect(String(failure?.error)).toMatch(/SSL|certificate|self[- ]signed/i);
      expect(await json(await test.get('/health'))).toMatchObject({
        status: 'starting',
        database: 'unavailable',
      });
    } finally {
      await test.stop();
    }
  });
});
