import { openLocalDatabase, throwawayDataDir } from '../../src/local/database';
import { silentLogger } from '../../src/logger';

/**
 * Starts one PostgreSQL server for the whole run: the embedded one (data under the system's temporary
 * folder, which the `postgres` user can always reach), unless DATABASE_URL points at a server already.
 * Each test file then creates its own database on it (see database.ts).
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = await throwawayDataDir('sparkpost-event-db-test-');
  const database = await openLocalDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir }, silentLogger);
  process.env.TEST_DATABASE_URL = database.connectionString;
  process.env.TEST_DATA_DIR = dataDir;
  (globalThis as { __testDatabase?: typeof database }).__testDatabase = database;
}
