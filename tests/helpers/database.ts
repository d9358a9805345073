import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate';
import { MIGRATIONS } from '../../src/db/migrations';
import { createDb, type Db } from '../../src/db/pool';
import { silentLogger } from '../../src/logger';

export interface TestDatabase {
  readonly db: Db;
  readonly connectionString: string;
  /** Drops the database; call in afterAll. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      'TEST_DATABASE_URL is not set: run the tests through jest (global-setup starts PostgreSQL)',
    );
  return url;
}

/** A fresh, migrated database of its own for one test file, on the run's server. */
export async function createTestDatabase(
  options: { migrate?: boolean; poolMax?: number } = {},
): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  const name = `sedb_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const connectionString = url.toString();
  const db = createDb(
    { connectionString, poolMax: options.poolMax ?? 4, statementTimeoutMs: 60_000, ssl: false },
    silentLogger,
  );
  if (options.migrate !== false) await migrate(db, MIGRATIONS, silentLogger);
  return {
    db,
    connectionString,
    async drop() {
      await db.end();
      const cleanup = new pg.Client({ connectionString: serverUrl() });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
