import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOUR_MS } from '../../src/core/time';
import type { TestDatabase } from '../helpers/database';
import { makeEvent } from '../helpers/make-events';
import { startTestService, type TestService } from '../helpers/service';

/**
 * The README's examples, run as a reader would run them: an example that no test runs stops being true.
 */
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The bodies of the README's fenced blocks in a language. */
function blocks(language: string): string[] {
  return [...README.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (match) => match[1] as string,
  );
}

describe('README: how the data is stored', () => {
  let test: TestService;
  let database: TestDatabase;
  beforeAll(async () => {
    test = await startTestService();
    database = test.database;
  });
  afterAll(async () => {
    await test.stop();
  });

  it('has ad-hoc SQL that runs on the schema and finds the events it says it finds', async () => {
    const [sql, ...others] = blocks('sql');
    expect(sql).toBeDefined();
    expect(others).toEqual([]);
    const now = Date.now();
    const batch = [
      makeEvent({ ts: now - HOUR_MS, id: 'readme-1', rcpt: 'alice@example.com' }),
      makeEvent({ ts: now - 2 * HOUR_MS, id: 'readme-2', type: 'open', rcpt: 'alice@example.com' }),
      makeEvent({ ts: now - HOUR_MS, id: 'readme-3', rcpt: 'bob@example.com' }),
    ];
    expect((await test.postBatch(JSON.stringify(batch), { batchId: 'readme' })).status).toBe(200);
    await test.loaded();
    const result = await database.db.query<{ ts: Date; type: string }>(sql as string);
    expect(result.rows.map((row) => row.type).sort()).toEqual(['delivery', 'open']);
  });
});
