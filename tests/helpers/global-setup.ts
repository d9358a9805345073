import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPg } from '../../src/local/embedded-pg';
import { silentLogger } from '../../src/logger';

/**
 * Starts one PostgreSQL server for the whole run: the embedded one (data under the system's temporary
 * folder, which the `postgres` user can always reach), unless DATABASE_URL points at a server already.
 * Each test file then creates its own database on it (see database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-test-'));
  // mkdtemp makes the folder private; when run as root, PostgreSQL (as `postgres`) must pass through it.
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPg(join(dir, 'pg'), silentLogger);
  process.env.TEST_DATABASE_URL = pg.connectionString;
  process.env.TEST_EMBEDDED_PG_DIR = dir;
  (globalThis as { __embeddedPg?: typeof pg }).__embeddedPg = pg;
  await writeFile(join(dir, 'url'), pg.connectionString);
}
