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

describe('README: the SQL examples', () => {
  let test: TestService;
  let database: TestDatabase;
  beforeAll(async () => {
    test = await startTestService();
    database = test.database;
  });
  afterAll(async () => {
    await test.stop();
  });

  it('has exactly the two SQL examples tested here', () => {
    expect(blocks('sql').map((sql) => /FROM (\w+)/.exec(sql)?.[1])).toEqual(['batches', 'events']);
  });

  it('shows how to find the batches and events that were not stored, and why', async () => {
    const sql = blocks('sql').find((block) => block.includes('FROM batches')) as string;
    const nested = `{"msys":{"message_event":{"type":"delivery","event_id":"readme-deep","timestamp":"1","rcpt_meta":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}}}`;
    const body = `[${nested},${JSON.stringify(makeEvent({ ts: Date.now() - HOUR_MS, id: 'readme-ok' }))}]`;
    expect((await test.postBatch(body, { batchId: 'readme-rejections' })).status).toBe(200);
    await test.loaded();
    const result = await database.db.query(sql);
    expect(result.rows).toEqual([
      expect.objectContaining({
        batch_id: 'readme-rejections',
        status: 'loaded',
        inserted_count: 1,
        rejected_count: 1,
        rejections: { 'nested deeper than 64 levels': 1 },
      }),
    ]);
  });

  it('has ad-hoc SQL that runs on the schema and finds the events it says it finds', async () => {
    const sql = blocks('sql').find((block) => block.includes('FROM events'));
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
